"""Settings, read from the environment (and a `.env` file in development)."""

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


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

    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
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
    # Per client address and per account; failed attempts only count against the account.
    LOGIN_LIMIT_PER_ADDRESS = "30 per 10 minutes"
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"

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


class ProductionConfig(Config):
    """Production: secure cookies, and no start without a secret key and a real database."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


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
    if production:
        if not os.environ.get("DATABASE_URL"):
            raise ConfigError("DATABASE_URL must be set in production.")
        if app.debug:
            raise ConfigError("Debug mode must be off in production.")
