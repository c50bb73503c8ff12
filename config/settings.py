"""Django settings, read from the environment and `.env` (real environment variables win).

Every variable is documented in `.env.sample`. A bad value never stops these settings from
loading: it falls back to a safe default and lands in CONFIG_PROBLEMS, which the `checkers`
system check reports (so `manage.py check` stops on it and preflight shows it).
"""

import os
from pathlib import Path

from config.env import Env, load_env_file

BASE_DIR = Path(__file__).resolve().parent.parent
ENV_FILE = load_env_file(BASE_DIR / ".env", os.environ)
env = Env(os.environ)

DJANGO_ENV = env.choice(
    "DJANGO_ENV",
    "dev",
    ("dev", "prod"),
    aliases={"production": "prod", "development": "dev"},
    fallback="prod",  # an unrecognised environment gets the strict one: DEBUG off
)
IS_DEV = DJANGO_ENV == "dev"
DEBUG = env.bool("DJANGO_DEBUG", default=IS_DEV)
SECRET_KEY = env.secret_key(
    "DJANGO_SECRET_KEY",
    dev_default="django-insecure-dev-only-never-use-in-production",
    is_dev=IS_DEV,
)
# HTTPS in production: cookies only over TLS, HTTP redirected, HSTS once the operator opts in.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not IS_DEV)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", 0, 0, 63072000)
SESSION_COOKIE_SECURE = not IS_DEV
CSRF_COOKIE_SECURE = not IS_DEV
# Only behind a TLS-terminating proxy that sets X-Forwarded-Proto itself: otherwise clients could
# claim HTTPS. Without it, SECURE_SSL_REDIRECT behind such a proxy would loop.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False)
    else None
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1"] if IS_DEV else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "apps.checkers",
    "apps.notify",
    "apps.orchestration",
    "apps.intelligence",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.database("DATABASE_URL", "sqlite:///db.sqlite3", BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Deployment, and what the deploy.* preflight checks expect to find running.
DEPLOY_METHOD = env.choice("DEPLOY_METHOD", "bare", ("bare", "docker", "systemd"))
# docker: the compose file (relative paths are in the project directory) and its services.
DOCKER_COMPOSE_FILE = BASE_DIR / env.str("DOCKER_COMPOSE_FILE", "docker-compose.yml")
DOCKER_SERVICES = [
    name.strip() for name in env.list("DOCKER_SERVICES", ["web", "worker"]) if name.strip()
]
# systemd: the units that run this service, and the unix socket gunicorn binds.
SYSTEMD_UNITS = [
    name.strip()
    for name in env.list("SYSTEMD_UNITS", ["preflight-web.service", "preflight-worker.service"])
    if name.strip()
]
GUNICORN_SOCKET = env.str("GUNICORN_SOCKET", "/run/preflight/gunicorn.sock")

# Celery
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", "redis://localhost:6379/0")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=IS_DEV)
CELERY_TASK_EAGER_PROPAGATES = True

# Metrics
METRICS_BACKEND = env.choice("METRICS_BACKEND", "logging", ("logging", "statsd"))
STATSD_HOST = env.str("STATSD_HOST")
STATSD_PORT = env.int("STATSD_PORT", 8125, 1, 65535)
STATSD_PREFIX = env.str("STATSD_PREFIX", "preflight")

# Cluster: HUB_URL makes this instance an agent, CLUSTER_ENABLED a hub; both make it a relay.
HUB_URL = env.str("HUB_URL")
HUB_API_KEY = env.str("HUB_API_KEY")
CLUSTER_ENABLED = env.bool("CLUSTER_ENABLED", default=False)
CLUSTER_API_KEY = env.str("CLUSTER_API_KEY")
INSTANCE_ID = env.str("INSTANCE_ID")

# Intelligence: fall back to local rules when the AI provider fails.
INTELLIGENCE_FALLBACK_ENABLED = env.bool("INTELLIGENCE_FALLBACK_ENABLED", default=True)

# Preflight
LOGS_DIR = BASE_DIR / env.str("LOGS_DIR", "logs")
PREFLIGHT_TIMEOUT = env.seconds("PREFLIGHT_TIMEOUT", 5.0)

# Runtime health (manage.py check_health): WARN/CRIT thresholds, in percent used, except the load
# thresholds, which are the 1-minute load average per logical CPU. Options override them.
HEALTH_CPU_WARN, HEALTH_CPU_CRIT = env.thresholds("HEALTH_CPU_WARN", "HEALTH_CPU_CRIT", 80, 95)
HEALTH_MEMORY_WARN, HEALTH_MEMORY_CRIT = env.thresholds(
    "HEALTH_MEMORY_WARN", "HEALTH_MEMORY_CRIT", 85, 95
)
HEALTH_DISK_WARN, HEALTH_DISK_CRIT = env.thresholds("HEALTH_DISK_WARN", "HEALTH_DISK_CRIT", 85, 95)
HEALTH_LOAD_WARN = 1.5
HEALTH_LOAD_CRIT = 3.0
# Comma list of paths whose filesystems to report; relative paths are in the project directory.
HEALTH_DISK_PATHS = env.list("HEALTH_DISK_PATHS", [str(BASE_DIR)])
HEALTH_CPU_INTERVAL = 0.2  # seconds the CPU is sampled for

CONFIG_PROBLEMS = env.problems
