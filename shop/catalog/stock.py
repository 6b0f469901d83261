"""How many units of a variant are in stock, and how many a buyer may order right now.

Today that is the stock on hand, plus a sane cap for made-to-order variants; the checkout issue
subtracts live reservations here, so every caller already asks the one right place.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from shop.catalog.models import Variant
from shop.extensions import db


@dataclass(frozen=True)
class Availability:
    in_stock: int  # units on hand and not held for anyone
    orderable: int  # what one buyer may put in a cart: stock, or more when made to order


def availability(variant_ids: list[int]) -> dict[int, Availability]:
    """Availability per variant id, in one query."""
    if not variant_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            Variant.id, Variant.stock_on_hand, Variant.made_to_order, Variant.is_active
        ).where(Variant.id.in_(variant_ids))
    )
    cap = current_app.config["MAX_LINE_QUANTITY"]
    result = {}
    for variant_id, on_hand, made_to_order, active in rows:
        in_stock = on_hand if active else 0
        orderable = max(in_stock, cap) if active and made_to_order else in_stock
        result[variant_id] = Availability(in_stock, orderable)
    return result


def available_units(variant_ids: list[int]) -> dict[int, int]:
    """Orderable units per variant id, in one query."""
    return {k: v.orderable for k, v in availability(variant_ids).items()}
