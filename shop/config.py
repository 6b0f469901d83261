"""Settings, read from the environment (and a `.env` file in development)."""

import json
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


REQUEST_MARGIN_BYTES = 2 * 1024 * 1024  # a request body's allowance beyond its attachments


class ConfigError(RuntimeError):
    """The app was asked to start with settings it must refuse."""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key() -> str:
    """A per-checkout secret for development, kept in instance/ so sessions survive restarts."""
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Defaults for development; every value can be overridden from the environment."""

    ENV_NAME = "development"
    STORE_NAME = "Harbor & Hall"
    STORE_CURRENCY = "USD"
    STORE_LOCALE = "en_US"

    SQLALCHEMY_ENGINE_OPTIONS: dict = {}  # PostgreSQL also gets pool_pre_ping (check_config)
    TRUSTED_PROXIES = 0  # reverse proxies in front of the app whose X-Forwarded-* are believed
    SQLALCHEMY_RECORD_QUERIES = False

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 30

    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Failed login attempts, per client address and per account (successful logins never count).
    LOGIN_LIMIT_PER_ADDRESS = "30 per 10 minutes"
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"

    # Email (Flask-Mailman). In development every email is written to a file in instance/mail/
    # (one .log file per delivery run) instead of being sent: open it to read the message and
    # follow its links. Set MAIL_BACKEND=smtp and MAIL_SERVER etc. to send for real.
    MAIL_BACKEND = "file"
    MAIL_FILE_PATH = str(INSTANCE / "mail")
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Harbor & Hall <hello@harborandhall.example>"
    MAIL_TIMEOUT = 10  # seconds; a hung mail server must not hold a request or a job forever
    # Send a request's emails right after its commit (they stay queued if that fails, for
    # `flask send-outbox`, which a scheduler should run every minute or so either way).
    OUTBOX_SEND_INLINE = True
    # Links in emails sent outside a request (jobs, commands) start with this.
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    # Keep what catalog pages show the same to everyone in each worker's memory, renewed by the
    # catalog generation (shop/catalog/cache.py). Off: every page is built from the database.
    CATALOG_CACHE = True

    # Checkout and payments. Amounts are integer cents; rates are percent strings (exact).
    RESERVATION_MINUTES = 15  # units held once the buyer reaches payment
    RESERVATION_AUTH_EXTENSION_MINUTES = 15  # more time while the bank authenticates a card
    BANK_TRANSFER_HOLD_DAYS = 5  # units held for an unpaid transfer
    MAX_PAYMENT_CENTS = 99_999_999  # $999,999.99: the largest single payment we take
    TERMS_VERSION = "2026-11"
    DEFAULT_TAX_RATE = "6"
    # Base sales tax per state (percent); any state not listed pays DEFAULT_TAX_RATE.
    TAX_RATES = {
        "OR": "0",
        "MT": "0",
        "NH": "0",
        "DE": "0",
        "AK": "0",
        "WA": "6.5",
        "CA": "7.25",
        "NY": "4",
        "MD": "6",
        "FL": "6",
        "TX": "6.25",
        "MA": "6.25",
        "IL": "6.25",
        "NJ": "6.625",
    }
    BANK_DETAILS = {
        "account_name": "Harbor & Hall LLC",
        "bank": "Columbia Pacific Bank, Portland, OR",
        "routing_number": "123000220",
        "account_number": "4800 1122 9031",
        "swift": "CPBKUS6P",
    }
    STRIPE_SECRET_KEY = ""
    STRIPE_PUBLISHABLE_KEY = ""
    STRIPE_WEBHOOK_SECRET = ""
    STRIPE_API_BASE = ""  # empty: Stripe itself; tests and the demo use a local Stripe peer
    STRIPE_JS_URL = "https://js.stripe.com/v3/"
    STRIPE_TIMEOUT_SECONDS = 10  # well below gunicorn's 30 s worker timeout
    STRIPE_CAPTURE_METHOD = "manual"  # authorize now, staff capture later; or "automatic"
    # Quotes: below this margin (percent of the total) a manager must approve before sending;
    # the default validity of a new quote; whether an open quote holds its units.
    QUOTE_MARGIN_FLOOR_PCT = "12"
    QUOTE_VALID_DAYS = 14
    QUOTE_HOLD_UNITS = True
    # Beyond these sums (cents) a quote needs a manager: its custom lines (services, freight:
    # what the catalog does not sell) at list price, and its trade-in credits.
    QUOTE_CUSTOM_APPROVAL_ABOVE_CENTS = 5_000_00
    QUOTE_TRADE_IN_APPROVAL_ABOVE_CENTS = 25_000_00

    BALANCE_DUE_DAYS = 7  # a balance payment request asks for the money within this many days

    # Staff operations. Four-eyes: above these amounts a second staff member must approve.
    REFUND_APPROVAL_ABOVE_CENTS = 10_000_00
    TRANSFER_APPROVAL_ABOVE_CENTS = 50_000_00
    CARD_HOLD_DAYS = 7  # a card authorization lapses about this long after it was made
    HOLD_WARNING_HOURS = 48  # holds lapsing within this many hours are flagged to staff

    # After-sale service.
    SUPPORT_TIMEZONE = "America/New_York"  # business hours are counted on this clock
    SUPPORT_HOURS = {
        0: ("09:00", "17:00"),
        1: ("09:00", "17:00"),
        2: ("09:00", "17:00"),
        3: ("09:00", "17:00"),
        4: ("09:00", "17:00"),
    }  # weekday (0 = Monday)
    # Business hours to the first response and to resolution, per priority.
    SLA_TARGETS = {
        "urgent": (1, 8),
        "high": (4, 16),
        "normal": (8, 40),
        "low": (16, 80),
    }
    RETURN_WINDOW_DAYS = 30  # days after delivery a return may be asked for
    RETURN_CONDITIONS = (
        "Unused, in its original packaging, with every accessory and document. Made-to-order "
        "items and expedition places cannot be returned."
    )
    LOW_RATING_AT_MOST = 2  # ratings at or below this are flagged to the managers
    UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    UPLOAD_MAX_FILES = 5
    UPLOAD_FOLDER = str(INSTANCE / "uploads")  # outside the web root, served only through checks

    PRODUCTS_PER_PAGE = 12
    COMPARE_MAX = 4
    MAX_LINE_QUANTITY = 20  # a line above this is a typo, not a purchase of big-ticket goods
    RECENTLY_VIEWED = 8

    def __init__(self) -> None:
        self.ENV_NAME = os.environ.get("SHOP_ENV", self.ENV_NAME)
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE / 'shop.sqlite3'}"
        )
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(self.SQLALCHEMY_DATABASE_URI)
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or None
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.STORE_NAME = os.environ.get("STORE_NAME", self.STORE_NAME)
        env = os.environ.get
        self.MAIL_BACKEND = env("MAIL_BACKEND", self.MAIL_BACKEND)
        self.MAIL_FILE_PATH = env("MAIL_FILE_PATH", self.MAIL_FILE_PATH)
        self.MAIL_SERVER = env("MAIL_SERVER", self.MAIL_SERVER)
        self.MAIL_PORT = int(env("MAIL_PORT", self.MAIL_PORT))
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS", self.MAIL_USE_TLS)
        self.MAIL_USE_SSL = _bool("MAIL_USE_SSL", self.MAIL_USE_SSL)
        self.MAIL_USERNAME = env("MAIL_USERNAME") or self.MAIL_USERNAME
        self.MAIL_PASSWORD = env("MAIL_PASSWORD") or self.MAIL_PASSWORD
        self.MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", self.MAIL_DEFAULT_SENDER)
        self.MAIL_TIMEOUT = int(env("MAIL_TIMEOUT", self.MAIL_TIMEOUT))
        self.OUTBOX_SEND_INLINE = _bool("OUTBOX_SEND_INLINE", self.OUTBOX_SEND_INLINE)
        self.CATALOG_CACHE = _bool("CATALOG_CACHE", self.CATALOG_CACHE)
        self.PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", self.PUBLIC_BASE_URL).rstrip("/")
        for name in (
            "STRIPE_SECRET_KEY",
            "STRIPE_PUBLISHABLE_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "STRIPE_API_BASE",
            "STRIPE_JS_URL",
            "STRIPE_CAPTURE_METHOD",
            "TERMS_VERSION",
            "DEFAULT_TAX_RATE",
            "SUPPORT_TIMEZONE",
            "UPLOAD_FOLDER",
        ):
            setattr(self, name, env(name, getattr(self, name)))
        for name in (
            "RESERVATION_MINUTES",
            "RESERVATION_AUTH_EXTENSION_MINUTES",
            "BANK_TRANSFER_HOLD_DAYS",
            "MAX_PAYMENT_CENTS",
            "STRIPE_TIMEOUT_SECONDS",
            "REFUND_APPROVAL_ABOVE_CENTS",
            "TRANSFER_APPROVAL_ABOVE_CENTS",
            "CARD_HOLD_DAYS",
            "HOLD_WARNING_HOURS",
            "RETURN_WINDOW_DAYS",
            "LOW_RATING_AT_MOST",
            "UPLOAD_MAX_BYTES",
            "UPLOAD_MAX_FILES",
            "TRUSTED_PROXIES",
        ):
            setattr(self, name, int(env(name, getattr(self, name))))
        # The largest request body, refused with 413 before it is read (Flask checks the
        # declared length): room for every attachment a ticket may carry, and a margin for the
        # rest of the form.
        self.MAX_CONTENT_LENGTH = int(
            env("MAX_CONTENT_LENGTH", 0)
            or self.UPLOAD_MAX_BYTES * self.UPLOAD_MAX_FILES + REQUEST_MARGIN_BYTES
        )
        self.QUOTE_MARGIN_FLOOR_PCT = env("QUOTE_MARGIN_FLOOR_PCT", self.QUOTE_MARGIN_FLOOR_PCT)
        self.QUOTE_VALID_DAYS = int(env("QUOTE_VALID_DAYS", self.QUOTE_VALID_DAYS))
        self.QUOTE_HOLD_UNITS = _bool("QUOTE_HOLD_UNITS", self.QUOTE_HOLD_UNITS)
        for name in ("QUOTE_CUSTOM_APPROVAL_ABOVE_CENTS", "QUOTE_TRADE_IN_APPROVAL_ABOVE_CENTS"):
            setattr(self, name, int(env(name, getattr(self, name))))
        self.BALANCE_DUE_DAYS = int(env("BALANCE_DUE_DAYS", self.BALANCE_DUE_DAYS))
        if env("TAX_RATES"):
            self.TAX_RATES = {k.upper(): str(v) for k, v in json.loads(env("TAX_RATES")).items()}
        if self.STRIPE_CAPTURE_METHOD not in ("manual", "automatic"):
            raise ConfigError("STRIPE_CAPTURE_METHOD must be 'manual' or 'automatic'.")


class ProductionConfig(Config):
    """Production: secure cookies, and no start without a secret key and a real database."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    MAIL_BACKEND = "smtp"


class TestConfig(Config):
    __test__ = False  # not a pytest test class

    """Used by the test suite; the tests pass the database URL they built."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105

    def __init__(self, database_url: str = "sqlite://", **overrides) -> None:
        super().__init__()
        self.SECRET_KEY = TestConfig.SECRET_KEY
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(database_url)
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.RATELIMIT_ENABLED = True
        # Emails go to an in-memory list (app.extensions["mailman"].outbox); the `mailbox`
        # fixture in tests/conftest.py switches an app to SMTP against a local server.
        self.MAIL_BACKEND = "locmem"
        self.MAIL_SERVER = "127.0.0.1"
        self.MAIL_USE_TLS = self.MAIL_USE_SSL = False
        self.MAIL_USERNAME = self.MAIL_PASSWORD = None
        self.MAIL_DEFAULT_SENDER = Config.MAIL_DEFAULT_SENDER
        self.MAIL_TIMEOUT = 5
        self.OUTBOX_SEND_INLINE = True
        self.PUBLIC_BASE_URL = "http://shop.test"
        for key, value in overrides.items():
            setattr(self, key, value)


def normalise_database_url(url: str) -> str:
    """Accept the usual `postgres://` spellings and use psycopg 3 for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(config: object | None = None) -> object:
    """Pick the config object: the one given, else production or development by SHOP_ENV."""
    if config is not None:
        return config
    if os.environ.get("SHOP_ENV") == "production":
        return ProductionConfig()
    return Config()


def check_config(app) -> None:
    """Fill development defaults, and refuse unsafe settings in production."""
    production = app.config.get("ENV_NAME") == "production"
    if not app.config.get("SECRET_KEY"):
        if production:
            raise ConfigError("SECRET_KEY must be set in production.")
        app.config["SECRET_KEY"] = _dev_secret_key()
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A connection dropped while idle (server restart, failover, a killed backend) is
        # replaced before a request uses it, instead of failing that request.
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if production:
        if not os.environ.get("DATABASE_URL"):
            raise ConfigError("DATABASE_URL must be set in production.")
        url = str(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
        if url.startswith("sqlite") and not _bool("ALLOW_SQLITE_IN_PRODUCTION"):
            raise ConfigError(
                "DATABASE_URL must name a real database server (PostgreSQL) in production; "
                "set ALLOW_SQLITE_IN_PRODUCTION=1 to run one process on SQLite anyway."
            )
        if app.debug:
            raise ConfigError("Debug mode must be off in production.")
        storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
        if storage.startswith("memory://") and not _bool("ALLOW_PROCESS_LOCAL_RATELIMIT"):
            # Each gunicorn worker would count login attempts on its own: with two workers,
            # twice the guesses before an account is locked.
            raise ConfigError(
                "RATELIMIT_STORAGE_URI must name a store the app processes share (Redis, "
                "redis://...) in production; set ALLOW_PROCESS_LOCAL_RATELIMIT=1 to run one "
                "single-worker process anyway."
            )
