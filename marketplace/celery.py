"""The Celery app. Broker and behaviour come from Django settings (CELERY_*); without
REDIS_URL, tasks run in-process (eager) so a laptop needs no broker."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.dev")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
