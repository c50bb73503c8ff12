"""The Celery app: `celery -A config worker`. Not imported at Django start-up, to keep
management commands fast; tasks use `shared_task`."""

from celery import Celery

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
