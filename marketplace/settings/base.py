"""Settings shared by every environment. Everything a node operator sets comes from the
environment, so one build serves every town."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The node: its name, currency and language. A town sets these once.
SITE_NAME = os.environ.get("SITE_NAME", "Commonplace")
SITE_TAGLINE = os.environ.get("SITE_TAGLINE", "")
DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", "EUR")
CURRENCIES = (DEFAULT_CURRENCY,)
# Where the map centres when nothing else is known (the demo town).
NODE_CENTRE = (
    float(os.environ.get("NODE_LATITUDE", "52.5163")),
    float(os.environ.get("NODE_LONGITUDE", "13.3777")),
)
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors")
# Postgres text-search configuration used for stemming product text ("simple" does none).
SEARCH_CONFIG = os.environ.get("SEARCH_CONFIG", "english")
# A frequent word can match a fifth of the catalogue: rank a bounded set of candidates only.
SEARCH_MAX_CANDIDATES = int(os.environ.get("SEARCH_MAX_CANDIDATES", "500"))
PRODUCT_PHOTO_MAX_BYTES = int(os.environ.get("PRODUCT_PHOTO_MAX_BYTES", str(8 * 1024 * 1024)))
# The transaction fee copied onto each order, until the members vote on it.
PLATFORM_FEE_PERCENT = os.environ.get("PLATFORM_FEE_PERCENT", "5.00")
# Community points (1 point = 1 cent): the share of an order's goods points may pay for,
# how long points last, how early supporters are reminded, and the largest in-store
# purchase a counter may award points for.
LOYALTY_MAX_DISCOUNT_PERCENT = min(int(os.environ.get("LOYALTY_MAX_DISCOUNT_PERCENT", "50")), 90)
LOYALTY_POINTS_EXPIRE_MONTHS = int(os.environ.get("LOYALTY_POINTS_EXPIRE_MONTHS", "24"))
LOYALTY_EXPIRY_REMINDER_DAYS = int(os.environ.get("LOYALTY_EXPIRY_REMINDER_DAYS", "30"))
LOYALTY_MAX_COUNTER_PURCHASE = int(os.environ.get("LOYALTY_MAX_COUNTER_PURCHASE", "2000"))
# Presales: days a pledge "paid at the shop" waits for the money; reminder before redemption ends.
PRESALE_AT_SHOP_PAYMENT_DAYS = int(os.environ.get("PRESALE_AT_SHOP_PAYMENT_DAYS", "7"))
PRESALE_REMINDER_DAYS = int(os.environ.get("PRESALE_REMINDER_DAYS", "14"))
# The cooperative's rules. Who is a member: any of shop, collective, supporter.
GOVERNANCE_MEMBER_KINDS = env_list("GOVERNANCE_MEMBER_KINDS", "shop")
# Share of members who must vote (abstentions count) for a vote to be valid.
GOVERNANCE_QUORUM_PERCENT = os.environ.get("GOVERNANCE_QUORUM_PERCENT", "50")
# "simple" (more yes than no) or "two_thirds" (yes at least two thirds of yes and no).
GOVERNANCE_MAJORITY = os.environ.get("GOVERNANCE_MAJORITY", "simple")
GOVERNANCE_VOTING_DAYS = int(os.environ.get("GOVERNANCE_VOTING_DAYS", "14"))
# The range a fee proposal may ask for, in percent.
GOVERNANCE_FEE_MIN_PERCENT = os.environ.get("GOVERNANCE_FEE_MIN_PERCENT", "0")
GOVERNANCE_FEE_MAX_PERCENT = os.environ.get("GOVERNANCE_FEE_MAX_PERCENT", "15")
# Secret ballot: tallies hidden until the close and nobody's choice ever shown.
GOVERNANCE_SECRET_BALLOT = env_bool("GOVERNANCE_SECRET_BALLOT", True)
# Card orders left unpaid this long are cancelled and their stock released.
UNPAID_ORDER_TIMEOUT_MINUTES = int(os.environ.get("UNPAID_ORDER_TIMEOUT_MINUTES", "30"))
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# Requests per minute one inventory-API token may make.
API_RATE_LIMIT_PER_MINUTE = int(os.environ.get("API_RATE_LIMIT_PER_MINUTE", "120"))
# Couriers: riding speed and how much longer streets are than the straight line.
BIKE_SPEED_KMH = float(os.environ.get("BIKE_SPEED_KMH", "15"))
ROUTE_DETOUR_FACTOR = float(os.environ.get("ROUTE_DETOUR_FACTOR", "1.3"))
# Shopping lists: the node's area around NODE_CENTRE, how far offers are looked for from the
# customer, and walking speed for trip times.
NODE_RADIUS_KM = float(os.environ.get("NODE_RADIUS_KM", "15"))
SHOPPING_LIST_RADIUS_KM = float(os.environ.get("SHOPPING_LIST_RADIUS_KM", "8"))
WALKING_SPEED_KMH = float(os.environ.get("WALKING_SPEED_KMH", "4.5"))
# Open jobs nobody claimed in this many minutes are assigned in the background.
JOB_AUTO_ASSIGN_AFTER_MINUTES = int(os.environ.get("JOB_AUTO_ASSIGN_AFTER_MINUTES", "10"))
PAYMENT_PROVIDERS = [
    "orders.payments.stripe_card.StripeCard",
    "orders.payments.on_collection.PayOnCollection",
]
GEOCODER_URL = os.environ.get("GEOCODER_URL", "")
GEOCODER_USER_AGENT = os.environ.get("GEOCODER_USER_AGENT", "commonplace")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sites",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_filters",
    "django_htmx",
    "template_partials",
    "djmoney",
    "marketplace",
    "shops",
    "orders",
    "logistics",
    "loyalty",
    "governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "marketplace.db_router.CatalogueReplicaMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"
ASGI_APPLICATION = "marketplace.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "marketplace.context_processors.node",
            ],
        },
    },
]

(BASE_DIR / "var" / "static").mkdir(parents=True, exist_ok=True)
# Behind PgBouncer in transaction pooling a server-side cursor (`.iterator()`) may meet
# another client's connection, so Django must not open them (DISABLE_SERVER_SIDE_CURSORS=1).
DATABASE_OPTIONS = {
    "conn_max_age": int(os.environ.get("CONN_MAX_AGE", "60")),
    # A kept connection that broke (the database restarted) is replaced at the next
    # request's first query, so the site recovers without a restart.
    "conn_health_checks": True,
    "disable_server_side_cursors": env_bool("DISABLE_SERVER_SIDE_CURSORS", False),
}
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'commonplace.sqlite3'}", **DATABASE_OPTIONS
    )
}
# A Postgres streaming replica for the public catalogue's reads (marketplace.db_router):
# without DATABASE_REPLICA_URL there is no "replica" alias and every query goes to default.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, **DATABASE_OPTIONS)
    # An unreachable replica costs a page at most this long before it is served from the
    # primary (marketplace.db_router).
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
CATALOGUE_READ_DATABASE = "replica" if DATABASE_REPLICA_URL else "default"
DATABASE_ROUTERS = ["marketplace.db_router.CatalogueReplicaRouter"]
# After a browser sent a form, its catalogue pages read from the primary this long: longer
# than the replica normally lags, so a shop sees the price it just saved.
REPLICA_PIN_SECONDS = int(os.environ.get("REPLICA_PIN_SECONDS", "10"))
# The embedded SQLite setup: a write transaction takes the write lock when it begins
# (IMMEDIATE), so two requests never both read and then fail to upgrade to a write ("database
# is locked"); a request waiting for the lock waits up to `timeout` seconds. Postgres is
# unaffected.
SQLITE_OPTIONS = {"transaction_mode": "IMMEDIATE", "timeout": 20}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), **SQLITE_OPTIONS}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "marketplace.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Accounts: email is the login; addresses must be verified before an account is used.
SITE_ID = 1
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_FORMS = {"signup": "marketplace.forms.FriendlySignupForm"}
LOGIN_REDIRECT_URL = "marketplace:profile"
LOGIN_URL = "account_login"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Commonplace <noreply@localhost>")

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
FORMAT_MODULE_PATH = ["marketplace.formats"]
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
# Where `manage.py backup` (`make backup`) writes its timestamped folders.
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", BASE_DIR / "var" / "backups"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Static files: collectstatic names each file by its content's hash and writes gzip and
# (with the brotli package) brotli copies beside it; WhiteNoise serves a hashed name with
# "max-age=315360000, public, immutable", so a browser or CDN never asks again, and the
# few unhashed names for a minute.
WHITENOISE_MAX_AGE = 0 if DEBUG else 60
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Background work: a Celery worker with beat runs beside the web server (`make run` starts
# both), so queued tasks and the scheduled jobs below run in every setup. The broker is Redis
# when REDIS_URL is set; otherwise kombu's filesystem transport keeps messages as files under
# BROKER_DIR, so the embedded setup needs no server and a message waits there until a worker
# takes it. (That transport has no visibility timeout: a message held by a worker that is
# killed, not stopped, is lost; the outbox's sweep sends such a side effect again.)
REDIS_URL = os.environ.get("REDIS_URL", "")
BROKER_DIR = Path(os.environ.get("BROKER_DIR", BASE_DIR / "var" / "broker"))
# Time limits: past the soft limit a task gets SoftTimeLimitExceeded (its transaction rolls
# back), past the hard one its process is killed. An email, a refund call or a sweep takes
# seconds, so minutes mean something hangs. The catalogue import applies up to 50,000 rows
# in one transaction (40 s measured on a busy 2-core machine): it gets ten minutes.
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_ANNOTATIONS = {
    "shops.tasks.apply_product_import_task": {"soft_time_limit": 10 * 60, "time_limit": 11 * 60}
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Redis gives a message that was taken but not acknowledged (tasks are acknowledged when
    # done) to another worker after this long. Longer than the longest hard limit (the
    # import, 11 min), so a running task is not delivered twice, and a killed worker's
    # message comes back within 15 minutes instead of kombu's default hour. (A retry whose
    # countdown is longer is handed to a second worker as well: tasks must be idempotent.)
    # A short connect timeout: with Redis unreachable, the outbox relay gives up at once and
    # the request still succeeds (the sweep sends the message later).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 15 * 60, "socket_connect_timeout": 1}
else:
    # The host means nothing to this transport; naming one keeps kombu from warning.
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
    }
    for folder in ("queue", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
# Tasks go to the worker, never run inside a request (only the test settings run them so).
CELERY_TASK_ALWAYS_EAGER = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged only once it finished and re-queued if its worker dies: every task
# must therefore be idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Queues: email waits on "mail" and courier assignment on "assignment", so a burst of mail
# or a long assignment run never delays the other, nor refunds, thumbnails and imports on
# "celery". A worker started without -Q (`make run`, the tests) consumes every queue named
# here; docker-compose runs a worker per queue. A route to a queue missing here would strand
# its tasks: tests/test_celery_queues.py checks that none does.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ("celery", "mail", "assignment")]
CELERY_TASK_ROUTES = {
    "marketplace.tasks.deliver_outbox_mail_task": {"queue": "mail"},
    "logistics.tasks.assign_waiting_jobs_task": {"queue": "assignment"},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "assign-waiting-jobs": {
        "task": "logistics.tasks.assign_waiting_jobs_task",
        "schedule": 60,
    },
    "purge-delivery-personal-data": {
        "task": "logistics.tasks.purge_delivery_personal_data_task",
        "schedule": 24 * 3600,
    },
    "check-trial-balance": {
        "task": "loyalty.tasks.check_trial_balance_task",
        "schedule": 24 * 3600,
    },
    "recalculate-supporter-levels": {
        "task": "loyalty.tasks.recalculate_levels_task",
        "schedule": 24 * 3600,
    },
    "expire-old-points": {
        "task": "loyalty.tasks.expire_points_task",
        "schedule": 24 * 3600,
    },
    "remind-expiring-points": {
        "task": "loyalty.tasks.remind_expiring_points_task",
        "schedule": 24 * 3600,
    },
    "settle-points-between-shops": {
        "task": "loyalty.tasks.settle_points_task",
        "schedule": 6 * 3600,
    },
    "close-due-campaigns": {
        "task": "loyalty.tasks.close_due_campaigns_task",
        "schedule": 60,
    },
    "open-due-redemptions": {
        "task": "loyalty.tasks.open_due_redemptions_task",
        "schedule": 3600,
    },
    "end-due-redemptions": {
        "task": "loyalty.tasks.end_due_redemptions_task",
        "schedule": 3600,
    },
    "lapse-unpaid-pledges": {
        "task": "loyalty.tasks.lapse_unpaid_pledges_task",
        "schedule": 15 * 60,
    },
    "remind-presale-supporters": {
        "task": "loyalty.tasks.send_presale_reminders_task",
        "schedule": 24 * 3600,
    },
    "sweep-outbox": {
        "task": "marketplace.tasks.sweep_outbox_task",
        "schedule": 60,
    },
    "cancel-unpaid-orders": {
        "task": "orders.tasks.cancel_unpaid_orders_task",
        "schedule": 60,
    },
    "close-due-proposals": {
        "task": "governance.tasks.close_due_proposals_task",
        "schedule": 60,
    },
}

# The outbox (marketplace.outbox). A lease outlasts any subscriber's work, so a message is
# retried only when its worker really died; ten tries with a doubling pause span ~4 hours.
OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "300"))
OUTBOX_MAX_ATTEMPTS = 10
OUTBOX_SWEEP_GRACE_SECONDS = 30
OUTBOX_BROKER_PAUSE_SECONDS = 10

# Redis shares the cache between processes; while it is unreachable each process falls back
# to its own memory (marketplace.cache), so a Redis outage never becomes an error page.
# Without Redis (the embedded `make run`) the cache is a folder: the web process and the
# worker must agree on the catalogue's version (shops.catalogue_cache), or a page kept by
# one would outlive a change made by the other.
CACHES = {
    "default": (
        {"BACKEND": "marketplace.cache.FailSoftRedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(BASE_DIR / "var" / "cache"),
        }
    )
}
# Sessions are read from the cache and written through to the database: every request reads
# its session, and a database round trip for it was a fifth of a page's statements. A cache
# miss (Redis restarted) falls back to the database, so nobody is signed out by it.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# /readyz answers within this many seconds even when a part it checks hangs, well inside the
# load balancer's own timeout (docker-compose: 5 s).
READINESS_TIMEOUT_SECONDS = 2.0

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
