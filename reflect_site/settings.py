"""Settings for reflect, driven by environment variables.

SQLite is the default so a fresh checkout just runs; set DATABASE_URL for
PostgreSQL. DEBUG is off unless the environment turns it on (`make run` and
`make test` do), so a production server that forgets a variable fails closed:
it refuses to start without a strong SECRET_KEY and an explicit ALLOWED_HOSTS.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def strong_secret_key(key: str) -> bool:
    """The rule of Django's deploy check (security.W009): long and varied, not a placeholder."""
    return len(key) >= 50 and len(set(key)) >= 5 and not key.startswith("django-insecure-")


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not DEBUG:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    if not strong_secret_key(SECRET_KEY):
        raise ImproperlyConfigured(
            "SECRET_KEY is too weak: use at least 50 characters with at least 5 different ones, "
            "for example the output of `python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
elif not SECRET_KEY:
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name this site's host names when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "courses",
    "grading",
    "activations",
    "reflect_site",  # site-wide rate-limit counters and slots
    "django_tasks",
    "django_tasks_db",  # the background task queue, in this project's own database
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "reflect_site.logging.RequestLogMiddleware",  # early, so its timing and request id cover the rest
    "reflect_site.health.DatabaseUnavailableMiddleware",  # a 503 to retry, not a 500, while the database is down
    "courses.lti.middleware.LtiCookieMiddleware",  # LTI: sees the session and CSRF cookies after they are set
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "courses.lti.middleware.LtiFrameMiddleware",  # LTI: framing by the launch's platform, before the two above
    "reflect_site.security.SessionLifetimeMiddleware",
    "reflect_site.security.SignedInNoStoreMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "reflect_site.urls"

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
            ],
            "builtins": ["courses.templatetags.markdown"],
        },
    },
]

WSGI_APPLICATION = "reflect_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The pages' queries are short; PostgreSQL's JIT compiled the bigger ones (a course's
    # 48,000 answers grouped by question) on every request, at 1-2 s each time.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if env_str("TEST_DATABASE_NAME"):
    # Lets several checkouts run their suites on one PostgreSQL server at once.
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Per-user request limits on the expensive endpoints, "count/period" with period s, m or h.
# They are counted in the database (reflect_site/ratelimit.py), so they hold across app servers.
RATE_LIMITS = {
    "autosave": env_str("RATE_LIMIT_AUTOSAVE", "120/m"),
    "evaluate": env_str("RATE_LIMIT_EVALUATE", "120/m"),
    "benchmark": env_str("RATE_LIMIT_BENCHMARK", "6/m"),
    "import_preview": env_str("RATE_LIMIT_IMPORT_PREVIEW", "20/m"),
    "join": env_str("RATE_LIMIT_JOIN", "10/m"),
}
# How many activation benchmarks may run at once across the whole site.
BENCHMARK_SLOTS = env_int("BENCHMARK_SLOTS", 1)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins while locked out
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: after AXES_FAILURE_LIMIT failures for one username, or from one address,
# logins from it are refused for the cool-off time. The message is the same whether the
# username exists or not; staff unlock in the admin ("Access attempts") or with
# `manage.py axes_reset_username NAME`.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "reflect_site.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "reflect_site.security.client_ip"
AXES_VERBOSE = False
# Load balancers in front of the app servers that append to X-Forwarded-For (0: none).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "courses:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Request bodies above this are refused before a view sees them (answers are
# capped far lower by the word rule; notebooks have their own cap).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
# The largest answer text accepted, in bytes of UTF-8.
RESPONSE_MAX_BYTES = env_int("RESPONSE_MAX_BYTES", 100_000)
# The largest notebook file an import accepts.
NOTEBOOK_MAX_BYTES = env_int("NOTEBOOK_MAX_BYTES", 1_048_576)

SESSION_COOKIE_HTTPONLY = True
# A session ends after SESSION_IDLE_MINUTES without a request, and SESSION_MAX_HOURS after
# logging in whatever happens; reflect_site/security.py slides the idle expiry.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 120)
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # the answer page reads the token from the form, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe /healthz over plain HTTP on the private network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is a promise to browsers that is hard to take back: opt in deliberately.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]  # preload is opt-in, see above

# Content-Security-Policy (django-csp): scripts and styles only from our own static files,
# no inline code, nothing framed, images only from here (so a student's Markdown can't
# make the TA's browser fetch a tracking pixel).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- LTI 1.3 (courses/lti, grading/passback.py) ---------------------------------------------------------------
# The tool's private key (PEM). Unset: one is generated and stored encrypted with a key derived from SECRET_KEY.
LTI_PRIVATE_KEY = env_str("REFLECT_LTI_PRIVATE_KEY")
# Seconds before a call to a platform (keys, tokens, rosters, scores) gives up.
LTI_HTTP_TIMEOUT = env_int("LTI_HTTP_TIMEOUT", 10)
# How long a launch's data (for deep linking and account linking) is kept.
LTI_LAUNCH_DATA_SECONDS = env_int("LTI_LAUNCH_DATA_SECONDS", 3600)
# A score the platform refused is tried this many times, waiting LTI_PASSBACK_RETRY_SECONDS × 2^(attempt-1).
LTI_PASSBACK_MAX_ATTEMPTS = env_int("LTI_PASSBACK_MAX_ATTEMPTS", 5)
LTI_PASSBACK_RETRY_SECONDS = env_int("LTI_PASSBACK_RETRY_SECONDS", 60)
# --- end of LTI 1.3 ----------------------------------------------------------------------------------------------

# Background tasks (django-tasks) wait in the database; `manage.py worker` runs them, and every
# WORKER_TICK_SECONDS it queues each task named in PERIODIC_TASKS (each must be idempotent).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
WORKER_TICK_SECONDS = env_int("WORKER_TICK_SECONDS", 60)
PERIODIC_TASKS = [
    "courses.tasks.deadline_reminders_send",
    "courses.tasks.notice_emails_resume",
    "grading.tasks.scheduled_releases_run",
    "grading.tasks.similar_answers_refresh",
    "courses.lti.tasks.lti_launch_values_purge",
]
# A notice's e-mail is tried this many times, waiting NOTICE_RETRY_SECONDS × 2^(attempt-1) in between.
NOTICE_EMAIL_MAX_ATTEMPTS = env_int("NOTICE_EMAIL_MAX_ATTEMPTS", 6)
NOTICE_RETRY_SECONDS = env_int("NOTICE_RETRY_SECONDS", 60)

# E-mail: printed to the console in development, sent over SMTP in production.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS (STARTTLS, usually port 587) or EMAIL_USE_SSL (port 465), not both.")
# A mail server that doesn't answer fails the attempt (it is retried) instead of holding the worker.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "reflect <noreply@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# The site's address for links in e-mails (the worker that sends them has no request to ask).
SITE_URL = env_str(
    "SITE_URL", "http://127.0.0.1:8000" if DEBUG else f"https://{ALLOWED_HOSTS[0] if ALLOWED_HOSTS else 'localhost'}",
).rstrip("/")

# An invitation's set-your-password link works for this many days (a password reset link: PASSWORD_RESET_TIMEOUT).
INVITATION_TIMEOUT_DAYS = env_int("INVITATION_TIMEOUT_DAYS", 14)
# The largest roster CSV an import reads.
ROSTER_MAX_BYTES = env_int("ROSTER_MAX_BYTES", 2_097_152)

# A request slower than this many milliseconds is logged at WARNING as "slow request".
SLOW_REQUEST_MS = env_int("SLOW_REQUEST_MS", 1000)
# JSON lines for log collectors in production; LOG_FORMAT=text for people at a terminal (the default with DEBUG).
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'json' or 'text'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "reflect_site.logging.JsonFormatter"},
        "text": {"()": "reflect_site.logging.TextFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django's own handlers would print its errors a second time, unformatted; let them reach the root's.
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        # django-axes logs every successful login at INFO; lockouts and failures are WARNING.
        "axes": {"level": "WARNING"},
    },
}
