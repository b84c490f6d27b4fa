"""Platform settings, read from the environment.

With nothing set, the Studio runs embedded: SQLite platform database, local secret store,
a filesystem Celery broker, in-memory channel layer and e-mails written to files under
NUBLOX_DATA_DIR. Production parts are switched on one by one by DATABASE_URL, REDIS_URL,
VAULT_ADDR, EMAIL_URL... Every variable is documented in README.md ("Configuration").
"""

from __future__ import annotations

import secrets
from pathlib import Path

from nublox import env

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Where the embedded default keeps its files ------------------------------------------
DATA_DIR = Path(env.string("NUBLOX_DATA_DIR", str(BASE_DIR / "var"), "embedded data folder"))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _embedded_secret_key() -> str:
    """A key made once per data dir, so sessions survive restarts without configuration."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# --- Core ---------------------------------------------------------------------------------
SECRET_KEY = env.optional("SECRET_KEY", "Django secret key") or _embedded_secret_key()
DEBUG = env.boolean("DEBUG", False, "Django debug pages (never in production)")
BASE_DOMAIN = env.string(
    "NUBLOX_BASE_DOMAIN", "localhost", "apex domain; workspaces live on <slug>.<domain>"
)
PUBLIC_SCHEME = env.choice("NUBLOX_PUBLIC_SCHEME", "http", ("http", "https"), "scheme in links")
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}", *env.listing("ALLOWED_HOSTS", [], "extra hosts")]
if BASE_DOMAIN == "localhost":
    ALLOWED_HOSTS += ["127.0.0.1", "[::1]", "testserver", ".testserver"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
    "apps.accounts",
    "apps.workspaces",
    "apps.secrets",
    "apps.licensing",
    "apps.audit",
    "apps.connections",
    "apps.jobs",
    "apps.plans",
    "apps.studio",
    "apps.api",
    "ninja",  # its static files: the API docs page serves Swagger UI from this server
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "apps.workspaces.middleware.WorkspaceMiddleware",
    "apps.api.middleware.AuditViaApi",
]

ROOT_URLCONF = "nublox.urls"
WORKSPACE_URLCONF = "nublox.urls_workspace"
ASGI_APPLICATION = "nublox.asgi.application"
WSGI_APPLICATION = "nublox.wsgi.application"

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
                "apps.workspaces.context_processors.workspace",
            ],
        },
    }
]

# --- Platform database --------------------------------------------------------------------
DATABASES = {
    "default": env.database_from_url(
        env.string(
            "DATABASE_URL",
            f"sqlite:///{DATA_DIR / 'nublox.sqlite3'}",
            "platform database: postgresql://user:pass@host:5432/db (default: embedded SQLite)",
        ),
        BASE_DIR,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, Celery, channels --------------------------------------------------------------
REDIS_URL = env.optional("REDIS_URL", "Redis for the Celery broker and the channel layer")
CELERY_BROKER_URL = env.string(
    "CELERY_BROKER_URL", REDIS_URL or "filesystem://", "Celery broker (default: REDIS_URL or files)"
)
CELERY_BROKER_DIR = DATA_DIR / "celery"
if CELERY_BROKER_URL == "filesystem://":
    for sub in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env.string(
    "CELERY_RESULT_BACKEND",
    REDIS_URL or f"file://{CELERY_BROKER_DIR / 'results'}",
    "where task results are kept (default: REDIS_URL or files)",
)
if CELERY_RESULT_BACKEND.startswith("file://"):
    Path(CELERY_RESULT_BACKEND.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.boolean(
    "CELERY_TASK_ALWAYS_EAGER", False, "run tasks inline (tests of task logic only)"
)

# The SQL editor keeps results and cancel flags, the explorer parsed snapshots: with several
# web processes and workers these must be shared (Redis); one embedded process is fine alone.
#: Requests per token (or signed-in member) per window, e.g. "600/min"; over it, 429.
NUBLOX_API_RATE_LIMIT = env.string(
    "NUBLOX_API_RATE_LIMIT", "600/min", "API requests allowed per token per minute/hour/..."
)

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:  # the worker and daphne are separate processes: share messages through the database
    CHANNEL_LAYERS = {"default": {"BACKEND": "nublox.channel_layer.DatabaseChannelLayer"}}

# --- Sessions and cookies shared across workspace subdomains ------------------------------
# Browsers refuse cookies scoped to a single-label domain such as `localhost`: there each
# host keeps its own cookies and apps.accounts.handoff carries the sign-in across.
_cookie_domain = f".{BASE_DOMAIN}" if "." in BASE_DOMAIN else None
SESSION_COOKIE_DOMAIN = _cookie_domain
CSRF_COOKIE_DOMAIN = _cookie_domain
SESSION_COOKIE_NAME = "nublox_session"
CSRF_COOKIE_NAME = "nublox_csrf"
SESSION_COOKIE_SECURE = PUBLIC_SCHEME == "https"
CSRF_COOKIE_SECURE = PUBLIC_SCHEME == "https"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = [
    f"{PUBLIC_SCHEME}://{BASE_DOMAIN}",
    f"{PUBLIC_SCHEME}://*.{BASE_DOMAIN}",
    *env.listing("CSRF_TRUSTED_ORIGINS", [], "extra trusted origins"),
]
if BASE_DOMAIN == "localhost":
    CSRF_TRUSTED_ORIGINS += ["http://localhost:*", "http://*.localhost:*"]
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.boolean("NUBLOX_BEHIND_PROXY", False, "trust X-Forwarded-Proto from a proxy")
    else None
)
X_FRAME_OPTIONS = "DENY"

# --- Accounts (django-allauth) ------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "apps.accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[NuBlox] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = PUBLIC_SCHEME
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# --- E-mail -------------------------------------------------------------------------------
EMAIL_MODE = env.choice(
    "NUBLOX_EMAIL", "file", ("file", "console", "smtp"), "where e-mails go (default: files)"
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_BACKEND = {
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}[EMAIL_MODE]
EMAIL_HOST = env.string("EMAIL_HOST", "localhost", "SMTP host")
EMAIL_PORT = env.integer("EMAIL_PORT", 587, "SMTP port")
EMAIL_HOST_USER = env.string("EMAIL_HOST_USER", "", "SMTP user")
EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD", "", "SMTP password")
EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", True, "SMTP STARTTLS")
DEFAULT_FROM_EMAIL = env.string(
    "DEFAULT_FROM_EMAIL", f"NuBlox SQLx <noreply@{BASE_DOMAIN}>", "sender of e-mails"
)

# --- Secrets (apps/secrets): the local encrypted store, or Vault when VAULT_ADDR is set ----
SECRETS_MASTER_KEY = env.optional(
    "NUBLOX_MASTER_KEY", "local store master key, 32 bytes base64 (default: a key file)"
)
SECRETS_MASTER_KEY_PATH = DATA_DIR / "master.key"  # made on first use, mode 600
VAULT_ADDR = env.optional("VAULT_ADDR", "HashiCorp Vault address (default: local store)")
VAULT_TOKEN = env.optional("VAULT_TOKEN", "Vault token auth")
VAULT_ROLE_ID = env.optional("VAULT_ROLE_ID", "Vault AppRole auth: role id")
VAULT_SECRET_ID = env.optional("VAULT_SECRET_ID", "Vault AppRole auth: secret id")
VAULT_APPROLE_MOUNT = env.string("VAULT_APPROLE_MOUNT", "approle", "AppRole auth mount")
VAULT_NAMESPACE = env.optional("VAULT_NAMESPACE", "Vault Enterprise namespace")
VAULT_KV_MOUNT = env.string("VAULT_KV_MOUNT", "secret", "KV version 2 secrets engine mount")
VAULT_PATH_PREFIX = env.string("VAULT_PATH_PREFIX", "nublox", "path prefix inside the mount")
VAULT_CACERT = env.optional("VAULT_CACERT", "CA bundle that signed Vault's certificate")
VAULT_CLIENT_CERT = env.optional("VAULT_CLIENT_CERT", "client certificate for Vault TLS")
VAULT_CLIENT_KEY = env.optional("VAULT_CLIENT_KEY", "client key for Vault TLS")
VAULT_SKIP_VERIFY = env.boolean("VAULT_SKIP_VERIFY", False, "do not verify Vault's certificate")
VAULT_TIMEOUT = env.integer("VAULT_TIMEOUT", 10, "seconds per Vault request")

# --- Connections -------------------------------------------------------------------------
# SQLite connections open files on the platform's own machine: only inside these folders
# (the demo's folder is always allowed), never the platform database itself.
FILE_DATABASE_DIRS = [
    Path(p).resolve()
    for p in env.listing(
        "NUBLOX_FILE_DATABASE_DIRS",
        [str(DATA_DIR / "databases")],
        "folders whose SQLite files connections may open, comma-separated",
    )
] + [(DATA_DIR / "demo").resolve()]

# --- Licensing (apps/licensing) and audit signing (apps/audit) -----------------------------
LICENSE_ISSUER_KEY = env.optional(
    "NUBLOX_LICENSE_ISSUER_KEY", "Ed25519 private key (PEM) that signs license tokens"
)
LICENSE_ISSUER_KEY_PATH = DATA_DIR / "license-issuer.pem"  # embedded: made on first use
LICENSE_PUBLIC_KEY = env.optional(
    "NUBLOX_LICENSE_PUBLIC_KEY", "Ed25519 public key (PEM) that verifies license tokens"
)
AUDIT_SIGNING_KEY = env.optional(
    "NUBLOX_AUDIT_SIGNING_KEY", "Ed25519 private key (PEM) that signs audit export bundles"
)
AUDIT_SIGNING_KEY_PATH = DATA_DIR / "audit-signing.pem"  # embedded: made on first use

# --- Static files, i18n -------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging: structured enough to grep, never a secret -----------------------------------
LOG_LEVEL = env.choice(
    "NUBLOX_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"), "log verbosity"
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Demo workspace -----------------------------------------------------------------------
DEMO_EMAIL = env.string("NUBLOX_DEMO_EMAIL", "demo@nublox.example", "demo user's e-mail")
DEMO_PASSWORD = env.string("NUBLOX_DEMO_PASSWORD", "nublox-demo-2026", "demo user's password")

env.check_unknown()
