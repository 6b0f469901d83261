"""A complete production environment, for the tests that start the store as production."""

import json

PRODUCTION_ENV = {
    "SHOP_ENV": "production",
    "SECRET_KEY": "s" * 64,
    "DATABASE_URL": "postgresql://db.internal/shop",
    "RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/0",
    "PUBLIC_BASE_URL": "https://shop.example.com",
    "MAIL_DEFAULT_SENDER": "Harbor & Hall <hello@shop.example.com>",
    "STRIPE_SECRET_KEY": "sk_live_for_tests_only",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_for_tests_only",
    "STRIPE_WEBHOOK_SECRET": "whsec_for_tests_only",
    "BANK_DETAILS": json.dumps(
        {
            "account_name": "Harbor & Hall Inc.",
            "bank": "Tidewater Savings, Boston, MA",
            "routing_number": "011000015",
            "account_number": "0091 4455 7100",
            "swift": "TIDWUS33",
        }
    ),
}


def production_env(**changes: str | None) -> dict[str, str]:
    """PRODUCTION_ENV with some variables changed, or left out where the change is None."""
    merged = PRODUCTION_ENV | changes
    return {name: value for name, value in merged.items() if value is not None}
