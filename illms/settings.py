"""ILLMS settings: one module, read from the environment (django-environ).

With nothing set the system runs on the embedded default: SQLite in ``var/`` and a
Celery broker on the local file system, so ``make run`` needs no server. Production sets
``DJANGO_DEBUG=0``, ``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS``, ``DATABASE_URL`` and
``REDIS_URL``; ``manage.py check --deploy`` is clean with those. ``ILLMS_DEMO=1`` (``make run``) is the
production profile on this machine, over plain HTTP, with a secret key of its own kept in ``var/``.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from kombu import Queue

from requests_app import policy_declarations

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("ILLMS_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    DJANGO_DEBUG=(bool, True),
    DJANGO_ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "[::1]", "testserver"]),
)
if env.str("ILLMS_ENV_FILE", default=""):
    environ.Env.read_env(env.str("ILLMS_ENV_FILE"))

# The demo (`make run` sets ILLMS_DEMO=1) runs as production would, on this machine over plain HTTP: DEBUG off,
# so visitors see the site's error pages, never Django's technical ones; static files served by WhiteNoise; a
# secret key generated once into var/ (not the public development key); e-mail printed on the console.
DEMO = env.bool("ILLMS_DEMO", default=False)
DEBUG = env.bool("DJANGO_DEBUG", default=not DEMO)
_DEV_SECRET_KEY = "django-insecure-illms-development-key-do-not-use-in-production"


def _demo_secret_key(path: Path) -> str:
    """The demo's own secret key: read from ``path``, or made there (readable by its owner only) on first use."""
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as key_file:
        key_file.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or (
    _demo_secret_key(VAR_DIR / "demo-secret-key") if DEMO else _DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Under /api/ a refused CSRF check answers the API's JSON error; elsewhere the site's page, templates/403_csrf.html.
CSRF_FAILURE_VIEW = "illms.errors.csrf_failure"

INSTALLED_APPS = [
    "illms.admin_site.IllmsAdminConfig",  # Django's admin, on the site of illms/admin_site.py
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "csp",
    # Two factors for staff (requests_app/two_factor): authenticator apps (TOTP) and recovery codes (static).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "requests_app",
    "requests_app.partners",
    "borrowing",
    "lending",
    "billing",
    "illms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session and before CommonMiddleware, as Django asks: the language of the request from the
    # language cookie (the header's switcher) or the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "illms.middleware.RefuseNulInQueryString",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # A signed-in person's own language (their profile's, kept in the session at sign-in) over the browser's.
    "illms.middleware.ProfileLanguage",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "illms.middleware.PermissionsPolicy",
    "django_htmx.middleware.HtmxMiddleware",
    # Statistics pages and CSV exports read from DATABASE_REPLICA_URL when it is set (illms/replica.py).
    "illms.replica.ReplicaReadsMiddleware",
    "illms.middleware.StaffSessionIdleTimeout",
    # Last, as django-axes asks: it turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "illms.urls"
WSGI_APPLICATION = "illms.wsgi.application"

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
                "requests_app.context_processors.illms",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'illms.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Production keeps each process's database connection open between requests (a new connection per request costs
# more than most pages' queries); health checks replace one the server closed. Debug (runserver) opens one each time.
PRODUCTION_CONN_MAX_AGE = 60
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE",
                                                        default=0 if DEBUG else PRODUCTION_CONN_MAX_AGE))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let the web process and the Celery worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
# Behind pgbouncer in transaction mode (docs/deployment.md): no server-side cursors (a cursor cannot outlive the
# transaction that pgbouncer lends a server connection for; our jobs read in keyset batches instead), and no
# startup "options" (pgbouncer refuses unknown startup parameters; set jit on the database instead).
ILLMS_PGBOUNCER = env.bool("ILLMS_PGBOUNCER", default=False)
if ILLMS_PGBOUNCER:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql") and not ILLMS_PGBOUNCER and \
        not env.bool("ILLMS_POSTGRES_JIT", default=False):
    # PostgreSQL compiles a query to machine code once its estimated cost passes jit_above_cost. Our
    # costly queries (the statistics' percentiles, the jobs' batches) run once per call, so the compiling
    # costs and saves nothing (docs/performance.md has the figures). Off for our connections (on again
    # with ILLMS_POSTGRES_JIT=1); other settings of DATABASE_URL's own "options" are kept.
    database_options = DATABASES["default"].setdefault("OPTIONS", {})
    database_options["options"] = f"{database_options.get('options', '')} -c jit=off".strip()
# A streaming replica of the primary for the statistics pages and CSV exports (illms/replica.py); tests run it
# as a mirror of the test database. Same engine and connection settings as the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db_url("DATABASE_REPLICA_URL")
    if DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"]:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DATABASE_REPLICA_URL must name a replica of DATABASE_URL's database, on the same "
                                   "kind of server")
    DATABASES["replica"].update(CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"], CONN_HEALTH_CHECKS=True,
                                ATOMIC_REQUESTS=False, TEST={"MIRROR": "default"})
    DATABASES["replica"].setdefault("OPTIONS", {}).update(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] = ILLMS_PGBOUNCER
ILLMS_REPLICA_READS = "replica" in DATABASES
DATABASE_ROUTERS = ["illms.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked account and address before any backend checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Institutional sign-in (docs/authentication.md): the doors switched on, in the sign-in page's order, and how each
# door's attributes become a patron (requests_app/identity). Each door's own settings follow its section below.
ILLMS_SIGNIN_DOORS = [d.strip().lower() for d in env.list("ILLMS_SIGNIN_DOORS", default=[]) if d.strip()]
_DOOR_NAMES = ("saml", "cas", "ldap", "oidc", "load")
ILLMS_SIGNIN_LABELS = {d: env.str(f"ILLMS_{d.upper()}_LABEL", default="") for d in _DOOR_NAMES}
ILLMS_SIGNIN_LIBRARIES = {d: env.str(f"ILLMS_{d.upper()}_LIBRARY", default="") for d in _DOOR_NAMES}


def _attribute_maps() -> dict:
    from django.core.exceptions import ImproperlyConfigured

    from requests_app.identity.fields import parse_mapping

    maps = {}
    for door in _DOOR_NAMES:
        try:
            maps[door] = parse_mapping(env.str(f"ILLMS_{door.upper()}_ATTRIBUTES", default=""))
        except ValueError as exc:
            raise ImproperlyConfigured(f"ILLMS_{door.upper()}_ATTRIBUTES: {exc}") from None
    return maps


ILLMS_IDENTITY_ATTRIBUTES = _attribute_maps()
ILLMS_IDENTITY_CATEGORIES = env.dict("ILLMS_IDENTITY_CATEGORIES", default={})
ILLMS_IDENTITY_STAFF_AFFILIATIONS = env.list("ILLMS_IDENTITY_STAFF_AFFILIATIONS", default=[])
ILLMS_IDENTITY_DEFAULT_LIBRARY = env.str("ILLMS_IDENTITY_DEFAULT_LIBRARY", default="")
ILLMS_IDENTITY_LINK_STAFF = env.bool("ILLMS_IDENTITY_LINK_STAFF", default=True)
# Patron loads (docs/patrons.md#patron-loads): the largest file staff may upload, the records written per
# transaction, and how long a job holds a load between chunks before another may take it up (its worker died).
ILLMS_PATRON_LOAD_MAX_BYTES = env.int("ILLMS_PATRON_LOAD_MAX_BYTES", default=50 * 1024 * 1024)
ILLMS_PATRON_LOAD_CHUNK = env.int("ILLMS_PATRON_LOAD_CHUNK", default=500)
ILLMS_PATRON_LOAD_LEASE_SECONDS = env.int("ILLMS_PATRON_LOAD_LEASE_SECONDS", default=300)
# The nightly load: files left in <dir>/<member library's symbol>/, matched and created as these say.
ILLMS_PATRON_LOAD_DROP_DIR = env.str("ILLMS_PATRON_LOAD_DROP_DIR", default="")
ILLMS_PATRON_LOAD_DROP_MATCH = env.str("ILLMS_PATRON_LOAD_DROP_MATCH", default="barcode")
if ILLMS_PATRON_LOAD_DROP_MATCH not in ("barcode", "institution_id"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ILLMS_PATRON_LOAD_DROP_MATCH must be barcode or institution_id, not "
                               f"{ILLMS_PATRON_LOAD_DROP_MATCH!r}")
ILLMS_PATRON_LOAD_DROP_CREATE = env.bool("ILLMS_PATRON_LOAD_DROP_CREATE", default=True)
# Staff accounts from the provider: a value of the staff attribute or an affiliation/group, mapped to a member
# library's role ("ill-admins=ILL administrator,ill-billing=Billing staff"): a person released with one is made
# (or kept) a staff account whose roles become exactly the mapped ones at every sign-in (docs/authentication.md).
ILLMS_IDENTITY_STAFF_ROLES = {k.strip().lower(): v.strip() for k, v in
                              env.dict("ILLMS_IDENTITY_STAFF_ROLES", default={}).items() if k.strip() and v.strip()}

# CAS door (docs/authentication.md#cas): the CAS server's base address (``https://cas.example.edu/cas/``), the
# protocol version whose validation it answers (3: /p3/serviceValidate with attributes; 2: /serviceValidate),
# how long we wait for its answer, and whether our logout goes on to the CAS server's.
ILLMS_CAS_SERVER_URL = env.str("ILLMS_CAS_SERVER_URL", default="")
ILLMS_CAS_VERSION = env.str("ILLMS_CAS_VERSION", default="3").strip()
if ILLMS_CAS_VERSION not in {"2", "3"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"ILLMS_CAS_VERSION must be 2 or 3, not {ILLMS_CAS_VERSION!r}")
ILLMS_CAS_TIMEOUT = env.float("ILLMS_CAS_TIMEOUT", default=10.0)
ILLMS_CAS_LOGOUT = env.bool("ILLMS_CAS_LOGOUT", default=True)

# LDAP / Active Directory door (requests_app/identity/ldap, ldap3, docs/authentication.md#ldap--active-directory):
# the sign-in form's user name and password checked by a bind at the directory. One or more ldap:// or ldaps://
# addresses (space-separated, tried in order); the certificate is always checked, against ILLMS_LDAP_CA_FILE or
# the system's CAs. Search-then-bind with the service account (ILLMS_LDAP_BIND_DN; empty: an anonymous search), or
# a direct bind with ILLMS_LDAP_USER_DN_TEMPLATE (a DN, or Active Directory's %(user)s@uni.example.edu).
ILLMS_LDAP_SERVER_URI = env.str("ILLMS_LDAP_SERVER_URI", default="").strip()
ILLMS_LDAP_START_TLS = env.bool("ILLMS_LDAP_START_TLS", default=False)
ILLMS_LDAP_CA_FILE = env.str("ILLMS_LDAP_CA_FILE", default="")
ILLMS_LDAP_BIND_DN = env.str("ILLMS_LDAP_BIND_DN", default="")
ILLMS_LDAP_BIND_PASSWORD = env.str("ILLMS_LDAP_BIND_PASSWORD", default="")
ILLMS_LDAP_USER_SEARCH_BASE = env.str("ILLMS_LDAP_USER_SEARCH_BASE", default="")
ILLMS_LDAP_USER_SEARCH_FILTER = env.str("ILLMS_LDAP_USER_SEARCH_FILTER", default="(uid=%(user)s)")
ILLMS_LDAP_USER_DN_TEMPLATE = env.str("ILLMS_LDAP_USER_DN_TEMPLATE", default="")
# An entry this filter matches cannot sign in (the default: Active Directory's ACCOUNTDISABLE bit).
ILLMS_LDAP_DISABLED_FILTER = env.str("ILLMS_LDAP_DISABLED_FILTER",
                                     default="(userAccountControl:1.2.840.113556.1.4.803:=2)")
# Groups: searched under ILLMS_LDAP_GROUP_SEARCH_BASE with the filter (%(dn)s: the person's DN, %(user)s: the
# user name), else read from the entry's memberOf; named by cn or DN in the two maps below.
ILLMS_LDAP_GROUP_SEARCH_BASE = env.str("ILLMS_LDAP_GROUP_SEARCH_BASE", default="")
ILLMS_LDAP_GROUP_SEARCH_FILTER = env.str(
    "ILLMS_LDAP_GROUP_SEARCH_FILTER", default="(|(member=%(dn)s)(uniqueMember=%(dn)s)(memberUid=%(user)s))")
ILLMS_LDAP_TIMEOUT = env.float("ILLMS_LDAP_TIMEOUT", default=5.0)


def _ldap_settings():
    from django.core.exceptions import ImproperlyConfigured

    from requests_app.identity.fields import CATEGORIES, STAFF_ROLES, parse_group_map

    for name, value in (("ILLMS_LDAP_USER_SEARCH_FILTER", ILLMS_LDAP_USER_SEARCH_FILTER),
                        ("ILLMS_LDAP_USER_DN_TEMPLATE", ILLMS_LDAP_USER_DN_TEMPLATE)):
        if value and "%(user)s" not in value:
            raise ImproperlyConfigured(f"{name} must contain %(user)s, where the user name goes: {value!r}")
    for uri in ILLMS_LDAP_SERVER_URI.split():
        if not uri.lower().startswith(("ldap://", "ldaps://")):
            raise ImproperlyConfigured(f"ILLMS_LDAP_SERVER_URI: {uri!r} is no ldap:// or ldaps:// address")
    maps = []
    for name, allowed in (("ILLMS_LDAP_GROUP_CATEGORIES", CATEGORIES), ("ILLMS_LDAP_STAFF_GROUPS", STAFF_ROLES)):
        try:
            maps.append(parse_group_map(env.str(name, default=""), allowed=allowed))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {exc}") from None
    return maps


# ILLMS_LDAP_GROUP_CATEGORIES="ill-faculty=faculty;grads=graduate": a patron category by group;
# ILLMS_LDAP_STAFF_GROUPS="ill-staff=borrowing,lending;ill-admins=administrator": a staff account and its roles.
ILLMS_LDAP_GROUP_CATEGORIES, ILLMS_LDAP_STAFF_GROUPS = _ldap_settings()
AUTHENTICATION_BACKENDS.append("requests_app.identity.ldap.backend.LDAPBackend")

# SAML 2.0 door (requests_app/identity/saml, docs/authentication.md "SAML"): our service provider on pysaml2, which
# calls the xmlsec1 program. The identity provider's metadata is a file or an https URL; our entity id defaults to
# <ILLMS_SITE_URL>/accounts/saml/metadata/ (also our metadata's address); our key pair signs requests and
# decrypts assertions. ILLMS_SAML_LIBRARY, ILLMS_SAML_LABEL and ILLMS_SAML_ATTRIBUTES are read above.
ILLMS_SAML_IDP_METADATA = env.str("ILLMS_SAML_IDP_METADATA", default="")
ILLMS_SAML_ENTITY_ID = env.str("ILLMS_SAML_ENTITY_ID", default="")
ILLMS_SAML_CERT_FILE = env.str("ILLMS_SAML_CERT_FILE", default="")
ILLMS_SAML_KEY_FILE = env.str("ILLMS_SAML_KEY_FILE", default="")
ILLMS_SAML_XMLSEC_BINARY = env.str("ILLMS_SAML_XMLSEC_BINARY", default="xmlsec1")

# OpenID Connect door (requests_app/identity/oidc, mozilla-django-oidc): the provider's endpoints from its
# discovery document at ILLMS_OIDC_ISSUER, read at the first sign-in (a provider that is down never stops the
# start-up), each overridden by its own ILLMS_OIDC_*_ENDPOINT.
ILLMS_OIDC_ISSUER = env.str("ILLMS_OIDC_ISSUER", default="").rstrip("/")
OIDC_RP_CLIENT_ID = env.str("ILLMS_OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("ILLMS_OIDC_CLIENT_SECRET", default="")
OIDC_RP_SCOPES = env.str("ILLMS_OIDC_SCOPES", default="openid email profile")
OIDC_RP_SIGN_ALGO = env.str("ILLMS_OIDC_SIGN_ALGO", default="RS256")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("ILLMS_OIDC_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("ILLMS_OIDC_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("ILLMS_OIDC_USERINFO_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("ILLMS_OIDC_JWKS_ENDPOINT", default="")
ILLMS_OIDC_END_SESSION_ENDPOINT = env.str("ILLMS_OIDC_END_SESSION_ENDPOINT", default="")
ILLMS_OIDC_SINGLE_LOGOUT = env.bool("ILLMS_OIDC_SINGLE_LOGOUT", default=True)
ILLMS_OIDC_DISCOVERY_SECONDS = env.int("ILLMS_OIDC_DISCOVERY_SECONDS", default=3600)
ILLMS_OIDC_LEEWAY_SECONDS = env.int("ILLMS_OIDC_LEEWAY_SECONDS", default=60)
OIDC_TIMEOUT = env.int("ILLMS_OIDC_TIMEOUT_SECONDS", default=10)
OIDC_VERIFY_SSL = True
OIDC_USE_PKCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
AUTHENTICATION_BACKENDS.append("requests_app.identity.oidc.backend.OIDCBackend")

# Two factors for staff (requests_app/two_factor, docs/authentication.md#two-factors-for-staff): after the password
# (or an identity provider that did not assert its own second factor) a staff member with an authenticator app gives
# its code; the roles named here, and superusers, must set one up before they reach any page. Role names as in the
# admin's groups. ILLMS_2FA_TRUST_IDP_MFA: a staff member whose identity provider says it checked a second factor
# (SAML AuthnContextClassRef, OIDC amr/acr, a CAS attribute, with one of ILLMS_2FA_IDP_MFA_VALUES) is not asked again.
ILLMS_2FA_REQUIRED_ROLES = env.list("ILLMS_2FA_REQUIRED_ROLES", default=["ILL administrator", "Billing staff"])
ILLMS_2FA_REQUIRED_FOR_SUPERUSERS = env.bool("ILLMS_2FA_REQUIRED_FOR_SUPERUSERS", default=True)
ILLMS_2FA_TRUST_IDP_MFA = env.bool("ILLMS_2FA_TRUST_IDP_MFA", default=True)
ILLMS_2FA_IDP_MFA_VALUES = env.list("ILLMS_2FA_IDP_MFA_VALUES", default=[
    "https://refeds.org/profile/mfa", "http://schemas.microsoft.com/claims/multipleauthn", "mfa"])
ILLMS_2FA_CAS_MFA_ATTRIBUTE = env.str("ILLMS_2FA_CAS_MFA_ATTRIBUTE", default="authnContextClass")
ILLMS_2FA_RECOVERY_CODES = 10
# The name authenticator apps show beside the account; secrets and QR codes never leave this site.
OTP_TOTP_ISSUER = env.str("ILLMS_2FA_ISSUER", default="ILLMS")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin lists devices (a superuser removes a lost one), never their keys

# The site's default language, for visitors whose browser asks for none we ship and for e-mails to people who chose
# none; English in this variant (en-gb prints dates 03/12/2026, en-us 12/03/2026), or de, fr, es.
LANGUAGE_CODE = env.str("ILLMS_LANGUAGE_CODE", default="en-us")
TIME_ZONE = env.str("ILLMS_TIME_ZONE", default="UTC")
# The month the fiscal year starts in, for the annual-survey export (docs/statistics.md); July in most US institutions.
ILLMS_FISCAL_YEAR_START_MONTH = env.int("ILLMS_FISCAL_YEAR_START_MONTH", default=7)
if not 1 <= ILLMS_FISCAL_YEAR_START_MONTH <= 12:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ILLMS_FISCAL_YEAR_START_MONTH must be a month, 1 (January) to 12 (December).")
USE_I18N = True
# The languages ILLMS ships (docs/translations.md): each person picks one in the page header, kept on their profile.
# English is the configured variant of it, so ILLMS_LANGUAGE_CODE=en-gb keeps British date formats.
LANGUAGES = [
    (LANGUAGE_CODE if LANGUAGE_CODE.startswith("en") else "en", "English"),
    ("de", "German"),
    ("fr", "French"),
    ("es", "Spanish"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Uploaded scans and generated PDFs live outside the web root and are served by views
# that check who asks, never by the static file server.
PRIVATE_STORAGE_ROOT = Path(env.str("ILLMS_PRIVATE_STORAGE", default=str(VAR_DIR / "private")))
# Private files (scans, invoice PDFs, imported files) on the local disk, or with ILLMS_S3_BUCKET in an
# S3-compatible object store (AWS S3, MinIO, Ceph, Garage...) that every web and worker machine reaches
# (docs/deployment.md). Objects are private: only our views, which check who asks, hand them out.
ILLMS_S3_BUCKET = env.str("ILLMS_S3_BUCKET", default="")
if ILLMS_S3_BUCKET:
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ILLMS_S3_BUCKET,
            "endpoint_url": env.str("ILLMS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("ILLMS_S3_REGION", default="") or None,
            "access_key": env.str("ILLMS_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("ILLMS_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("ILLMS_S3_PREFIX", default="").strip("/"),
            "addressing_style": env.str("ILLMS_S3_ADDRESSING_STYLE", default="path"),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            # Two uploads of the same name never overwrite each other (a scan, an invoice number).
            "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": "AES256"} if env.bool("ILLMS_S3_ENCRYPT", default=False)
            else {},
        },
    }
else:
    _private_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT)}}
STORAGES = {
    "default": _private_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# E-mail: EMAIL_URL (smtp://user:pass@host:587/?tls=True) or the console in development.
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG or DEMO else "smtp://localhost:25")
vars().update(_email)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ILL Office <ill@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A mail server that stops answering frees the worker after this long (the hand-over is retried);
# ILLMS_EMAIL_LEASE_SECONDS must stay above it.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Outgoing e-mail rows (requests_app.mailer): attempts before an e-mail is failed and listed for staff,
# the first back-off (doubled each attempt), and how long a claimed hand-over holds its row before the
# sweep gives it back (its worker died).
ILLMS_EMAIL_MAX_ATTEMPTS = env.int("ILLMS_EMAIL_MAX_ATTEMPTS", default=8)
ILLMS_EMAIL_BACKOFF_SECONDS = env.int("ILLMS_EMAIL_BACKOFF_SECONDS", default=60)
ILLMS_EMAIL_LEASE_SECONDS = env.int("ILLMS_EMAIL_LEASE_SECONDS", default=300)

# Celery: Redis when REDIS_URL is set, otherwise a broker on the local file system, which
# lets a worker and beat run beside `runserver` with no server to install.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
# A task taken by a worker that dies (acks_late) goes back to the queue after the visibility timeout:
# it must be longer than the longest task (the nightly reminders and the monthly invoices, minutes), or a
# task still running is handed to a second worker too (harmless, every job is idempotent, but wasted).
ILLMS_BROKER_VISIBILITY_TIMEOUT = env.int("ILLMS_BROKER_VISIBILITY_TIMEOUT", default=900)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": ILLMS_BROKER_VISIBILITY_TIMEOUT}
    # Installations (or test runs) sharing one Redis database keep their queues apart by a key prefix.
    if env.str("ILLMS_BROKER_KEY_PREFIX", default=""):
        CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = env.str("ILLMS_BROKER_KEY_PREFIX")
else:
    # A host name keeps kombu from warning on every message; the file-system transport ignores it.
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Queues by kind of work, so a batch of invoices or a patron load never delays a partner message or an e-mail:
# docker-compose runs one worker for "protocol" and "email" and another for the rest (docs/deployment.md). A
# worker started without -Q (make run, one-machine installs) takes every queue. Tasks not named here go to
# "celery", the default queue (the scheduled sweeps and desk jobs).
ILLMS_CELERY_QUEUES = ["celery", "protocol", "email", "pdf", "imports"]
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ILLMS_CELERY_QUEUES]
CELERY_TASK_ROUTES = {
    # Partner messages (ISO 18626 and REST) and calls to the library's own systems.
    "requests_app.tasks.deliver_request_outbox": {"queue": "protocol"},
    "requests_app.tasks.deliver_outbox": {"queue": "protocol"},
    "requests_app.tasks.apply_inbound_messages": {"queue": "protocol"},
    "*.ncip.*": {"queue": "protocol"},
    # One e-mail a task, and the sweep that hands over those a dead worker left.
    "requests_app.tasks.send_email": {"queue": "email"},
    "requests_app.tasks.sweep_outgoing_email": {"queue": "email"},
    # Invoices are rendered to PDF.
    "billing.tasks.create_monthly_invoices": {"queue": "pdf"},
    "billing.tasks.sweep_invoices": {"queue": "pdf"},
    # Files a library sends us: holdings and patron loads.
    "lending.tasks.import_holdings": {"queue": "imports"},
    "*.tasks.*load*": {"queue": "imports"},
    "*.tasks.*import*": {"queue": "imports"},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Scheduled jobs (DESIGN.md "Jobs"). Each task is idempotent, so a second run, or a task
# redelivered after a worker died, does nothing twice. Later jobs join this table as they land.
CELERY_BEAT_SCHEDULE = {
    "outbox-retry": {"task": "requests_app.tasks.deliver_outbox", "schedule": 60.0},
    "inbound-apply-sweep": {"task": "requests_app.tasks.apply_inbound_messages", "schedule": 60.0},
    "ncip-retry": {"task": "requests_app.ncip.tasks.send_due_ncip_calls", "schedule": 60.0},
    "outgoing-email-sweep": {"task": "requests_app.tasks.sweep_outgoing_email", "schedule": 60.0},
    "billing-invoice-sweep": {"task": "billing.tasks.sweep_invoices", "schedule": 600.0},
    "borrowing-mark-overdue": {"task": "borrowing.tasks.mark_overdue_loans", "schedule": crontab(hour=0, minute=30)},
    "lending-mark-overdue": {"task": "lending.tasks.mark_overdue_loans", "schedule": crontab(hour=0, minute=40)},
    "borrowing-rota-auto-advance": {"task": "borrowing.tasks.advance_silent_lenders", "schedule": crontab(minute=5)},
    "borrowing-reminders": {"task": "borrowing.tasks.send_reminders", "schedule": crontab(hour=1, minute=0)},
    "borrowing-supplier-api-orders": {"task": "borrowing.tasks.follow_supplier_api_orders", "schedule": 300.0},
    "lending-check-missed-availability": {"task": "lending.tasks.check_missed_availability", "schedule": 600.0},
    "lending-expire-deliveries": {"task": "lending.tasks.expire_electronic_deliveries",
                                  "schedule": crontab(hour=1, minute=10)},
    "requests-resume-patron-loads": {"task": "requests_app.tasks.resume_patron_loads", "schedule": 300.0},
    "requests-nightly-patron-loads": {"task": "requests_app.tasks.load_dropped_patron_files",
                                      "schedule": crontab(hour=3, minute=0)},
    "requests-purge-patron-data": {"task": "requests_app.tasks.purge_patron_data",
                                   "schedule": crontab(hour=2, minute=30)},
    "requests-refresh-statistics": {"task": "requests_app.tasks.refresh_statistics", "schedule": crontab(minute=20)},
    "billing-invoices": {"task": "billing.tasks.create_monthly_invoices", "schedule": crontab(15, "*/3", "*", "1,2")},
    # The ECB publishes its reference rates around 16:00 CET on working days; does nothing without the URL.
    "billing-exchange-rates": {"task": "billing.tasks.fetch_exchange_rates", "schedule": crontab(hour=17, minute=30)},
}

CACHES = {
    "default": env.cache_url("CACHE_URL", default="locmemcache://")
    if not REDIS_URL
    else {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "requests_app.partners.api.authentication.PartnerApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Per API key and per partner (ILLMS_THROTTLE_*); calls without a credential are counted per address by
    # the authentication class, before the permission check answers them 401.
    "DEFAULT_THROTTLE_CLASSES": ["requests_app.partners.api.authentication.PartnerRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Bodies are JSON, as the OpenAPI document says; a form-encoded body answers 415.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "requests_app.partners.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ILLMS API",
    "DESCRIPTION": "Interlibrary loan requests, directory and holdings for partner libraries and staff tools.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation's errors in the one shape, empty query parameters, installed values: schema.py says.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "requests_app.partners.api.schema.complete_the_document",
    ],
    # Two models have a choice field named "format": give each enum its own name.
    "ENUM_NAME_OVERRIDES": {
        "RequestFormatEnum": "requests_app.models.RequestFormat",
        "HoldingFormatEnum": "lending.models.HoldingFormat",
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The library policies' installation defaults (ILLMS_DUE_DATE_BUFFER_DAYS, ILLMS_MAX_RENEWALS, ...), each
# declared once with its default in requests_app/policy_declarations.py; a library's own policy overrides them.
globals().update(policy_declarations.from_environment(env))
ILLMS_OUTBOX_MAX_ATTEMPTS = env.int("ILLMS_OUTBOX_MAX_ATTEMPTS", default=12)
ILLMS_OUTBOX_BACKOFF_SECONDS = env.int("ILLMS_OUTBOX_BACKOFF_SECONDS", default=30)
ILLMS_PARTNER_TIMEOUT_SECONDS = env.int("ILLMS_PARTNER_TIMEOUT_SECONDS", default=20)
# Reference exchange rates in the ECB's eurofxref format, fetched daily for budgets (empty: staff enter them),
# e.g. https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml
ILLMS_EXCHANGE_RATES_URL = env.str("ILLMS_EXCHANGE_RATES_URL", default="")
# The reminder job reads this many loans, and commits their reminders with their e-mails, at once.
ILLMS_REMINDER_CHUNK = env.int("ILLMS_REMINDER_CHUNK", default=200)
# The public address of this installation, for links in e-mails and download links sent to partners.
ILLMS_SITE_URL = env.str("ILLMS_SITE_URL", default="")
# Electronic delivery: the largest file we accept (OCLC Article Exchange practice: 60 MB).
ILLMS_EDELIVERY_MAX_BYTES = env.int("ILLMS_EDELIVERY_MAX_BYTES", default=60 * 1024 * 1024)

# ISO 18626: where the official schema lies (tests validate against it) and the body cap.
ISO18626_SCHEMA_DIR = Path(env.str("ILLMS_ISO18626_SCHEMA_DIR", default=str(BASE_DIR.parent / "shared" / "iso18626")))
ISO18626_MAX_BODY_BYTES = env.int("ILLMS_ISO18626_MAX_BODY_BYTES", default=1_000_000)
# How a partner's ISO 18626 message is taken in (requests_app/partners/intake.py): "by_worker" answers what
# must be answered at once, stores the message, confirms it and leaves applying it to a worker on the
# "protocol" queue; "at_once" applies it while the partner waits for the confirmation.
ILLMS_ISO18626_APPLY = env.str("ILLMS_ISO18626_APPLY", default="by_worker")
if ILLMS_ISO18626_APPLY not in ("by_worker", "at_once"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"ILLMS_ISO18626_APPLY must be by_worker or at_once, not {ILLMS_ISO18626_APPLY!r}.")

# NCIP 2.02 with the member libraries' ILS: where the official schema lies (every message sent and every answer
# read is checked against it; without it no NCIP call is sent), the longest answer read, and the time limit
# of the LookupUser asked while a patron waits for the request form's answer.
ILLMS_NCIP_SCHEMA_DIR = Path(env.str("ILLMS_NCIP_SCHEMA_DIR", default=str(BASE_DIR.parent / "shared" / "ncip")))
ILLMS_NCIP_MAX_BODY_BYTES = env.int("ILLMS_NCIP_MAX_BODY_BYTES", default=1_000_000)
# How long a lending request's page keeps what the ILS said of our copy (LookupItem) before asking again.
ILLMS_NCIP_LIVE_SECONDS = env.int("ILLMS_NCIP_LIVE_SECONDS", default=60)
# How often the ILS is asked about the temporary items of libraries whose desk checks borrowed items out in the
# ILS (LookupItem, or LookupItemSet), to learn of the check-outs and check-ins done there.
ILLMS_NCIP_POLL_SECONDS = env.int("ILLMS_NCIP_POLL_SECONDS", default=300)
CELERY_BEAT_SCHEDULE["ncip-circulation"] = {"task": "requests_app.ncip.tasks.learn_ncip_circulation",
                                            "schedule": float(max(ILLMS_NCIP_POLL_SECONDS, 30))}

# Sign-in throttling (django-axes): an account is locked for one client address after
# ILLMS_SIGNIN_FAILURE_LIMIT wrong passwords in a row, for ILLMS_SIGNIN_LOCKOUT_MINUTES after the last try;
# the same account from another address, and other accounts from that address, are not locked.
AXES_FAILURE_LIMIT = env.int("ILLMS_SIGNIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ILLMS_SIGNIN_LOCKOUT_MINUTES", default=60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "illms.signin.lockout_response"
# The client's address: REMOTE_ADDR, or with ILLMS_TRUSTED_PROXY_COUNT reverse proxies in front, the address
# the outermost of them saw (X-Forwarded-For counted from the right; docs/deployment.md).
ILLMS_TRUSTED_PROXY_COUNT = env.int("ILLMS_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "illms.signin.client_ip_address"
AXES_SENSITIVE_PARAMETERS = ["password", "csrfmiddlewaretoken"]
AXES_ENABLE_ADMIN = False  # illms/admin.py registers axes' pages for superusers only
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # each failed sign-in kept (admin: Access failures), beside the log lines

# Sessions: a patron's lasts ILLMS_PATRON_SESSION_DAYS; a staff member's ends after
# ILLMS_STAFF_SESSION_IDLE_MINUTES without a request (illms.middleware.StaffSessionIdleTimeout).
SESSION_COOKIE_AGE = env.int("ILLMS_PATRON_SESSION_DAYS", default=14) * 24 * 60 * 60
ILLMS_STAFF_SESSION_IDLE_SECONDS = env.int("ILLMS_STAFF_SESSION_IDLE_MINUTES", default=8 * 60) * 60

# Partners' catalogues over SRU (requests_app/directory/holdings.py, docs/sourcing.md): one look-up asks every
# configured catalogue at once and waits at most ILLMS_SRU_TIME_LIMIT_SECONDS in all; answers are cached.
ILLMS_SRU_TIME_LIMIT_SECONDS = env.float("ILLMS_SRU_TIME_LIMIT_SECONDS", default=5.0)
ILLMS_SRU_CACHE_SECONDS = env.int("ILLMS_SRU_CACHE_SECONDS", default=6 * 60 * 60)
ILLMS_SRU_MAX_PARALLEL = env.int("ILLMS_SRU_MAX_PARALLEL", default=8)
ILLMS_SRU_MAX_RECORDS = env.int("ILLMS_SRU_MAX_RECORDS", default=10)
# The rota's country part for a library whose policy names no preferred countries (requests_app/regions.py):
# "code=points" pairs, comma-separated; "own" is the library's own country.
ILLMS_ROTA_COUNTRY_PREFERENCES = env.str("ILLMS_ROTA_COUNTRY_PREFERENCES", default="own=10")
# Completing a citation from its DOI or PMID (requests_app/citation_lookup.py): the services asked, in order.
ILLMS_CITATION_LOOKUP = env.list("ILLMS_CITATION_LOOKUP", default=[])
ILLMS_CROSSREF_URL = env.str("ILLMS_CROSSREF_URL", default="https://api.crossref.org")
ILLMS_CROSSREF_MAILTO = env.str("ILLMS_CROSSREF_MAILTO", default="")
ILLMS_PUBMED_URL = env.str("ILLMS_PUBMED_URL", default="https://eutils.ncbi.nlm.nih.gov/entrez/eutils")
ILLMS_PUBMED_API_KEY = env.str("ILLMS_PUBMED_API_KEY", default="")
ILLMS_OPENLIBRARY_URL = env.str("ILLMS_OPENLIBRARY_URL", default="https://openlibrary.org")
ILLMS_CITATION_LOOKUP_TIMEOUT_SECONDS = env.float("ILLMS_CITATION_LOOKUP_TIMEOUT_SECONDS", default=3.0)
ILLMS_CITATION_LOOKUP_CACHE_SECONDS = env.int("ILLMS_CITATION_LOOKUP_CACHE_SECONDS", default=7 * 24 * 60 * 60)
# Open access before borrowing (requests_app/open_access.py): Unpaywall by DOI, off while no e-mail is set.
ILLMS_UNPAYWALL_URL = env.str("ILLMS_UNPAYWALL_URL", default="https://api.unpaywall.org")
ILLMS_UNPAYWALL_EMAIL = env.str("ILLMS_UNPAYWALL_EMAIL", default="")
ILLMS_OPEN_ACCESS_CLIENT = env.str("ILLMS_OPEN_ACCESS_CLIENT", default="requests_app.open_access.UnpaywallClient")
ILLMS_OPEN_ACCESS_TIMEOUT_SECONDS = env.float("ILLMS_OPEN_ACCESS_TIMEOUT_SECONDS", default=3.0)
ILLMS_OPEN_ACCESS_CACHE_SECONDS = env.int("ILLMS_OPEN_ACCESS_CACHE_SECONDS", default=7 * 24 * 60 * 60)
# Commercial document suppliers' ordering APIs (borrowing/services/supplier_api.py, docs/sourcing.md): the client
# class, its time limit, the back-off and attempts of an order the API did not take, how often a placed order is
# asked how it stands, and how long a worker's claim on an order lasts.
ILLMS_SUPPLIER_API_CLIENT = env.str("ILLMS_SUPPLIER_API_CLIENT", default="borrowing.services.supplier_api.JsonOrderApi")
ILLMS_SUPPLIER_API_TIMEOUT_SECONDS = env.float("ILLMS_SUPPLIER_API_TIMEOUT_SECONDS", default=20.0)
ILLMS_SUPPLIER_API_BACKOFF_SECONDS = env.int("ILLMS_SUPPLIER_API_BACKOFF_SECONDS", default=60)
ILLMS_SUPPLIER_API_MAX_ATTEMPTS = env.int("ILLMS_SUPPLIER_API_MAX_ATTEMPTS", default=8)
ILLMS_SUPPLIER_POLL_MINUTES = env.int("ILLMS_SUPPLIER_POLL_MINUTES", default=15)
ILLMS_SUPPLIER_API_LEASE_SECONDS = env.int("ILLMS_SUPPLIER_API_LEASE_SECONDS", default=300)
# Our own holdings served at /sru: the most records one searchRetrieve answer carries.
ILLMS_SRU_SERVER_MAX_RECORDS = env.int("ILLMS_SRU_SERVER_MAX_RECORDS", default=50)
# Searches one client address may make at /sru in the period (a rate as for the partner doors below; "off": none);
# over it: HTTP 429 with Retry-After and an SRU diagnostic (2, system temporarily unavailable).
ILLMS_SRU_RATE = env.str("ILLMS_SRU_RATE", default="120/min")

# Partner doors: rates per API key, per partner and, for calls without a usable credential, per address
# ("600/min", "10/s", "5000/hour", "120/5m"; "off" for none), counted in the cache (docs/configuration.md).
# Seconds a process keeps a partner key it looked up (at most 60; 0: look it up on every call). A key revoked or a
# library switched off elsewhere is refused within this time; in the process that did it, at once.
ILLMS_API_KEY_CACHE_SECONDS = env.int("ILLMS_API_KEY_CACHE_SECONDS", default=30)
ILLMS_THROTTLE_API_KEY_RATE = env.str("ILLMS_THROTTLE_API_KEY_RATE", default="600/min")
ILLMS_THROTTLE_PARTNER_RATE = env.str("ILLMS_THROTTLE_PARTNER_RATE", default="1200/min")
ILLMS_THROTTLE_UNAUTHENTICATED_RATE = env.str("ILLMS_THROTTLE_UNAUTHENTICATED_RATE", default="60/min")
# Fernet keys (comma-separated, the first encrypts) for the credentials we send to partners; empty: one key
# derived from SECRET_KEY (requests_app/partners/credentials.py; docs/partners.md says how to rotate).
ILLMS_CREDENTIALS_KEY = env.str("ILLMS_CREDENTIALS_KEY", default="")

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and styles only from our own static files, never inline.
# Operators who add content from elsewhere (a logo, a web font) name its origin in ILLMS_CSP_EXTRA_*.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, *env.list("ILLMS_CSP_EXTRA_SCRIPT_SRC", default=[])],
        "style-src": [SELF, *env.list("ILLMS_CSP_EXTRA_STYLE_SRC", default=[])],
        # data: for the small SVG icons inside Bootstrap's and Swagger UI's style sheets.
        "img-src": [SELF, "data:", *env.list("ILLMS_CSP_EXTRA_IMG_SRC", default=[])],
        "font-src": [SELF, *env.list("ILLMS_CSP_EXTRA_FONT_SRC", default=[])],
        "connect-src": [SELF, *env.list("ILLMS_CSP_EXTRA_CONNECT_SRC", default=[])],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Our logout form's redirect on to the OpenID provider's end_session counts as a form action (browsers check it).
if ILLMS_OIDC_END_SESSION_ENDPOINT or ILLMS_OIDC_ISSUER:
    _oidc_logout = urlsplit(ILLMS_OIDC_END_SESSION_ENDPOINT or ILLMS_OIDC_ISSUER)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(f"{_oidc_logout.scheme}://{_oidc_logout.netloc}")
if env.str("ILLMS_CSP_REPORT_URI", default=""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [env.str("ILLMS_CSP_REPORT_URI")]
# Permissions-Policy (illms.middleware.PermissionsPolicy): no page of ours uses these browser features (the
# barcode scanner reads a keyboard-wedge scanner, not the camera), so no page, nor anything framed in it, may.
ILLMS_PERMISSIONS_POLICY = {
    feature: [] for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "geolocation", "gyroscope",
        "hid", "idle-detection", "magnetometer", "microphone", "midi", "payment", "picture-in-picture",
        "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking")
}
if not DEBUG and not DEMO:  # the demo is served over plain HTTP on this machine: no HTTPS to insist on
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # axes logs failed sign-ins and lockouts at WARNING; its start-up banner at INFO is noise in every command.
    # cql-parser logs every malformed query someone sends /sru at ERROR; the answer's diagnostic says it already.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes.apps": {"level": "WARNING"},
                "cql": {"level": "CRITICAL"}},
}
