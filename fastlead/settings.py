"""Fast Lead settings: one module, driven by environment variables (see .env.example).

With no environment at all the project runs on the embedded default: SQLite, a file cache
shared by every local process, and Celery on an SQLite broker. Setting DATABASE_URL,
REDIS_URL / CELERY_BROKER_URL switches to PostgreSQL and Redis; nothing else changes.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from fastlead import secrets as fastlead_secrets

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Local state of the embedded default (git-ignored).
VAR_DIR = Path(env("FASTLEAD_VAR_DIR", default=str(BASE_DIR / "var")))
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The embedded default (no DATABASE_URL, or DEBUG) may make up its own secrets; production
# must be given them (fastlead/secrets.py).
EMBEDDED = DEBUG or not env("DATABASE_URL", default="")
SECRET_KEY = fastlead_secrets.required_secret(
    env, "DJANGO_SECRET_KEY", embedded=EMBEDDED, var_dir=VAR_DIR
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Behind TLS (production): secure cookies, HSTS, redirect to https.
HTTPS = env.bool("DJANGO_HTTPS", default=False)
# Reverse proxies whose X-Forwarded-For is believed (CIDR list); empty = use REMOTE_ADDR only.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Bearer token Prometheus sends to /metrics; unset = only scrapers on this machine (loopback).
METRICS_TOKEN = env("METRICS_TOKEN", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # third party
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.yandex",
    "allauth.mfa",  # TOTP and recovery codes: required for staff (/admin/), optional for users
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc as static files (no CDN: our CSP)
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "waffle",
    "corsheaders",
    "django_prometheus",
    "djstripe",
    # Fast Lead
    "apps.core",
    "apps.accounts",
    "apps.tenants",
    "apps.leads",
    "apps.channels",
    "apps.messaging",
    "apps.messaging.rules",
    "apps.web",
    "apps.features",
    "apps.payments",
    "apps.billing",
    "apps.payperlead",
    "apps.ai",
    "apps.enrichment",
    "apps.booking",
    "apps.integrations",
    "apps.upsell",
    "apps.hyropage",
    "apps.privacy",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "apps.core.request_guards.RejectNulMiddleware",
    "apps.accounts.middleware.UserLanguageMiddleware",
    "apps.accounts.middleware.StaffMFAMiddleware",
    "apps.tenants.middleware.TenantMiddleware",
    "apps.billing.middleware.AccessStateMiddleware",
    "apps.privacy.middleware.ClosedCompanyMiddleware",
    "apps.core.pages.DashboardErrorMiddleware",
    "waffle.middleware.WaffleMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "fastlead.urls"
WSGI_APPLICATION = "fastlead.wsgi.application"
ASGI_APPLICATION = "fastlead.asgi.application"
SITE_ID = 1

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
                "apps.tenants.context_processors.tenant_context",
                "apps.billing.context_processors.billing_context",
                "apps.features.context_processors.entitlements_context",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'fastlead.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL plus immediate transactions avoid "locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Persistent connections: connecting per request measured 7x slower here.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=300)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Django turns psycopg's prepared statements off (for connection poolers; none here). Only
    # server-side bound statements can be prepared: the lead writer's inserts, whose few
    # shapes PostgreSQL then stops parsing and planning on every widget submission.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = env.int(
        "DB_PREPARE_THRESHOLD", default=5
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # Redis down is survived (apps/core/redis_outage.py): reads answer "not cached", writes
    # are dropped, the limits fall back; short timeouts so that an unreachable host costs
    # little, and a breaker skips Redis for REDIS_OUTAGE_RETRY_SECONDS after a failure.
    CACHES = {
        "default": {
            "BACKEND": "apps.core.redis_outage.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="fastlead"),
            "OPTIONS": {
                "CLIENT_CLASS": "apps.core.redis_outage.ResilientClient",
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=1.0),
                "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=2.0),
            },
        }
    }
else:
    # A file cache is shared by the web, worker and beat processes of the embedded default,
    # so invalidations (entitlements, rate limits) reach every process.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

REDIS_OUTAGE_RETRY_SECONDS = env.float("REDIS_OUTAGE_RETRY_SECONDS", default=5.0)
# While Redis is down the widget and API throttles count per process (apps/core/
# ratelimit_fallback.py), each limit divided by this (the web processes of one machine).
RATELIMIT_FALLBACK_SHARE = env.int(
    "RATELIMIT_FALLBACK_SHARE", default=env.int("WEB_CONCURRENCY", default=2)
)

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env(
    "CELERY_BROKER_URL",
    default=REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}",
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
# The longest any task may run: imports and exports of big files (apps/leads).
CELERY_LONGEST_TASK_TIME_LIMIT = 3600
# A message a worker took but did not acknowledge (acks_late: it was killed) goes back to the
# queue after the visibility timeout (Redis transport). Set from the longest task time limit,
# so it is never redelivered while a live worker may still run it; no task may set a longer
# limit (a test checks). Short work must not wait that long: enrichment leads still running
# ENRICHMENT_CLAIM_TIMEOUT after their claim are queued again by the recovery beat
# (apps/enrichment/services/recovery.py). The embedded default's SQLite broker has no such
# option (SQLAlchemy refuses it, and every task send would fail).
CELERY_BROKER_VISIBILITY_TIMEOUT = CELERY_LONGEST_TASK_TIME_LIMIT + 60
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    else {}
)
ENRICHMENT_CLAIM_TIMEOUT = env.int("ENRICHMENT_CLAIM_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 120)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES_NAMES = ["default", "ai", "billing", "messaging"]
# Which queue each task goes to, in this one place (tasks do not pick their queue). A task
# named nowhere here runs on "default". Task names are stable (`name=` where a task moved).
CELERY_TASK_ROUTES = {
    "apps.ai.*": {"queue": "ai"},
    "apps.billing.*": {"queue": "billing"},
    "apps.payments.*": {"queue": "billing"},
    "apps.messaging.*": {"queue": "messaging"},
    "apps.integrations.*": {"queue": "messaging"},  # outbound webhooks: outgoing traffic too
    "apps.tenants.tasks.send_invitation_email_task": {"queue": "messaging"},
    "apps.core.tasks.send_mail_task": {"queue": "messaging"},  # e-mail alerts
    "apps.leads.enrichment.tasks.enrich_lead_task": {"queue": "ai"},
    "apps.leads.enrichment.tasks.enrichment_fan_out_task": {"queue": "ai"},
    "apps.leads.enrichment.tasks.enrichment_settle_task": {"queue": "billing"},
    "apps.upsell.tasks.classify_ticket_task": {"queue": "ai"},
    "apps.upsell.tasks.outreach_task": {"queue": "messaging"},
    "apps.hyropage.*": {"queue": "ai"},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"

# --- AI providers (apps/ai) ---------------------------------------------------------------
# With no key a provider runs in its labelled offline mode (heuristics, results marked offline).
ANTHROPIC_API_KEY = env("ANTHROPIC_API_KEY", default="")
ANTHROPIC_BASE_URL = env("ANTHROPIC_BASE_URL", default="https://api.anthropic.com")
ANTHROPIC_MODEL = env("ANTHROPIC_MODEL", default="claude-sonnet-4-6")
ANTHROPIC_MAX_TOKENS = env.int("ANTHROPIC_MAX_TOKENS", default=1024)
# Unset = not sent: API version 2026-10-21 (anthropic SDK 2.x) rejects sampling parameters.
ANTHROPIC_TEMPERATURE = env.float("ANTHROPIC_TEMPERATURE", default=None)
GEMINI_API_KEY = env("GEMINI_API_KEY", default="")
GEMINI_BASE_URL = env("GEMINI_BASE_URL", default="https://generativelanguage.googleapis.com")
GEMINI_MODEL = env("GEMINI_MODEL", default="gemini-2.5-flash")
GEMINI_MAX_TOKENS = env.int("GEMINI_MAX_TOKENS", default=8192)
GEMINI_TEMPERATURE = env.float("GEMINI_TEMPERATURE", default=0.7)
# Shared budget per provider across all workers (0 = no limit); tokens count input + output.
AI_REQUESTS_PER_MINUTE = env.int("AI_REQUESTS_PER_MINUTE", default=50)
AI_TOKENS_PER_MINUTE = env.int("AI_TOKENS_PER_MINUTE", default=80000)
AI_TIMEOUT_SECONDS = env.float("AI_TIMEOUT_SECONDS", default=60.0)
AI_RETRY_MAX_ATTEMPTS = env.int("AI_RETRY_MAX_ATTEMPTS", default=5)
AI_RETRY_MAX_SECONDS = env.float("AI_RETRY_MAX_SECONDS", default=120.0)
# USD per million input/output tokens per model id; a dated version (…-20250929) uses its alias.
AI_PRICES = env.json(
    "AI_PRICES",
    default={
        "claude-sonnet-4-6": {"input": "3", "output": "15"},
        "claude-sonnet-4-5": {"input": "3", "output": "15"},
        "claude-opus-4-6": {"input": "5", "output": "25"},
        "claude-haiku-4-5": {"input": "1", "output": "5"},
        "gemini-2.5-flash": {"input": "0.30", "output": "2.50"},
        "gemini-2.5-pro": {"input": "1.25", "output": "10"},
        "gemini-2.5-flash-lite": {"input": "0.10", "output": "0.40"},
    },
)
# HyroPage (apps/hyropage): its Gemini model, the fallbacks tried in order when a model is
# retired, deprecated or keeps failing, and the parameters (checked at start-up against the
# model's documented limits: apps/hyropage/checks.py). Monthly generations per plan code.
HYROPAGE_MODEL = env("HYROPAGE_MODEL", default="gemini-2.5-flash")
HYROPAGE_FALLBACK_MODELS = env.list("HYROPAGE_FALLBACK_MODELS", default=["gemini-2.5-flash-lite"])
HYROPAGE_MAX_TOKENS = env.int("HYROPAGE_MAX_TOKENS", default=8192)
HYROPAGE_TEMPERATURE = env.float("HYROPAGE_TEMPERATURE", default=0.7)
HYROPAGE_MODEL_LIMITS = env.json("HYROPAGE_MODEL_LIMITS", default={})
HYROPAGE_MONTHLY_GENERATIONS = env.json(
    "HYROPAGE_MONTHLY_GENERATIONS",
    default={"trial": 20, "pro": 100, "business": 500, "*": 20},
)

# --- Payments (apps/payments/gateways) -----------------------------------------------------
# RUB payments go through YooKassa or T-Bank; with no keys the labelled offline sandbox.
YOOKASSA_SHOP_ID = env("YOOKASSA_SHOP_ID", default="")
YOOKASSA_SECRET_KEY = env("YOOKASSA_SECRET_KEY", default="")
YOOKASSA_API_URL = env("YOOKASSA_API_URL", default="https://api.yookassa.ru/v3")
YOOKASSA_CHECK_IP = env.bool("YOOKASSA_CHECK_IP", default=True)
TINKOFF_TERMINAL_KEY = env("TINKOFF_TERMINAL_KEY", default="")
TINKOFF_PASSWORD = env("TINKOFF_PASSWORD", default="")
TINKOFF_API_URL = env("TINKOFF_API_URL", default="https://securepay.tinkoff.ru/v2")
PAYMENTS_RUB_PROVIDER = env(
    "PAYMENTS_RUB_PROVIDER",
    default="yookassa" if YOOKASSA_SHOP_ID else "tinkoff" if TINKOFF_TERMINAL_KEY else "sandbox",
)
if PAYMENTS_RUB_PROVIDER not in ("sandbox", "yookassa", "tinkoff"):
    raise ImproperlyConfigured("PAYMENTS_RUB_PROVIDER must be sandbox, yookassa or tinkoff")
if PAYMENTS_RUB_PROVIDER == "yookassa" and not (YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY):
    raise ImproperlyConfigured("PAYMENTS_RUB_PROVIDER=yookassa needs YOOKASSA_SHOP_ID/SECRET_KEY")
if PAYMENTS_RUB_PROVIDER == "tinkoff" and not (TINKOFF_TERMINAL_KEY and TINKOFF_PASSWORD):
    raise ImproperlyConfigured("PAYMENTS_RUB_PROVIDER=tinkoff needs TINKOFF_TERMINAL_KEY/PASSWORD")
# EUR plans go through Stripe (dj-stripe); with no secret key they use the sandbox (when the
# RUB default is the sandbox). STRIPE_API_BASE points the SDK at a local fake in tests.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
# The Billing Meter's event name for metered (in arrears) AI enrichment.
STRIPE_METER_EVENT_ENRICHMENT = env("STRIPE_METER_EVENT_ENRICHMENT", default="")
# One pinned API version for our calls, dj-stripe's syncs and the webhook endpoint.
STRIPE_API_VERSION = env("STRIPE_API_VERSION", default="2026-05-27.dahlia")
STRIPE_LIVE_MODE = STRIPE_SECRET_KEY.startswith("sk_live_")
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
# dj-stripe's ~100 migrations take minutes on SQLite: the embedded default without a Stripe key
# creates its tables from its models (`migrate --run-syncdb`; the admin works the same). With a
# key, or on PostgreSQL, they run (`prepare_local` fakes them once for tables made that way).
DJSTRIPE_MIGRATIONS = bool(STRIPE_SECRET_KEY) or not DATABASES["default"]["ENGINE"].endswith(
    "sqlite3"
)
MIGRATION_MODULES = {} if DJSTRIPE_MIGRATIONS else {"djstripe": None}

# --- Invoices (apps/payments/services/invoices.py) --------------------------------------
# Prices are gross: the VAT (basis points, 2000 = 20 %; 0 = not applicable) is extracted.
BILLING_VAT_RATE_BP = env.int("BILLING_VAT_RATE_BP", default=0)
if not 0 <= BILLING_VAT_RATE_BP <= 10000:
    raise ImproperlyConfigured("BILLING_VAT_RATE_BP must be between 0 and 10000")
BILLING_INVOICE_PREFIX = env("BILLING_INVOICE_PREFIX", default="FL")
BILLING_SELLER_NAME = env("BILLING_SELLER_NAME", default="Fast Lead")
BILLING_SELLER_TAX_ID = env("BILLING_SELLER_TAX_ID", default="")
BILLING_SELLER_ADDRESS = env("BILLING_SELLER_ADDRESS", default="")
BILLING_SELLER_EMAIL = env("BILLING_SELLER_EMAIL", default="")
BILLING_SELLER_BANK = env("BILLING_SELLER_BANK", default="")
# A deleted company's invoices, credit notes and the payments and refunds they record are kept
# (detached from it) this many years after the end of the year they were issued in (402-FZ
# art. 29: at least 5 years after the reporting year; some EU VAT rules ask up to 10), then
# deleted by the beat (apps/payments/services/retention.py).
BILLING_RECORDS_RETENTION_YEARS = env.int("BILLING_RECORDS_RETENTION_YEARS", default=5)
if not 1 <= BILLING_RECORDS_RETENTION_YEARS <= 50:
    raise ImproperlyConfigured("BILLING_RECORDS_RETENTION_YEARS must be between 1 and 50")

# --- Fiscal receipts, 54-FZ (apps/payments/services/receipts.py) --------------------------
# Sent with every RUB payment and refund through YooKassa and T-Bank. FISCAL_VAT empty: from
# BILLING_VAT_RATE_BP (0 → none, 2200 → vat22, ...). Values are checked by payments.E001.
FISCAL_RECEIPTS_ENABLED = env.bool("FISCAL_RECEIPTS_ENABLED", default=True)
FISCAL_TAX_SYSTEM = env("FISCAL_TAX_SYSTEM", default="usn_income")
FISCAL_VAT = env("FISCAL_VAT", default="")
FISCAL_PAYMENT_SUBJECT = env("FISCAL_PAYMENT_SUBJECT", default="service")
FISCAL_PAYMENT_MODE = env("FISCAL_PAYMENT_MODE", default="full_payment")

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "apps.accounts.hashers.BCryptCost12PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "apps.accounts.forms.SignupExtraForm"
ACCOUNT_ADAPTER = "apps.accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Fast Lead: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
# Login: 5 failed attempts per 15 minutes per account and IP, plus a per-IP ceiling across
# accounts against credential stuffing; counted by apps.accounts.adapter on the one limiter
# (apps.core.ratelimit), so allauth's own "login_failed" limit is off.
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_IP = env.int("LOGIN_FAILURES_PER_IP", default=30)
LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
ACCOUNT_RATE_LIMITS = {"login_failed": None}
SOCIALACCOUNT_ADAPTER = "apps.accounts.adapter.SocialAccountAdapter"
# Second factor (allauth.mfa): staff must have one to open /admin/ (StaffMFAMiddleware).
MFA_ADAPTER = "apps.accounts.adapter.MFAAdapter"  # TOTP secrets encrypted at rest
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="Fast Lead")
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# OAuth providers are configured from the environment and only active when keys are set.
SOCIALACCOUNT_PROVIDERS = {}
for _provider, _prefix in (("google", "GOOGLE_OAUTH"), ("yandex", "YANDEX_OAUTH")):
    _client_id = env(f"{_prefix}_CLIENT_ID", default="")
    if _client_id:
        SOCIALACCOUNT_PROVIDERS[_provider] = {
            "APPS": [{"client_id": _client_id, "secret": env(f"{_prefix}_SECRET"), "key": ""}],
            "SCOPE": (
                ["profile", "email"] if _provider == "google" else ["login:email", "login:info"]
            ),
        }

# Companies a user may own without plans (billing sets the limit from the plans; see
# apps/tenants/limits.py).
MAX_TENANTS_PER_USER = env.int("MAX_TENANTS_PER_USER", default=5)
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=7)

# --- E-mail -------------------------------------------------------------------------------
# With no mail server given, the embedded default (or DEBUG) keeps e-mails in var/mail/ and
# shows them at /dev/mail/ (apps/core/devmail.py); production without one prints them.
DEV_MAILBOX = EMBEDDED and not env("EMAIL_URL", default="") and not env("EMAIL_BACKEND", default="")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="apps.core.devmail.DevMailBackend"
    if DEV_MAILBOX
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Fast Lead <noreply@fastlead.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.JWTAuthentication",
        "apps.tenants.api_key_auth.APIKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.throttling.UserRateThrottle",  # per-IP keys via apps.core.net.client_ip
        "apps.core.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_THROTTLE_USER", default="100/minute"),
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
        "auth": env("API_THROTTLE_AUTH", default="20/minute"),  # login/register, per IP
    },
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "apps.core.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.DefaultPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
JWT_SIGNING_KEY = fastlead_secrets.required_secret(
    env, "JWT_SIGNING_KEY", embedded=EMBEDDED, var_dir=VAR_DIR
)
# Keys of field encryption at rest (apps/core/crypto.py): comma-separated, the first encrypts,
# all decrypt. Required in production; the embedded default generates one into var/.
# Outbound webhooks (apps/integrations/targets.py): private, loopback and link-local targets
# and plain http are refused unless this is on — for tests and local receivers only.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
# CRM sync (apps/integrations/crm): amoCRM's OAuth page and account API (a template with
# {subdomain}), Fast Lead's own amoCRM integration (empty: each company enters its own).
AMOCRM_OAUTH_URL = env("AMOCRM_OAUTH_URL", default="https://www.amocrm.ru/oauth")
AMOCRM_ACCOUNT_URL = env("AMOCRM_ACCOUNT_URL", default="https://{subdomain}.amocrm.ru")
AMOCRM_CLIENT_ID = env("AMOCRM_CLIENT_ID", default="")
AMOCRM_CLIENT_SECRET = env("AMOCRM_CLIENT_SECRET", default="")
FIELD_ENCRYPTION_KEYS = fastlead_secrets.encryption_keys(env, embedded=EMBEDDED, var_dir=VAR_DIR)
JWT_PREVIOUS_SIGNING_KEYS, JWT_KEYS_ROTATED_AT = fastlead_secrets.previous_jwt_keys(
    env, signing_key=JWT_SIGNING_KEY
)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_TOKEN_CLASSES": ("apps.accounts.tokens.AccessToken",),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fast Lead API",
    "DESCRIPTION": (
        "Fast Lead public API v1. Errors always have the shape "
        '`{"error": {"code": "...", "message": "...", "fields": {...}}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Over 130 operations: the tags start folded (Swagger UI stopped rendering the expanded
    # list part-way at that size), with a filter box to find an operation.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "docExpansion": "none", "filter": True},
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.openapi.document_bad_input",
        "apps.core.openapi.document_throttling",
        "apps.billing.openapi.document_access_state",
    ],
    "ENUM_NAME_OVERRIDES": {
        "LeadStatusEnum": "apps.leads.models.LeadStatus",
        "LeadSourceEnum": "apps.leads.models.Source",
        "ListKindEnum": "apps.leads.models.ListKind",
        "BillingEventKindEnum": "apps.billing.models.BillingEventKind",
        "LanguageEnum": [("ru", "Русский"), ("en", "English")],
        "APIKeyRoleEnum": [("operator", "operator"), ("analyst", "analyst")],
        "RoleEnum": "apps.tenants.roles.Role",
        "WidgetFieldModeEnum": "apps.leads.models_widget.FieldMode",
        "WidgetPositionEnum": "apps.leads.models_widget.WidgetPosition",
        "ChannelProviderEnum": "apps.channels.models.Provider",
        "ChannelKindEnum": "apps.channels.models.ChannelKind",
        "ChannelStatusEnum": "apps.channels.models.ChannelStatus",
        "WebhookDeliveryStatusEnum": "apps.integrations.models.DeliveryStatus",
        "HyroPageStatusEnum": "apps.hyropage.models.PageStatus",
        "HyroPageGenerationStatusEnum": "apps.hyropage.models.GenerationStatus",
        "HyroPageLanguageEnum": "apps.hyropage.models.Language",
        "ConsentPurposeEnum": "apps.privacy.models.ConsentPurpose",
    },
}

# --- i18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
USE_TZ = True

# --- Static -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env("MEDIA_ROOT", default=str(VAR_DIR / "media"))
LEADS_FILE_RETENTION_DAYS = env.int("LEADS_FILE_RETENTION_DAYS", default=30)
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Private files (imports, exports, reports, invoice PDFs: apps/core/private_files.py) go to an
# S3-compatible bucket through django-storages when it is named; they are never public and are
# handed out as signed URLs that expire after PRIVATE_FILE_URL_SECONDS.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
PRIVATE_FILE_URL_SECONDS = env.int("PRIVATE_FILE_URL_SECONDS", default=300)
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env("AWS_S3_REGION_NAME", default="") or None,
            "default_acl": None,  # the bucket's own policy: private
            "querystring_auth": True,
            "querystring_expire": PRIVATE_FILE_URL_SECONDS,
            "signature_version": "s3v4",
            "file_overwrite": False,
            "location": env("AWS_S3_PREFIX", default="private"),
        },
    }
# The widget's logos and avatars (apps/leads/widget_uploads.py): S3-compatible storage through
# django-storages when a bucket is named, else local files served by the app.
WIDGET_ASSETS_S3_BUCKET = env("WIDGET_ASSETS_S3_BUCKET", default="")
STORAGES["widget_assets"] = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": WIDGET_ASSETS_S3_BUCKET,
            "endpoint_url": env("WIDGET_ASSETS_S3_ENDPOINT", default="") or None,
            "region_name": env("WIDGET_ASSETS_S3_REGION", default="") or None,
            "querystring_auth": False,
            "file_overwrite": False,
        },
    }
    if WIDGET_ASSETS_S3_BUCKET
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(Path(MEDIA_ROOT) / "widget"),
            "base_url": "/api/public/v1/widget-assets/",
        },
    }
)
WIDGET_UPLOAD_QUOTA_BYTES = env.int("WIDGET_UPLOAD_QUOTA_BYTES", default=100 * 1024 * 1024)
# Widget submissions per minute per visitor IP and per publishable key (apps/leads/public_api.py).
LEADS_WIDGET_RATE_PER_IP = env.int("LEADS_WIDGET_RATE_PER_IP", default=20)
LEADS_WIDGET_RATE_PER_KEY = env.int("LEADS_WIDGET_RATE_PER_KEY", default=600)
# Widget submissions are answered once queued in Redis and stored by a worker in batches
# (apps/leads/widget_intake.py); off, or without a Redis cache, each is stored by the view.
LEADS_WIDGET_QUEUE = env.bool("LEADS_WIDGET_QUEUE", default=True)

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": [
            "'self'",
            *env.list("CSP_FORM_ACTION_EXTRA", default=[]),
            # The pay and portal forms redirect to Stripe's hosted pages.
            *(
                ["https://checkout.stripe.com", "https://billing.stripe.com"]
                if STRIPE_SECRET_KEY
                else []
            ),
            # ... and to YooKassa's and T-Bank's payment pages (a redirect after a form post
            # must be allowed by form-action too, or the browser stays on the billing page).
            *(["https://yoomoney.ru"] if YOOKASSA_SHOP_ID else []),
            *(
                [
                    "https://securepay.tinkoff.ru",
                    "https://pay.tbank.ru",
                    "https://securepay.tbank.ru",
                ]
                if TINKOFF_TERMINAL_KEY
                else []
            ),
        ],
        "base-uri": ["'self'"],
    },
}
# CORS only on the public widget API; per-tenant origins are checked in apps/tenants/cors.py.
CORS_URLS_REGEX = r"^/api/public/.*$"
CORS_ALLOW_ALL_ORIGINS = False
CORS_ALLOWED_ORIGINS: list[str] = []
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["Retry-After"]  # the widget honours it when it retries (429, 503)


# --- Logging ------------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="json")  # json | console
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False  # an IP address is personal data
DJANGO_STRUCTLOG_USER_ID_FIELD = "pk"
from fastlead.logging import configure_logging  # noqa: E402
from fastlead.observability import init_sentry  # noqa: E402

LOGGING = configure_logging(LOG_LEVEL, LOG_FORMAT)

# --- Error reporting (fastlead/observability.py) ------------------------------------------
SENTRY_DSN = env("SENTRY_DSN", default="")
init_sentry(
    SENTRY_DSN,
    environment=env("SENTRY_ENVIRONMENT", default="production"),
    release=env("FASTLEAD_RELEASE", default=""),
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
)

# OpenTelemetry traces over OTLP/HTTP (fastlead/tracing.py); empty = no tracing at all.
OTEL_EXPORTER_OTLP_ENDPOINT = env("OTEL_EXPORTER_OTLP_ENDPOINT", default="")
FASTLEAD_RELEASE = env("FASTLEAD_RELEASE", default="")

# Domain events logged with apps.core.events.log_event.
WAFFLE_CREATE_MISSING_FLAGS = False
# Release flags (docs/release-flags.md): waffle's own flag model, named so that the tenant
# whitelist's foreign key can depend on it.
WAFFLE_FLAG_MODEL = "waffle.Flag"

# --- Public site (apps/site) ------------------------------------------------------------------
INSTALLED_APPS += ["django.contrib.sitemaps", "apps.site"]
# Fast Lead's own company: Enterprise inquiries from the pricing page land in its lead list
# and its widget runs the features page's live demo. `manage.py seed_site` creates it.
STAFF_TENANT_SLUG = env("STAFF_TENANT_SLUG", default="fastlead")
SITE_INQUIRY_RATE = env("SITE_INQUIRY_RATE", default="5/hour")  # per visitor IP
SITE_CONTACT_EMAIL = env("SITE_CONTACT_EMAIL", default="")
# --- Analytics (apps/analytics) --------------------------------------------------------------
INSTALLED_APPS += ["apps.analytics"]
# Analytics, export and report reads go to a replica when DATABASE_REPLICA_URL is set
# (apps/core/replica.py, apps/analytics/routers.py).
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db("DATABASE_REPLICA_URL"),
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = [
    *globals().get("DATABASE_ROUTERS", []),
    "apps.analytics.routers.AnalyticsReplicaRouter",
]

# --- Upsell radar: HYROCALL calls (apps/upsell) ----------------------------------------------
# No key: the labelled offline platform (no call is placed; the case says so).
HYROCALL_API_KEY = env("HYROCALL_API_KEY", default="")
HYROCALL_BASE_URL = env("HYROCALL_BASE_URL", default="https://api.hyrocall.ru")
HYROCALL_WEBHOOK_SECRET = env("HYROCALL_WEBHOOK_SECRET", default="")
