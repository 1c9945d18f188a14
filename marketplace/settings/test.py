"""The test suite: Postgres when DATABASE_URL is set (CI), otherwise SQLite."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Tests call tasks through the real Celery app; eager mode keeps them in the test's process
# and transaction, while REDIS_URL-dependent tests talk to Redis directly.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# A "replica" alias on the test database itself, as Django's test mirrors do: the routing test
# turns CATALOGUE_READ_DATABASE to it and sees which connection ran each query. Off otherwise,
# so every other test reads and writes through default alone.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
CATALOGUE_READ_DATABASE = "default"
