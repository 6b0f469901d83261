"""Settings: one declared table read from the environment, refusals in production, and the
README's settings table kept the same as the table."""

import json
import re
from pathlib import Path

import pytest

from shop import create_app
from shop.config import (
    README,
    ROOT,
    SETTINGS,
    TABLE_END,
    TABLE_START,
    Config,
    ConfigError,
    ProductionConfig,
    TestConfig,
    readme_with_settings,
    settings_table,
)
from tests.production import PRODUCTION_ENV, production_env

REQUIRED = [s.variable for s in SETTINGS if s.required]


@pytest.fixture(autouse=True)
def _debug_off(monkeypatch):
    """Flask reads FLASK_DEBUG itself; a developer's shell must not decide these tests."""
    monkeypatch.delenv("FLASK_DEBUG", raising=False)


# --- reading the environment -------------------------------------------------------------------

# A value for each variable that differs from its default (what the generic rule below can't make).
SAMPLES = {
    "SHOP_ENV": "production",
    "DATABASE_URL": "postgresql://db.internal/shop",
    "PUBLIC_BASE_URL": "https://shop.example.com",
    "STRIPE_CAPTURE_METHOD": "automatic",
    "BANK_DETAILS": PRODUCTION_ENV["BANK_DETAILS"],
    "TAX_RATES": '{"wa": "7"}',
    "DEFAULT_TAX_RATE": "7.5",
    "QUOTE_MARGIN_FLOOR_PCT": "15",
    "SUPPORT_TIMEZONE": "America/Los_Angeles",
}


def sample(setting) -> str:
    if setting.variable in SAMPLES:
        return SAMPLES[setting.variable]
    kind = setting.value_type
    if kind is bool:
        return "off" if setting.default else "on"
    if kind is int:
        return "3" if setting.default != 3 else "4"
    return "a value given by the operator"


@pytest.mark.parametrize("setting", SETTINGS, ids=[s.variable for s in SETTINGS])
def test_every_declared_variable_sets_its_setting(setting):
    default = getattr(Config({}), setting.name)
    given = getattr(Config({setting.variable: sample(setting)}), setting.name)
    assert given != default


def test_values_arrive_with_their_declared_types():
    config = Config(
        {
            "MAIL_PORT": "587",
            "MAIL_USE_TLS": "yes",
            "QUOTE_HOLD_UNITS": "0",
            "DEFAULT_TAX_RATE": "6.5",
            "TAX_RATES": '{"wa": "6.5", "or": 0}',
            "DATABASE_URL": "postgres://db.internal/shop",
            "PUBLIC_BASE_URL": "https://shop.example.com/",
        }
    )
    assert config.MAIL_PORT == 587
    assert config.MAIL_USE_TLS is True and config.QUOTE_HOLD_UNITS is False
    # Rates stay exact strings: a float never touches money.
    assert config.DEFAULT_TAX_RATE == "6.5"
    assert config.TAX_RATES == {"WA": "6.5", "OR": "0"}
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://db.internal/shop"
    assert config.PUBLIC_BASE_URL == "https://shop.example.com"


def test_an_empty_variable_counts_as_unset():
    config = Config({"MAIL_PORT": "", "STORE_NAME": "  ", "SECRET_KEY": ""})
    assert config.MAIL_PORT == 25
    assert config.STORE_NAME == "Harbor & Hall"
    assert config.SECRET_KEY is None


def test_each_config_has_its_own_copy_of_table_defaults():
    first, second = Config({}), Config({})
    first.TAX_RATES["WA"] = "99"
    assert second.TAX_RATES["WA"] == "6.5"


@pytest.mark.parametrize(
    ("variable", "raw", "says"),
    [
        ("SHOP_ENV", "prod", "SHOP_ENV must be one of 'development', 'production'"),
        ("MAIL_PORT", "twenty-five", "MAIL_PORT must be a whole number"),
        ("UPLOAD_MAX_FILES", "0", "UPLOAD_MAX_FILES must be more than 0"),
        ("TRUSTED_PROXIES", "-1", "TRUSTED_PROXIES must be 0 or more"),
        ("QUOTE_HOLD_UNITS", "maybe", "QUOTE_HOLD_UNITS must be 1/true/yes/on"),
        ("TAX_RATES", '["WA", "6.5"]', "TAX_RATES must be a JSON object"),
        ("TAX_RATES", '{"WA": "six"}', "TAX_RATES WA must be a percentage"),
        ("DEFAULT_TAX_RATE", "6,5", "DEFAULT_TAX_RATE must be a percentage"),
        ("QUOTE_MARGIN_FLOOR_PCT", "120", "from 0 to under 100"),
        ("STRIPE_CAPTURE_METHOD", "later", "STRIPE_CAPTURE_METHOD must be one of"),
        ("SUPPORT_TIMEZONE", "Mars/Olympus", "SUPPORT_TIMEZONE must be an IANA time zone"),
        ("PUBLIC_BASE_URL", "shop.example.com", "PUBLIC_BASE_URL must be an address"),
        ("BANK_DETAILS", '{"bank": "Tidewater Savings"}', "BANK_DETAILS needs account_name"),
    ],
)
def test_a_malformed_value_stops_the_start_naming_its_variable(variable, raw, says):
    with pytest.raises(ConfigError, match=re.escape(says)):
        Config({variable: raw})


def test_the_body_cap_follows_the_upload_limits_unless_given(monkeypatch):
    monkeypatch.delenv("MAX_CONTENT_LENGTH", raising=False)
    app = create_app(TestConfig(UPLOAD_MAX_BYTES=1000, UPLOAD_MAX_FILES=2))
    assert app.config["MAX_CONTENT_LENGTH"] == 2000 + 2 * 1024 * 1024
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "1048576")
    assert create_app(TestConfig()).config["MAX_CONTENT_LENGTH"] == 1_048_576


def test_only_the_config_module_reads_the_environment():
    """Every variable goes through the declared table, so none can hide elsewhere."""
    readers = re.compile(r"os\.environ|os\.getenv|getenv\(|from os import .*environ")
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "shop").rglob("*.py"))
        if path.name != "config.py" and readers.search(path.read_text())
    ]
    assert offenders == []


# --- production ------------------------------------------------------------------------------


def test_production_starts_with_every_required_setting():
    app = create_app(ProductionConfig(PRODUCTION_ENV))
    assert app.config["ENV_NAME"] == "production" and app.debug is False
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["MAIL_BACKEND"] == "smtp"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db.internal/shop"
    assert app.config["BANK_DETAILS"] == json.loads(PRODUCTION_ENV["BANK_DETAILS"])
    assert app.config["PUBLIC_BASE_URL"] == "https://shop.example.com"


def test_shop_env_alone_makes_a_production_start():
    """What `create_app()` does with SHOP_ENV=production in the environment."""
    config = Config(production_env())
    assert config.ENV_NAME == "production" and config.SESSION_COOKIE_SECURE is True
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(Config(production_env(SECRET_KEY=None)))


@pytest.mark.parametrize("variable", REQUIRED)
@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_production_refuses_to_start_without_a_required_setting(variable, value):
    with pytest.raises(ConfigError, match=rf"Production needs .*\b{variable}\b") as refused:
        create_app(ProductionConfig(production_env(**{variable: value})))
    named = set(re.findall(r"[A-Z][A-Z_]+[A-Z]", str(refused.value))) & set(REQUIRED)
    assert named == {variable}


def test_production_names_every_missing_setting_at_once():
    with pytest.raises(ConfigError) as refused:
        create_app(ProductionConfig({}))
    for variable in REQUIRED:
        assert variable in str(refused.value)


def test_production_never_falls_back_to_the_demo_bank_or_development_defaults():
    config = ProductionConfig(production_env(BANK_DETAILS=None, PUBLIC_BASE_URL=None))
    assert config.BANK_DETAILS is None and config.PUBLIC_BASE_URL is None
    assert Config({}).BANK_DETAILS["bank"] == "Columbia Pacific Bank, Portland, OR"  # the demo's


def test_one_single_worker_process_may_count_logins_in_memory_when_said_so():
    environ = production_env(RATELIMIT_STORAGE_URI=None, ALLOW_PROCESS_LOCAL_RATELIMIT="1")
    app = create_app(ProductionConfig(environ))
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


# --- the README ------------------------------------------------------------------------------


def readme_table(text: str) -> str:
    return text[text.index(TABLE_START) + len(TABLE_START) : text.index(TABLE_END)]


def test_the_readme_settings_table_is_the_declared_table():
    text = README.read_text()
    assert readme_with_settings(text) == text, (
        "README.md's settings table differs from SETTINGS in shop/config.py: "
        "run `.venv/bin/python -m shop.config`"
    )


def test_the_readme_lists_every_declared_setting_once():
    rows = [line for line in readme_table(README.read_text()).splitlines() if line.startswith("|")]
    listed = [re.match(r"\| `([A-Z_]+)` \|", row).group(1) for row in rows[2:]]
    assert listed == [s.variable for s in SETTINGS]
    required = [row for row in rows[2:] if row.rstrip(" |").endswith("**required**")]
    assert len(required) == len([s for s in SETTINGS if s.required and not s.waived_by])


def test_the_table_renders_as_markdown():
    for line in settings_table().splitlines():
        assert line.count("|") == 5, line  # a | in a meaning would break its row
    assert {s.variable for s in SETTINGS} <= set(re.findall(r"`([A-Z_]+)`", settings_table()))


def test_the_readme_starts_with_the_two_commands_ci_uses():
    lines = README.read_text().splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```")]
    assert [line.split()[0] for line in block] == ["scripts/start.sh", "scripts/test.sh"]
    ci = Path(ROOT / ".ci" / "run").read_text()
    assert "exec scripts/test.sh" in ci
