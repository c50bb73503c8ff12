from django.conf import settings


def test_celery_app_reads_the_celery_settings():
    from config.celery import app

    assert app.main == "config"
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.task_always_eager == settings.CELERY_TASK_ALWAYS_EAGER
