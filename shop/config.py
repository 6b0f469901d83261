"""Settings: one declared table, read from the environment (and a `.env` file in development).

`SETTINGS` is the only list of what an operator sets. Each entry names its environment variable,
its development default, its type and what it means; from it come the values (`Config`), the
refusals in production (`check_config`) and the settings table in README.md (rewritten by
`.venv/bin/python scripts/settings_table.py`; a test checks that they agree). The rest of
`Config` is how the store is built rather than how it is deployed (cookie flags, page sizes,
service hours): change it in code.

Why not Flask's `app.config.from_prefixed_env()`: its prefix would rename every variable that
hosts and Stripe's own guides spell plainly (`DATABASE_URL`, `SECRET_KEY`, `STRIPE_SECRET_KEY`),
and it guesses types from JSON, so `DEFAULT_TAX_RATE=6.5` would arrive as a float, which never
touches money here. The table says each type once, and a malformed value stops the start with
the variable's name instead of failing on some later request.
"""

import copy
import json
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
README = ROOT / "README.md"

REQUEST_MARGIN_BYTES = 2 * 1024 * 1024  # a request body's allowance beyond its attachments

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class ConfigError(RuntimeError):
    """The app was asked to start with settings it must refuse."""


_SAME = object()  # a production default that is the development one


@dataclass(frozen=True)
class Setting:
    """One setting an operator can give in the environment."""

    name: str  # the key in app.config
    default: Any  # in development (and in production, unless said otherwise below)
    doc: str  # what it means, as the README shows it
    env: str = ""  # the environment variable, when it is not `name`
    kind: type | None = None  # str, int, bool or dict (a JSON object); else the default's type
    required: bool = False  # production refuses to start unless the environment gives it
    waived_by: str = ""  # ...or unless this bool setting is on
    production_default: Any = _SAME
    choices: tuple[str, ...] = ()
    clean: Callable[[str, Any], Any] | None = None  # checks and normalises a parsed value
    shown: str = ""  # the default as the README shows it, where the value itself would not do

    @property
    def variable(self) -> str:
        return self.env or self.name

    @property
    def value_type(self) -> type:
        return self.kind or (type(self.default) if self.default is not None else str)

    def parse(self, raw: str) -> Any:
        """The value an environment string gives, or ConfigError naming the variable."""
        name, kind = self.variable, self.value_type
        if kind is bool:
            word = raw.strip().lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                raise ConfigError(f"{name} must be 1/true/yes/on or 0/false/no/off.")
            value: Any = word in TRUE_WORDS
        elif kind is int:
            try:
                value = int(raw.strip())
            except ValueError:
                raise ConfigError(f"{name} must be a whole number.") from None
        elif kind is dict:
            try:
                value = json.loads(raw)
            except ValueError:
                raise ConfigError(f"{name} must be a JSON object.") from None
            if not isinstance(value, dict):
                raise ConfigError(f"{name} must be a JSON object.")
        else:
            value = raw
        if self.choices and value not in self.choices:
            allowed = ", ".join(repr(c) for c in self.choices)
            raise ConfigError(f"{name} must be one of {allowed}, not {value!r}.")
        return self.clean(name, value) if self.clean else value


# --- checks for values that the type alone does not settle -----------------------------------


def normalise_database_url(url: str) -> str:
    """Accept the usual `postgres://` spellings and use psycopg 3 for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _database_url(name: str, url: str) -> str:
    return normalise_database_url(url.strip())


def _base_url(name: str, url: str) -> str:
    url = url.strip().rstrip("/")
    if not re.match(r"https?://[^/\s]+", url):
        raise ConfigError(f"{name} must be an address such as https://shop.example.com.")
    return url


def _percent(name: str, value: str) -> str:
    """A rate in percent, kept as the exact string it was given (money is never a float)."""
    value = str(value).strip()
    try:
        rate = Decimal(value)
    except InvalidOperation:
        raise ConfigError(f"{name} must be a percentage such as 6.25.") from None
    if not rate.is_finite() or not 0 <= rate < 100:
        raise ConfigError(f"{name} must be a percentage from 0 to under 100.")
    return value


def _tax_rates(name: str, rates: dict) -> dict:
    return {
        str(state).strip().upper(): _percent(f"{name} {state}", rate)
        for state, rate in rates.items()
    }


BANK_FIELDS = ("account_name", "bank", "routing_number", "account_number", "swift")


def _bank_details(name: str, details: dict) -> dict:
    missing = [field for field in BANK_FIELDS if not str(details.get(field) or "").strip()]
    if missing:
        raise ConfigError(f"{name} needs {', '.join(missing)} (every one of {BANK_FIELDS}).")
    return {field: str(details[field]).strip() for field in BANK_FIELDS}


def _zone(name: str, value: str) -> str:
    value = value.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name} must be an IANA time zone such as America/New_York.") from None
    return value


def _positive(name: str, value: int) -> int:
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0.")
    return value


def _not_negative(name: str, value: int) -> int:
    if value < 0:
        raise ConfigError(f"{name} must be 0 or more.")
    return value


# --- the table ---------------------------------------------------------------------------------

DEMO_TAX_RATES = {
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
DEMO_BANK_DETAILS = {
    "account_name": "Harbor & Hall LLC",
    "bank": "Columbia Pacific Bank, Portland, OR",
    "routing_number": "123000220",
    "account_number": "4800 1122 9031",
    "swift": "CPBKUS6P",
}

SETTINGS: tuple[Setting, ...] = (
    # Running the store
    Setting(
        "ENV_NAME",
        "development",
        "`production` for a real store: secure cookies, email by SMTP, and no start without "
        "the settings marked required",
        env="SHOP_ENV",
        choices=("development", "production"),
    ),
    Setting(
        "SQLALCHEMY_DATABASE_URI",
        f"sqlite:///{INSTANCE / 'shop.sqlite3'}",
        "the database, as an SQLAlchemy URL; `postgresql://...` uses psycopg 3. Production "
        "refuses SQLite unless `ALLOW_SQLITE_IN_PRODUCTION` is on",
        env="DATABASE_URL",
        required=True,
        clean=_database_url,
    ),
    Setting(
        "SECRET_KEY",
        None,
        "signs sessions, CSRF tokens and the links in emails; the same on every server",
        required=True,
        shown="generated once into `instance/secret_key`",
    ),
    Setting(
        "PUBLIC_BASE_URL",
        "http://127.0.0.1:5000",
        "the store's public address; every link in an email starts with it (never with a "
        "request's Host header)",
        required=True,
        clean=_base_url,
    ),
    Setting(
        "TRUSTED_PROXIES",
        0,
        "how many reverse proxies in front of the app to believe for `X-Forwarded-For/Proto/"
        "Host` (Werkzeug's `ProxyFix`); `0` when nothing trusted sits in front",
        clean=_not_negative,
    ),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "memory://",
        "where login throttling counts live: a Redis every process shares, e.g. "
        "`redis://127.0.0.1:6379/0` (with `memory://` each gunicorn worker counts apart)",
        required=True,
        waived_by="ALLOW_PROCESS_LOCAL_RATELIMIT",
    ),
    Setting(
        "RATELIMIT_ENABLED",
        True,
        "throttle failed logins per address and per account (off only for load tests)",
    ),
    Setting(
        "ALLOW_SQLITE_IN_PRODUCTION",
        False,
        "let production run on a SQLite `DATABASE_URL` (a single-process trial only)",
    ),
    Setting(
        "ALLOW_PROCESS_LOCAL_RATELIMIT",
        False,
        "let production count login attempts in its own memory (one process, one worker only)",
    ),
    Setting("STORE_NAME", "Harbor & Hall", "the store's name in pages and emails"),
    Setting(
        "CATALOG_CACHE",
        True,
        "keep what catalog pages show the same to everyone in each worker's memory, renewed "
        "by the catalog generation (bench/README.md says how)",
    ),
    Setting(
        "SHARED_PAGE_RECHECK",
        1,
        "seconds during which a worker serves a catalog page shared by visitors without a "
        "session (and its 304 to a revalidation) from the copy it last worked out for that URL, "
        "without reading the database; 0 works each one out",
        clean=_not_negative,
    ),
    Setting(
        "UPLOAD_FOLDER",
        str(INSTANCE / "uploads"),
        "where ticket attachments are kept: outside the web root, shared by every server, "
        "backed up",
    ),
    Setting(
        "UPLOAD_MAX_BYTES", 10 * 1024 * 1024, "the largest attachment, in bytes", clean=_positive
    ),
    Setting("UPLOAD_MAX_FILES", 5, "attachments on one message", clean=_positive),
    Setting(
        "MAX_CONTENT_LENGTH",
        None,
        "the largest request body in bytes, refused with a 413 page before it is read",
        kind=int,
        clean=_positive,
        shown="`UPLOAD_MAX_BYTES` x `UPLOAD_MAX_FILES` + 2 MB",
    ),
    # Email (Flask-Mailman)
    Setting(
        "MAIL_BACKEND",
        "file",
        "`file`: each email written under `MAIL_FILE_PATH` instead of sent; `smtp`: sent; "
        "`locmem`: kept in memory (tests)",
        production_default="smtp",
    ),
    Setting("MAIL_FILE_PATH", str(INSTANCE / "mail"), "the folder of the `file` mail backend"),
    Setting("MAIL_SERVER", "localhost", "the SMTP server"),
    Setting("MAIL_PORT", 25, "its port", clean=_positive),
    Setting("MAIL_USE_TLS", False, "STARTTLS to the SMTP server"),
    Setting("MAIL_USE_SSL", False, "TLS from the first byte (usually port 465)"),
    Setting("MAIL_USERNAME", None, "the SMTP login", kind=str),
    Setting("MAIL_PASSWORD", None, "its password", kind=str),
    Setting(
        "MAIL_DEFAULT_SENDER",
        "Harbor & Hall <hello@harborandhall.example>",
        "the From of every email",
        required=True,
    ),
    Setting(
        "MAIL_TIMEOUT",
        10,
        "seconds before a hung mail server is given up on (the email stays queued)",
        clean=_positive,
    ),
    Setting(
        "OUTBOX_SEND_INLINE",
        True,
        "send a request's emails right after its commit; they stay queued for "
        "`flask send-outbox` if that fails, and all wait for it when off",
    ),
    # Payments
    Setting("STRIPE_SECRET_KEY", "", "Stripe's secret API key", required=True),
    Setting("STRIPE_PUBLISHABLE_KEY", "", "Stripe's publishable key", required=True),
    Setting(
        "STRIPE_WEBHOOK_SECRET",
        "",
        "the signing secret of the webhook endpoint `/stripe/webhook`",
        required=True,
    ),
    Setting(
        "STRIPE_API_BASE",
        "",
        "another Stripe API address (tests and the demo point it at localstripe); leave it "
        "unset in production",
        shown="Stripe's",
    ),
    Setting(
        "STRIPE_JS_URL",
        "https://js.stripe.com/v3/",
        "where the pay page loads Stripe.js from (the Content-Security-Policy allows it)",
    ),
    Setting(
        "STRIPE_TIMEOUT_SECONDS",
        10,
        "timeout of every Stripe call; keep it below gunicorn's `--timeout` (30 s)",
        clean=_positive,
    ),
    Setting(
        "STRIPE_CAPTURE_METHOD",
        "manual",
        "`manual`: cards are authorized at checkout and captured by staff; `automatic`: "
        "charged at once",
        choices=("manual", "automatic"),
    ),
    Setting(
        "MAX_PAYMENT_CENTS",
        99_999_999,
        "the largest single payment, in cents; a larger order is refused before any Stripe call",
        clean=_positive,
    ),
    Setting(
        "RESERVATION_MINUTES",
        15,
        "how long units are held once a buyer reaches payment",
        clean=_positive,
    ),
    Setting(
        "RESERVATION_AUTH_EXTENSION_MINUTES",
        15,
        "more time while the buyer's bank runs 3-D Secure",
        clean=_not_negative,
    ),
    Setting(
        "BANK_TRANSFER_HOLD_DAYS",
        5,
        "how long units wait for a bank transfer",
        clean=_positive,
    ),
    Setting(
        "BANK_DETAILS",
        DEMO_BANK_DETAILS,
        "the account buyers pay transfers into, as JSON with "
        + ", ".join(f"`{field}`" for field in BANK_FIELDS),
        clean=_bank_details,
        required=True,
        shown="the demo's fictitious bank",
    ),
    Setting(
        "TAX_RATES",
        DEMO_TAX_RATES,
        'sales tax in percent per US state, as JSON (`{"WA": "6.5", "OR": "0"}`)',
        clean=_tax_rates,
        shown="a built-in table",
    ),
    Setting(
        "DEFAULT_TAX_RATE",
        "6",
        "sales tax in percent for the states `TAX_RATES` does not list",
        clean=_percent,
    ),
    Setting(
        "TERMS_VERSION",
        "2026-11",
        "the version of the terms of sale recorded with each acceptance",
    ),
    Setting(
        "CARD_HOLD_DAYS",
        7,
        "how long a card authorization lasts when Stripe gives no capture deadline",
        clean=_positive,
    ),
    Setting(
        "HOLD_WARNING_HOURS",
        48,
        "how early staff are warned of a lapsing card hold",
        clean=_positive,
    ),
    Setting(
        "REFUND_APPROVAL_ABOVE_CENTS",
        10_000_00,
        "four-eyes: a refund above this many cents needs a second staff member's approval",
        clean=_not_negative,
    ),
    Setting(
        "TRANSFER_APPROVAL_ABOVE_CENTS",
        50_000_00,
        "four-eyes: a received bank transfer above this many cents needs a second approval",
        clean=_not_negative,
    ),
    # Quotes
    Setting(
        "QUOTE_MARGIN_FLOOR_PCT",
        "12",
        "a quote whose catalog items (after discounts, without custom lines or trade-ins) fall "
        "below this margin in percent needs a manager",
        clean=_percent,
    ),
    Setting("QUOTE_VALID_DAYS", 14, "a new quote's validity in days", clean=_positive),
    Setting("QUOTE_HOLD_UNITS", True, "open quotes hold their units"),
    Setting(
        "QUOTE_CUSTOM_APPROVAL_ABOVE_CENTS",
        5_000_00,
        "a quote whose custom lines (services, freight: what the catalog does not sell) add "
        "up to more than this many cents at list price needs a manager",
        clean=_not_negative,
    ),
    Setting(
        "QUOTE_TRADE_IN_APPROVAL_ABOVE_CENTS",
        25_000_00,
        "a quote whose trade-in credits add up to more than this many cents needs a manager",
        clean=_not_negative,
    ),
    Setting(
        "BALANCE_DUE_DAYS",
        7,
        "days a buyer has to pay a requested balance",
        clean=_positive,
    ),
    # After-sale service
    Setting(
        "SUPPORT_TIMEZONE",
        "America/New_York",
        "the store's time zone: guests, and anyone who chose no zone, read times on it; business "
        "hours (`SUPPORT_HOURS`, `SLA_TARGETS` in `shop/config.py`) are counted on it",
        clean=_zone,
    ),
    Setting(
        "RETURN_WINDOW_DAYS",
        30,
        "days after delivery a return may be asked for",
        clean=_not_negative,
    ),
    Setting(
        "LOW_RATING_AT_MOST",
        2,
        "ratings (1 to 5) at or below this are flagged to the managers",
        clean=_not_negative,
    ),
)

SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


def read_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every declared setting's value: from `environ` where given, else its default.

    An empty variable counts as unset. In production, a required setting the environment did not
    give is None (unless its waiver is on), so that `check_config` refuses to start.
    """
    values: dict[str, Any] = {}
    unset = []
    for setting in SETTINGS:
        raw = environ.get(setting.variable, "")
        if raw.strip():
            values[setting.name] = setting.parse(raw)
        else:
            values[setting.name] = copy.deepcopy(setting.default)
            unset.append(setting)
    if values["ENV_NAME"] == "production":
        for setting in unset:
            if setting.production_default is not _SAME:
                values[setting.name] = setting.production_default
            elif setting.required and not (setting.waived_by and values[setting.waived_by]):
                values[setting.name] = None
    return values


class Config:
    """The declared settings from the environment, over what is built into the store."""

    # How the store is built rather than deployed; not read from the environment.
    STORE_CURRENCY = "USD"
    STORE_LOCALE = "en_US"

    SQLALCHEMY_ENGINE_OPTIONS: dict = {}  # PostgreSQL also gets pool_pre_ping (check_config)
    SQLALCHEMY_RECORD_QUERIES = False

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # True in production
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False  # True in production
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 30

    RATELIMIT_HEADERS_ENABLED = True
    # Failed login attempts, per client address and per account (successful logins never count).
    LOGIN_LIMIT_PER_ADDRESS = "30 per 10 minutes"
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"

    # Business hours (on SUPPORT_TIMEZONE's clock), weekday 0 = Monday.
    SUPPORT_HOURS = {
        0: ("09:00", "17:00"),
        1: ("09:00", "17:00"),
        2: ("09:00", "17:00"),
        3: ("09:00", "17:00"),
        4: ("09:00", "17:00"),
    }
    # Business hours to the first response and to resolution, per priority.
    SLA_TARGETS = {
        "urgent": (1, 8),
        "high": (4, 16),
        "normal": (8, 40),
        "low": (16, 80),
    }
    RETURN_CONDITIONS = (
        "Unused, in its original packaging, with every accessory and document. Made-to-order "
        "items and expedition places cannot be returned."
    )

    PRODUCTS_PER_PAGE = 12
    COMPARE_MAX = 4
    MAX_LINE_QUANTITY = 20  # a line above this is a typo, not a purchase of big-ticket goods
    RECENTLY_VIEWED = 8

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        for name, value in read_settings(os.environ if environ is None else environ).items():
            setattr(self, name, value)
        if self.ENV_NAME == "production":
            self.SESSION_COOKIE_SECURE = self.REMEMBER_COOKIE_SECURE = True


class ProductionConfig(Config):
    """The settings of a production start (as `SHOP_ENV=production` gives), whatever SHOP_ENV."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__({**(os.environ if environ is None else environ), "SHOP_ENV": "production"})


class TestConfig(Config):
    """Used by the test suite; the tests pass the database URL they built."""

    __test__ = False  # not a pytest test class

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105

    def __init__(self, database_url: str = "sqlite://", **overrides) -> None:
        super().__init__({k: v for k, v in os.environ.items() if k != "SHOP_ENV"})
        self.ENV_NAME = "testing"
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
        self.MAIL_DEFAULT_SENDER = SETTINGS_BY_NAME["MAIL_DEFAULT_SENDER"].default
        self.MAIL_TIMEOUT = 5
        self.OUTBOX_SEND_INLINE = True
        self.PUBLIC_BASE_URL = "http://shop.test"
        # A test that changes the catalog revalidates at once; tests/catalog/test_http_cache.py
        # turns the window on where it is the subject.
        self.SHARED_PAGE_RECHECK = 0
        for key, value in overrides.items():
            setattr(self, key, value)


def load_config(config: object | None = None) -> object:
    """The config object: the one given, else the environment's (SHOP_ENV picks production)."""
    return config if config is not None else Config()


def _dev_secret_key() -> str:
    """A per-checkout secret for development, kept in instance/ so sessions survive restarts."""
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def check_config(app) -> None:
    """Refuse unsafe settings in production, then fill what development and the table leave open."""
    config = app.config
    if config.get("ENV_NAME") == "production":
        refuse_unsafe_production(config, debug=app.debug)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _dev_secret_key()
    if config.get("MAX_CONTENT_LENGTH") is None:
        # The largest request body, refused with 413 before it is read (Flask checks the
        # declared length): room for every attachment a ticket may carry, and a margin for the
        # rest of the form.
        config["MAX_CONTENT_LENGTH"] = (
            config["UPLOAD_MAX_BYTES"] * config["UPLOAD_MAX_FILES"] + REQUEST_MARGIN_BYTES
        )
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A connection dropped while idle (server restart, failover, a killed backend) is
        # replaced before a request uses it, instead of failing that request.
        options.setdefault("pool_pre_ping", True)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def refuse_unsafe_production(config: Mapping[str, Any], *, debug: bool) -> None:
    """Raise ConfigError unless these production settings are safe to serve buyers with."""
    missing = [s.variable for s in SETTINGS if s.required and config.get(s.name) in (None, "", {})]
    if missing:
        raise ConfigError(
            "Production needs these settings from the environment: "
            + ", ".join(missing)
            + " (README.md, Settings)."
        )
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and not config.get(
        "ALLOW_SQLITE_IN_PRODUCTION"
    ):
        raise ConfigError(
            "DATABASE_URL must name a real database server (PostgreSQL) in production; "
            "set ALLOW_SQLITE_IN_PRODUCTION=1 to run one process on SQLite anyway."
        )
    if debug:
        raise ConfigError("Debug mode must be off in production.")
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if storage.startswith("memory://") and not config.get("ALLOW_PROCESS_LOCAL_RATELIMIT"):
        # Each gunicorn worker would count login attempts on its own: with two workers,
        # twice the guesses before an account is locked.
        raise ConfigError(
            "RATELIMIT_STORAGE_URI must name a store the app processes share (Redis, "
            "redis://...) in production; set ALLOW_PROCESS_LOCAL_RATELIMIT=1 to run one "
            "single-worker process anyway."
        )


# --- the README's table ------------------------------------------------------------------------

TABLE_START = (
    "<!-- Made from SETTINGS in shop/config.py by scripts/settings_table.py: edit them there. -->"
)
TABLE_END = "<!-- End of the generated settings table. -->"


def _shown_default(setting: Setting) -> str:
    if setting.shown:
        return setting.shown
    value = setting.default
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "none"
    if value == "":
        return "empty"
    return f"`{str(value).replace(str(ROOT) + '/', '')}`"


def _in_production(setting: Setting) -> str:
    if setting.required and setting.waived_by:
        return f"**required** (or `{setting.waived_by}` on)"
    if setting.required:
        return "**required**"
    if setting.production_default is not _SAME:
        return f"`{setting.production_default}`"
    return ""


def settings_table() -> str:
    """The README's settings table, one row per declared setting."""
    rows = [
        "| variable | meaning | default | in production |",
        "| --- | --- | --- | --- |",
    ]
    for setting in SETTINGS:
        cells = (
            f"`{setting.variable}`",
            setting.doc,
            _shown_default(setting),
            _in_production(setting),
        )
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def readme_with_settings(text: str) -> str:
    """The README text with its settings table replaced by the one `SETTINGS` gives."""
    if TABLE_START not in text or TABLE_END not in text:
        raise ValueError(f"README.md needs the lines {TABLE_START} and {TABLE_END}.")
    start, end = text.index(TABLE_START), text.index(TABLE_END)
    return text[: start + len(TABLE_START)] + "\n" + settings_table() + "\n" + text[end:]
