"""Settings, all from environment variables with development defaults (see .env.example)."""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_bool("DJANGO_REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")
    # Development only; `check --deploy` flags it, and production sets DJANGO_SECRET_KEY.
    SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.humanize",
    # Third party
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_prometheus",
    # Local, from the shell down to the base (the layers contract in pyproject.toml)
    "observatory",  # the shell; it keeps its migration history (the tables its models had moved to city/indicators)
    "demo",
    "briefs",
    "dashboards",
    "opendata",
    "grants",
    "open311",
    "interventions",
    "cases",
    "indicators",
    "surveys",
    "reports",
    "sensors",
    "city",
]

MIDDLEWARE = [
    # First, so every later middleware's log lines carry the request id, and last to see the answer.
    "observatory.middleware.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "observatory.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "observatory.middleware.CityLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "observatory.middleware.StaffPagesNotStoredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "observatory.urls"
WSGI_APPLICATION = "observatory.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "observatory.context_processors.site",
                "city.context_processors.staff_links",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgis://observatory:observatory@127.0.0.1:5432/observatory"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# GeoDjango needs the PostGIS backend whatever scheme the URL used (postgres://, postgresql://).
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "observatory",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(8 * 3600)))  # one working shift

# Italian first, English one tap away.
LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("OBSERVATORY_TIME_ZONE", "Europe/Rome")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end libraries come from npm (package.json) and are served from /static/vendor/, never a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap-italia", NODE_MODULES / "bootstrap-italia" / "dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    # Drawing a place (point, line, area) on the interventions form.
    ("vendor/leaflet-geoman", NODE_MODULES / "@geoman-io" / "leaflet-geoman-free" / "dist"),
    # The basic bundle (scatter, bar, pie): the only traces the dashboards draw, a third of the full one.
    ("vendor/plotly", NODE_MODULES / "plotly.js-basic-dist-min"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Vendor CSS refers to a few files its packages do not ship (source maps); do not fail on them.
WHITENOISE_MANIFEST_STRICT = False
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
# MEDIA_ROOT is never served as a directory: photos go out through a view that checks who may see them
# (city/protected_media.py). Set this to an internal nginx location mapped to MEDIA_ROOT (e.g.
# "/protected-media/") and the view answers with X-Accel-Redirect for nginx to send the file.
OBSERVATORY_MEDIA_ACCEL_REDIRECT = env("OBSERVATORY_MEDIA_ACCEL_REDIRECT", "")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The reverse proxies (addresses or CIDR networks) whose X-Forwarded-For is believed: behind them the client is
# the right-most address they did not add (city/clientip.py), for the rate limit and django-axes alike.
# Empty (the default): REMOTE_ADDR is the client. gunicorn.conf.py reads the same variable.
OBSERVATORY_TRUSTED_PROXIES = env_list("OBSERVATORY_TRUSTED_PROXIES", "")
for _proxy in OBSERVATORY_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy)  # strict, as gunicorn reads it: 10.0.0.0/24, not 10.0.0.5/24
    except ValueError:
        raise ImproperlyConfigured(
            f"OBSERVATORY_TRUSTED_PROXIES must list IP addresses or CIDR networks, not {_proxy!r}"
        ) from None
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG and bool(os.environ.get("DJANGO_SECRET_KEY")))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(env("DJANGO_SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0

# --- security headers: what a browser may load, send and expose (docs/deployment.md, "Security headers") ---
# The base map's tiles: a Leaflet URL template. OpenStreetMap's own server suits development and a trial
# only (its tile usage policy forbids production traffic); `check --deploy` says so (observatory.W001).
# Production: the city's own tile server or a contracted provider, see docs/deployment.md. Empty: no base map.
OBSERVATORY_MAP_TILES_URL = env("OBSERVATORY_MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
OBSERVATORY_MAP_TILES_ATTRIBUTION = env("OBSERVATORY_MAP_TILES_ATTRIBUTION", "&copy; OpenStreetMap contributors")


def tiles_source(url_template: str) -> list[str]:
    """The CSP source of a tile URL template: its origin, a wildcard for a ``{s}`` subdomain; [] for none."""
    if not url_template:
        return []
    scheme, _sep, rest = url_template.partition("://")
    host = rest.split("/", 1)[0].replace("{s}", "*")
    if not scheme or not host or "{" in host:
        raise ImproperlyConfigured(f"OBSERVATORY_MAP_TILES_URL must be an absolute URL, not {url_template!r}")
    return [f"{scheme}://{host}"]


SELF, NONE = "'self'", "'none'"
# Scripts come only from our own static files: no inline script, no eval. Styles allow inline because
# Bootstrap Italia writes its @font-face rules into a <style> element and Leaflet and Plotly set style
# attributes; a style cannot run code. Images: our files, the tiles, and the data: URIs of Bootstrap
# Italia's and Leaflet's icons. ReDoc renders in a blob: web worker.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:", *tiles_source(OBSERVATORY_MAP_TILES_URL)],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page uses are switched off; the report form asks for the position (geolocation).
OBSERVATORY_PERMISSIONS_POLICY = (
    "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), serial=(), "
    "magnetometer=(), gyroscope=(), accelerometer=(), display-capture=()"
)

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "osservatorio@example.org")
# Where citizens and staff reach the site: links in e-mails and PDFs are absolute (city.outbox.absolute_url).
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
# SMTP, used when EMAIL_BACKEND is django.core.mail.backends.smtp.EmailBackend (production).
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "587"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "10"))

# One line per record on standard error, with time, level, logger, the request id (web) or the task id
# and name (Celery), then the message. LOG_FORMAT=json writes the same fields as one JSON object a line,
# for a log collector (Loki, Elasticsearch, the city's SIEM).
LOG_FORMAT = env("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
_LOG_FIELDS = "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s task_id=%(task_id)s task=%(task_name)s"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "city.logcontext.ContextFilter"}},
    "formatters": {
        "text": {"format": _LOG_FIELDS + " %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(task_id)s %(task_name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger", "task_name": "task"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}

# Error reporting to Sentry or a self-hosted GlitchTip (same protocol): set the project's DSN. Off when empty.
SENTRY_DSN = env("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", "production")
SENTRY_RELEASE = env("SENTRY_RELEASE", "")  # empty: the SDK's guess (a git checkout's commit), else none
SENTRY_TRACES_SAMPLE_RATE = float(env("SENTRY_TRACES_SAMPLE_RATE", "0"))
if SENTRY_DSN:
    from observatory.errorreports import sentry_init

    # No personal data: citizens' texts, e-mails, addresses and cookies stay out (observatory/errorreports.py).
    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# Prometheus metrics at /metrics (observatory/metrics.py). Allowed when the request carries
# "Authorization: Bearer <OBSERVATORY_METRICS_TOKEN>" or comes from OBSERVATORY_METRICS_NETWORKS
# (addresses or CIDRs, comma-separated); with neither set, nobody may read them. gunicorn's workers
# share their counters through files in PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py empties it at start).
OBSERVATORY_METRICS_TOKEN = env("OBSERVATORY_METRICS_TOKEN", "")
OBSERVATORY_METRICS_NETWORKS = env_list("OBSERVATORY_METRICS_NETWORKS", "")
for _network in OBSERVATORY_METRICS_NETWORKS:
    try:
        ipaddress.ip_network(_network)
    except ValueError:
        raise ImproperlyConfigured(
            f"OBSERVATORY_METRICS_NETWORKS must list IP addresses or CIDR networks, not {_network!r}"
        ) from None
PROMETHEUS_EXPORT_MIGRATIONS = False

# Celery: every task idempotent and keyed by business ids; nothing relies on exactly-once delivery.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = int(env("CELERY_TASK_TIME_LIMIT", "1800"))
CELERY_TASK_SOFT_TIME_LIMIT = int(env("CELERY_TASK_SOFT_TIME_LIMIT", "1700"))
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker logs through LOGGING above (with the task id on each line), not through a root logger of its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Redis redelivers a task whose worker died after this many seconds (acks_late); the default outlasts
# the longest task. Tests that kill a worker set it short.
_VISIBILITY_TIMEOUT = int(env("CELERY_VISIBILITY_TIMEOUT", str(CELERY_TASK_TIME_LIMIT + 600)))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    # kombu scans for expired unacked messages every interval x throttle seconds (10 x 10 by default);
    # a short visibility timeout gets a scan about as often as the timeout itself.
    "unacked_restore_interval": min(10, _VISIBILITY_TIMEOUT),
    "unacked_restore_throttle": max(1, min(10, _VISIBILITY_TIMEOUT // 10)),
}
CELERY_TIMEZONE = TIME_ZONE
# The one beat schedule: every periodic task of every app.
CELERY_BEAT_SCHEDULE = {
    # Stale markers whose queued recompute was lost (broker down) are picked up within a minute.
    "recompute-stale-indicators": {"task": "indicators.tasks.recompute_stale_indicators", "schedule": 60.0},
    # The nightly full recompute, then hot spots and alerts, chained (indicators.tasks.nightly_indicators).
    "recompute-all-indicators-nightly": {
        "task": "indicators.tasks.nightly_indicators",
        "schedule": crontab(hour=7, minute=15),
    },
    "erase-expired-report-contacts": {
        "task": "reports.tasks.erase_expired_contacts",
        "schedule": crontab(hour=3, minute=40),
    },
    "sensors-health": {"task": "sensors.tasks.check_sensor_health", "schedule": 300.0},
    # Intersectoral work: reminders after days without activity, escalation of overdue tasks to coordinators,
    # the daily digest and the "is it fixed?" questionnaire four weeks after a case closes (cases.tasks).
    "case-task-reminders": {"task": "cases.tasks.send_task_reminders", "schedule": crontab(hour=8, minute=0)},
    "case-overdue-escalation": {"task": "cases.tasks.escalate_overdue_tasks", "schedule": crontab(hour=8, minute=10)},
    "case-daily-digests": {"task": "cases.tasks.send_daily_digests", "schedule": crontab(hour=7, minute=45)},
    "case-questionnaires": {"task": "cases.tasks.send_questionnaires", "schedule": crontab(hour=10, minute=0)},
    "case-alert-notices": {"task": "cases.tasks.notify_new_alerts", "schedule": 300.0},
    # Surveys: reminders to the non-respondents of open probability campaigns (surveys.tasks), mid-morning.
    "survey-reminders": {"task": "surveys.tasks.send_survey_reminders", "schedule": crontab(hour=9, minute=30)},
    # E-mails whose first send failed (mail server or broker down) are retried by this sweep (city.outbox).
    "send-due-emails": {"task": "city.tasks.send_due_emails", "schedule": 60.0},
    # Retention: sent e-mails leave the outbox, survey invitees' addresses are erased after their campaign.
    "purge-sent-emails": {"task": "city.tasks.purge_sent_emails", "schedule": crontab(hour=3, minute=50)},
    "erase-survey-invitee-contacts": {
        "task": "surveys.tasks.erase_invitee_contacts",
        "schedule": crontab(hour=4, minute=0),
    },
    # The open-data files, after the nightly recompute (opendata/services.py).
    "refresh-open-data-nightly": {"task": "opendata.tasks.refresh_open_data", "schedule": crontab(hour=7, minute=45)},
    # Applicants with drafts not yet submitted are reminded once, GRANTS_DRAFT_REMINDER_DAYS before the deadline.
    "grants-draft-reminders": {"task": "grants.applicants.tasks.remind_draft_deadlines", "schedule": 3600.0},
    # Beneficiaries whose progress report falls due within GRANTS_REPORT_REMINDER_DAYS: once per milestone.
    "grants-report-reminders": {
        "task": "grants.beneficiaries.tasks.send_report_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    # Proof for /healthz/ready that beat's schedule runs (and a worker takes its tasks).
    "beat-heartbeat": {"task": "city.tasks.beat_heartbeat", "schedule": 60.0},
}
# Readiness (/healthz/ready): how old each sign of life may be before the observatory counts as not ready.
OBSERVATORY_READY_BEAT_MAX_AGE_SECONDS = int(env("OBSERVATORY_READY_BEAT_MAX_AGE_SECONDS", "300"))
OBSERVATORY_READY_MQTT_MAX_AGE_SECONDS = int(env("OBSERVATORY_READY_MQTT_MAX_AGE_SECONDS", "120"))
# 0: the deployment runs no MQTT subscriber, and readiness does not look for one.
OBSERVATORY_READY_MQTT = env_bool("OBSERVATORY_READY_MQTT", True)
# The nightly recompute runs every 24 h; a day and a half without fresh indicators means it stopped.
OBSERVATORY_READY_INDICATORS_MAX_AGE_HOURS = float(env("OBSERVATORY_READY_INDICATORS_MAX_AGE_HOURS", "36"))

REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": [
        "city.jsonparser.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # Open311 POST (open311/throttles.py): per API key and per client address; "off" switches one off.
    "DEFAULT_THROTTLE_RATES": {
        "open311_key": env("OPEN311_RATE_LIMIT_PER_KEY", "600/hour"),
        "open311_ip": env("OPEN311_RATE_LIMIT_PER_IP", "60/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Urban Safety Observatory API",
    "DESCRIPTION": "Perceived night-time safety: reports, sensors, indicators and funded projects.",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
}

# The observatory's own knobs.
# Night-time slots as (code, start hour, end hour) in local time; together they must cover the
# day exactly once. A night belongs to the evening it started: night_of = local date of (t - 6 h).
OBSERVATORY_NIGHT_STARTS_HOURS = int(env("OBSERVATORY_NIGHT_STARTS_HOURS", "6"))
OBSERVATORY_SLOTS = env("OBSERVATORY_SLOTS", "evening=18-22,night=22-2,late_night=2-6,day=6-18")
OBSERVATORY_CITY_CENTRE = (45.0703, 7.6869)  # Torino, Piazza Castello (lat, lon)
OBSERVATORY_REPORT_MAX_AGE_DAYS = int(env("OBSERVATORY_REPORT_MAX_AGE_DAYS", "365"))
# The plausible window for any date sent to the observatory (reports, readings, period filters, Open311
# dates): from this day to today plus OBSERVATORY_FUTURE_DAYS. Outside it a date is refused with a 400.
OBSERVATORY_EARLIEST_DATE = env("OBSERVATORY_EARLIEST_DATE", "2000-01-01")
OBSERVATORY_FUTURE_DAYS = int(env("OBSERVATORY_FUTURE_DAYS", "366"))
# Every JSON body (API, sensor batches, MQTT payloads) is parsed within these limits (city/jsonparser.py).
OBSERVATORY_JSON_MAX_BYTES = int(env("OBSERVATORY_JSON_MAX_BYTES", str(4 * 1024 * 1024)))
OBSERVATORY_JSON_MAX_DEPTH = int(env("OBSERVATORY_JSON_MAX_DEPTH", "20"))
DEMO_PASSWORD = env("DEMO_PASSWORD", "observatory-demo")

# Debian 12 ships GDAL 3.6; only staff-run imports read files through GDAL here, so the GDAL 3.9
# sandboxing advice (gis.W001) is noted in docs/deployment.md rather than repeated on every command.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# --- reports & open311: citizen channel, moderation, privacy, Open311 GeoReport v2 ---
# Per-address submission limit for the citizens' forms (reports, audits, abuse flags) and the public API, kept
# in Redis (reports/ratelimit.py): the sustained rate "N/s|m|h|d", or "off", and how many of those may go at
# once (at most N; empty: N). Only what is really sent counts: a form with errors or the duplicates step costs nothing.
# Open311 clients are limited by their api_key instead.
OBSERVATORY_REPORT_RATE_LIMIT = env("OBSERVATORY_REPORT_RATE_LIMIT", "30/h")
OBSERVATORY_REPORT_RATE_BURST = env("OBSERVATORY_REPORT_RATE_BURST", "10")
# Public locations of reports are snapped to a grid of this many metres (police.uk, Ushahidi do the same).
OBSERVATORY_PRIVACY_GRID_M = float(env("OBSERVATORY_PRIVACY_GRID_M", "150"))
OBSERVATORY_PHOTO_MAX_BYTES = int(env("OBSERVATORY_PHOTO_MAX_BYTES", str(8 * 1024 * 1024)))
OBSERVATORY_PHOTO_MAX_PIXELS = int(env("OBSERVATORY_PHOTO_MAX_PIXELS", str(40_000_000)))
# Possible duplicates shown before submitting: same category, open, this close and this recent.
OBSERVATORY_DUPLICATE_RADIUS_M = float(env("OBSERVATORY_DUPLICATE_RADIUS_M", "250"))
OBSERVATORY_DUPLICATE_DAYS = int(env("OBSERVATORY_DUPLICATE_DAYS", "7"))
# Contact e-mails (and names, phones) are erased this many days after the report was submitted.
OBSERVATORY_CONTACT_RETENTION_DAYS = int(env("OBSERVATORY_CONTACT_RETENTION_DAYS", "180"))
# Sent (or given-up) e-mails leave the outbox this many days later (city.outbox.outbox_purge).
OBSERVATORY_OUTBOX_RETENTION_DAYS = int(env("OBSERVATORY_OUTBOX_RETENTION_DAYS", "30"))
# Intersectoral work (cases): the default answer time and the reminder after days without activity (a category
# and priority may set their own in the admin), the patron saint's day the offices close ("MM-DD", Torino's
# San Giovanni; empty for none), and the days after a case closes when citizens are asked "is it fixed?".
OBSERVATORY_CASE_ANSWER_DAYS = int(env("OBSERVATORY_CASE_ANSWER_DAYS", "30"))
OBSERVATORY_CASE_REMINDER_DAYS = int(env("OBSERVATORY_CASE_REMINDER_DAYS", "10"))
OBSERVATORY_PATRON_SAINT_DAY = env("OBSERVATORY_PATRON_SAINT_DAY", "06-24")
OBSERVATORY_QUESTIONNAIRE_DAYS = int(env("OBSERVATORY_QUESTIONNAIRE_DAYS", "28"))
OPEN311_CONTACT = env("OPEN311_CONTACT", "osservatorio@example.org")
# The one jurisdiction this GeoReport v2 endpoint serves (shown in discovery); a request naming another
# jurisdiction_id is answered 404. By Open311 custom it is the city's domain name.
OPEN311_JURISDICTION_ID = env("OPEN311_JURISDICTION_ID", "comune.torino.it")
OPEN311_KEY_SERVICE = env(
    "OPEN311_KEY_SERVICE", "Ask the observatory team for a key (manage.py open311_key create NAME)"
)

# --- opendata: the public files and their DCAT-AP_IT catalogue (docs/deployment.md, "Open data") ---
# Beside the photos by default: the media volume is the one that web and workers share (the worker writes the
# files, web serves them through opendata.views, never as a directory).
OPENDATA_ROOT = Path(env("OPENDATA_ROOT", str(MEDIA_ROOT / "opendata")))
# Publisher and rights holder as dati.gov.it knows them: their name and code in the IPA index
# (indicepa.gov.it); c_l219 is the Comune di Torino's.
OPENDATA_PUBLISHER_NAME = env("OPENDATA_PUBLISHER_NAME", "Comune di Torino")
OPENDATA_PUBLISHER_IPA_CODE = env("OPENDATA_PUBLISHER_IPA_CODE", "c_l219")
OPENDATA_RIGHTS_HOLDER_NAME = env("OPENDATA_RIGHTS_HOLDER_NAME", OPENDATA_PUBLISHER_NAME)
OPENDATA_RIGHTS_HOLDER_IPA_CODE = env("OPENDATA_RIGHTS_HOLDER_IPA_CODE", OPENDATA_PUBLISHER_IPA_CODE)
OPENDATA_CONTACT_NAME = env("OPENDATA_CONTACT_NAME", "Osservatorio sulla sicurezza urbana")
OPENDATA_CONTACT_EMAIL = env("OPENDATA_CONTACT_EMAIL", "osservatorio@example.org")
# --- the public site's frame: the privacy notice (GDPR art. 13) and the accessibility statement (AgID) ---
# Who is responsible for the citizens' data (name and address), shown in the footer and the privacy notice.
OBSERVATORY_PRIVACY_CONTROLLER = env(
    "OBSERVATORY_PRIVACY_CONTROLLER", "Città di Torino, Piazza Palazzo di Città 1, 10122 Torino"
)
# How to reach the data protection officer (an e-mail address or a page), in the privacy notice.
OBSERVATORY_PRIVACY_DPO_CONTACT = env("OBSERVATORY_PRIVACY_DPO_CONTACT", "rpd@example.org")
# The city's accessibility statement, published through AgID's form (https://form.agid.gov.it/), linked in
# every page's footer as the Stanca law (L. 4/2004) and AgID's guidelines require.
OBSERVATORY_ACCESSIBILITY_STATEMENT_URL = env("OBSERVATORY_ACCESSIBILITY_STATEMENT_URL", "https://form.agid.gov.it/")

# --- grants: how far a funded site reaches into zones, and the size limit of application PDFs ---
GRANTS_ZONE_BUFFER_METRES = float(env("GRANTS_ZONE_BUFFER_METRES", "150"))
GRANTS_ATTACHMENT_MAX_BYTES = int(env("GRANTS_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# Days before a call's deadline when the owner of a draft not yet submitted is reminded (once).
GRANTS_DRAFT_REMINDER_DAYS = int(env("GRANTS_DRAFT_REMINDER_DAYS", "3"))
# A payment to a project granted more than this needs a cleared anti-mafia check (D.lgs. 159/2011 art. 83, 91).
GRANTS_ANTIMAFIA_THRESHOLD_EUR = env("GRANTS_ANTIMAFIA_THRESHOLD_EUR", "150000")
# Grants above this are published under D.lgs. 33/2013 art. 26-27 (a condition of their effect: no payment before).
GRANTS_PUBLICATION_THRESHOLD_EUR = env("GRANTS_PUBLICATION_THRESHOLD_EUR", "1000")
# Beneficiaries are reminded this many days before a milestone's progress report is due (once per milestone).
GRANTS_REPORT_REMINDER_DAYS = int(env("GRANTS_REPORT_REMINDER_DAYS", "7"))

# --- sensors: batch limits, the MQTT broker the subscriber reads, and the silent-sensor check ---
SENSORS_MAX_BATCH = 10_000  # readings per HTTP request or MQTT message
SENSORS_CLOCK_SKEW_SECONDS = int(env("SENSORS_CLOCK_SKEW_SECONDS", "300"))
SENSORS_SILENT_FACTOR = float(env("SENSORS_SILENT_FACTOR", "3"))
MQTT_HOST = env("MQTT_HOST", "127.0.0.1")
MQTT_PORT = int(env("MQTT_PORT", "1883"))
MQTT_USERNAME = env("MQTT_USERNAME", "")
MQTT_PASSWORD = env("MQTT_PASSWORD", "")
MQTT_CLIENT_ID = env("MQTT_CLIENT_ID", "observatory-ingest")
MQTT_TOPIC = "observatory/sensors/+/readings"

# --- indicators: composite weights, alerts, hot spots ---
# Perceived Safety Index weights (docs/methodology.md): "component=weight,..."; unnamed components keep
# the default weight their declaration in indicators/registry.py gives them.
OBSERVATORY_PSI_WEIGHTS = env("OBSERVATORY_PSI_WEIGHTS", "")
# Alerts: smallest n on each side of the comparison, and the false-discovery rate they are held to.
OBSERVATORY_ALERT_MIN_N = int(env("OBSERVATORY_ALERT_MIN_N", "30"))
OBSERVATORY_ALERT_FDR = float(env("OBSERVATORY_ALERT_FDR", "0.05"))
# Hot spots: permutations of the conditional randomisation (fixed seed) and the FDR level.
OBSERVATORY_HOTSPOT_PERMUTATIONS = int(env("OBSERVATORY_HOTSPOT_PERMUTATIONS", "999"))

# --- surveys: weighting and estimates (docs/methodology.md, "Surveys") ---
# A survey estimate resting on fewer effective answers (Kish's n for the weighted share, the
# equivalent n of its MSE for the small-area one) is withheld as "too few answers".
SURVEYS_MIN_EFFECTIVE_N = float(env("SURVEYS_MIN_EFFECTIVE_N", "10"))
# Before raking, a margin level (a zone's age band, a zone's sex, a city-wide sex x age band) with fewer
# respondents than this is merged with its neighbour: adjacent age bands, then the sexes (methodology, "Small cells").
SURVEYS_MIN_CELL_SIZE = float(env("SURVEYS_MIN_CELL_SIZE", "20"))
# Reminders to invitees of a probability sample who have neither answered nor opted out: at most this many
# per invitation, each this many days after the last e-mail (the beat's "survey-reminders", daily).
SURVEYS_REMINDERS_MAX = int(env("SURVEYS_REMINDERS_MAX", "2"))
SURVEYS_REMINDER_AFTER_DAYS = int(env("SURVEYS_REMINDER_AFTER_DAYS", "7"))
# Invitees' addresses are erased this many days after their campaign closes (surveys.services).
SURVEYS_CONTACT_RETENTION_DAYS = int(env("SURVEYS_CONTACT_RETENTION_DAYS", "90"))

# --- dashboards: login brute-force protection (django-axes) and session expiry ---
# axes' check first (observatory.auth: AxesStandaloneBackend for every login that carries a request).
AUTHENTICATION_BACKENDS = ["observatory.auth.LoginThrottleBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = 5
AXES_VERBOSE = False  # no banner on every manage.py command
AXES_COOLOFF_TIME = 0.25  # hours: 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # a username from one address
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "observatory/locked_out.html"
# 429 with Retry-After and that page, saying when the lockout lifts; a try while locked out does not move that
# time on (the page's promise holds; an attacker still gets AXES_FAILURE_LIMIT guesses per cool-off at most).
AXES_LOCKOUT_CALLABLE = "observatory.auth.lockout_response"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The address a lockout is for: the client's, also behind the trusted proxies (not the proxy's).
AXES_CLIENT_IP_CALLABLE = "city.clientip.client_ip"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True  # and SESSION_COOKIE_AGE above: one shift at most

# --- login through the city's OpenID Connect broker (SPID / CIE), observatory/oidc.py ---
# Off unless OIDC_RP_CLIENT_ID and the provider's endpoints are set (docs/deployment.md). Users are matched to
# existing accounts by the fiscal-number claim (a beneficiary's member) or the e-mail claim; none is created.
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", "openid email profile")
# The claim carrying the person's codice fiscale: SPID's "fiscalNumber" ("TINIT-<code>"), CIE's, or the broker's.
OIDC_FISCAL_NUMBER_CLAIM = env("OIDC_FISCAL_NUMBER_CLAIM", "fiscal_number")
OIDC_PROVIDER_LABEL = env("OIDC_PROVIDER_LABEL", "SPID / CIE")
OIDC_CREATE_USER = False  # only accounts the city created (staff, beneficiaries' members) may log in
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True)
OIDC_VERIFY_SSL = env_bool("OIDC_VERIFY_SSL", True)
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?oidc=failed"  # the login page says why (mozilla-django-oidc: a path)
# The backend is always listed: it does nothing while OIDC is off (observatory.oidc.oidc_enabled).
AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "observatory.oidc.CityOIDCBackend"]
