"""Django settings for Cartera. Every value comes from the environment.

See docs/configuration.md for the list of variables. Helpers in cartera.lib.env fail
loudly on malformed values.
"""

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from cartera.lib.base_url import resolve_base_url
from cartera.lib.env import (
    ConfigError,
    env_bool,
    env_int,
    env_list,
    env_path,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent
# Everything Cartera writes (database, uploads, keys, mail) is readable by its own user only.
os.umask(0o077)
DATA_DIR = env_path("CARTERA_DATA_DIR", "./var")
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data dir."""
    configured = env_str("SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
# pytest imports settings before any conftest can set CARTERA_TESTING, so detect it too.
TESTING = env_bool("CARTERA_TESTING", False) or "pytest" in sys.modules
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Links in e-mails and the portal: CARTERA_BASE_URL, else where ``cartera serve`` /
# ``cartera demo`` last started the server (cartera/lib/base_url.py); tests ignore that.
BASE_URL_CONFIGURED = bool(env_url("CARTERA_BASE_URL"))
BASE_URL = resolve_base_url(
    configured=env_url("CARTERA_BASE_URL"), data_dir=DATA_DIR, use_record=not TESTING
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "cartera.lib",
    "cartera.orgs",
    "cartera.timeline",
    "cartera.customers",
    "cartera.invoices",
    "cartera.payments",
    "cartera.fiscal",
    "cartera.agreements",
    "cartera.followup",
    "cartera.dunning",
    "cartera.outreach",
    "cartera.reports",
    "cartera.imports",
    "cartera.cases",
    "cartera.bulletins",
    "cartera.portal",
    "ninja",
    "cartera.api",
    "cartera.web",
    "cartera.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "cartera.lib.middleware.RejectNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "axes.middleware.AxesMiddleware",
    "cartera.orgs.middleware.CurrentOrganizationMiddleware",
    # After sign-in and the organisation: a form posted twice runs once (orgs/submissions.py).
    "cartera.orgs.submissions.OnceOnlySubmissionMiddleware",
    "cartera.api.middleware.ApiMiddleware",
]

ROOT_URLCONF = "cartera.urls"
WSGI_APPLICATION = "cartera.wsgi.application"

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
                "cartera.orgs.context_processors.organization",
            ],
        },
    },
]


def _database() -> dict:
    url = env_str("DATABASE_URL")
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "cartera.sqlite3",
            "OPTIONS": _SQLITE_OPTIONS,
            # A file, not shared-cache memory: concurrency tests then see the same WAL and
            # busy-timeout behaviour as production (shared-cache locks ignore busy_timeout).
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60))
    except ValueError as exc:
        raise ConfigError(f"DATABASE_URL is not a database URL we understand: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = _SQLITE_OPTIONS
    return config


# WAL lets readers work while a writer commits; IMMEDIATE transactions take the write
# lock up front so concurrent writers queue on busy_timeout instead of failing.
_SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        " PRAGMA foreign_keys=ON;"
    ),
}

DATABASES = {"default": _database()}


def _caches() -> dict:
    """Rate limits and lock-outs must be shared by every web process: Redis when
    ``CARTERA_CACHE_URL`` is set (several machines), else files in the data directory
    (several processes on one machine). Tests use memory."""
    url = env_str("CARTERA_CACHE_URL")
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"CARTERA_CACHE_URL must be a redis:// address, got {url!r}")
    if url:
        return {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        }
    if TESTING:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }


CACHES = _caches()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:  # hashing real passwords dominates the run time of the test suite
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "reports:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "cartera.orgs.adapters.AccountAdapter"
# Two-factor sign-in: an authenticator app (TOTP) with recovery codes. Organisations may
# require it of their owners (Organization.require_owner_mfa).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Cartera"
MFA_TOTP_TOLERANCE = 1  # the code of the previous or next 30 s also counts (clock drift)
MFA_ADAPTER = "cartera.orgs.adapters.MFAAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None

AXES_FAILURE_LIMIT = env_int("CARTERA_LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = 1  # hours
# Per user name and address, and per address alone (one address trying many users).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_CLIENT_IP_CALLABLE = "cartera.lib.clients.client_ip"
# Reverse proxies whose X-Forwarded-For is believed (addresses or networks).
TRUSTED_PROXIES = env_list("CARTERA_TRUSTED_PROXIES", [])
AXES_ENABLED = not TESTING

LANGUAGE_CODE = "es-mx"
LANGUAGES = [("es-mx", _("Español")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Mexico_City"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request otherwise
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded files (invoice PDFs/XMLs, payment proofs) live outside the web root and are
# served only through views that check access.
MEDIA_ROOT = DATA_DIR / "files"
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
MEDIA_URL = None
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# Email: SMTP when EMAIL_HOST is set, otherwise Cartera keeps messages in its own
# outbox viewer (the database) and writes one .eml file per message under
# $CARTERA_DATA_DIR/mail, so nothing is silently dropped.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Cartera <cobranza@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "cartera.outreach.channels.email.files.EmlFileBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ConfigError("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")

TASKS = {
    "default": {
        "BACKEND": env_str("CARTERA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
if env_str("CARTERA_TASKS_BACKEND") == "django_tasks_rq.RQBackend":
    TASKS["default"]["QUEUES"] = ["default"]
    RQ_QUEUES = {"default": {"URL": env_str("REDIS_URL", "redis://127.0.0.1:6379/0")}}
    # django_rq provides the worker: cartera rqworker --job-class django_tasks_rq.Job default
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]

# The REST API (cartera/api): calls per token per window, counted in the shared cache.
CARTERA_API_RATE_LIMIT = env_int("CARTERA_API_RATE_LIMIT", 1200)
CARTERA_API_RATE_WINDOW = env_int("CARTERA_API_RATE_WINDOW", 60)
# Outgoing webhooks to http:// and private/loopback addresses (tests, a local receiver).
CARTERA_WEBHOOKS_ALLOW_PRIVATE = env_bool("CARTERA_WEBHOOKS_ALLOW_PRIVATE", False)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("CARTERA_BEHIND_PROXY", False) else None
)
if SESSION_COOKIE_SECURE:  # served over https: browsers must never fall back to http
    SECURE_HSTS_SECONDS = env_int("CARTERA_HSTS_SECONDS", 31_536_000, minimum=0)
    # Cartera usually runs on its own host name (cobranza.example.mx): covering the names
    # below it is safe. Set to false if it shares a name with plain-http sites.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CARTERA_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("CARTERA_HSTS_PRELOAD", True)
    # Redirecting needs to know the original scheme, which only a proxy header tells.
    SECURE_SSL_REDIRECT = SECURE_PROXY_SSL_HEADER is not None

# Content-Security-Policy: no inline scripts or styles anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# The SAT's public CFDI status service (ConsultaCFDIService); empty: the SAT's own address.
# Another address serves the same SOAP API (a proxy, or the tests' fake).
CARTERA_SAT_STATUS_URL = env_url("CARTERA_SAT_STATUS_URL")
# The SAT's Descarga Masiva services (authentication, request, verify, download), all under
# one address with their own paths; empty: the SAT's own addresses.
CARTERA_SAT_DOWNLOAD_URL = env_url("CARTERA_SAT_DOWNLOAD_URL")

# Banxico's CEP portal (validating SPEI transfers); another address serves the same pages
# (the tests' fake, cartera/testing/fake_banxico_cep.py).
CARTERA_BANXICO_CEP_URL = env_url("CARTERA_BANXICO_CEP_URL", "https://www.banxico.org.mx")
# Other addresses for the payment providers' REST APIs (a proxy, or the tests' fakes);
# empty: the providers' own (https://api.mercadopago.com, https://api.conekta.io).
CARTERA_MERCADOPAGO_API_URL = env_url("CARTERA_MERCADOPAGO_API_URL")
CARTERA_CONEKTA_API_URL = env_url("CARTERA_CONEKTA_API_URL")
