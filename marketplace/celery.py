"""The Celery app. Broker and behaviour come from Django settings (CELERY_*): Redis with
REDIS_URL, otherwise files under var/broker, so a laptop needs no broker server."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.dev")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
