"""Cart forms. Only ids and quantities are read from the browser; prices never are."""

import re

from flask import get_flashed_messages
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from shop.web import parse_id

QUANTITY_MESSAGE = "Enter a whole number of at least 1."
# The flash category of a refused add to cart: shown as an error, and the product page also
# shows it beside its quantity field (other errors flashed there, a full compare list, are not
# about the quantity).
QUANTITY_REFUSED = "quantity"
# Where a refused add to cart leaves what was typed, for the product page's quantity field:
# {"variant": variant id, "typed": the text}.
REFUSED_QUANTITY = "refused_quantity"


def refused_quantity(session, variant_ids) -> tuple[int, str] | None:
    """(variant id, what was typed) of a refused add to cart, if it was for one of
    `variant_ids` and its error is shown on this page; taken out of the session either way
    (a refusal sent back elsewhere, to a category page, is not shown later without it)."""
    if REFUSED_QUANTITY not in session:  # without touching a session that has none
        return None
    refused = session.pop(REFUSED_QUANTITY)
    if not isinstance(refused, dict) or not get_flashed_messages(
        category_filter=[QUANTITY_REFUSED]
    ):
        return None
    variant, typed = refused.get("variant"), refused.get("typed")
    return (variant, typed) if variant in variant_ids and isinstance(typed, str) else None


class QuantityField(IntegerField):
    """An integer field with plain-spoken errors for text, decimals, blanks and huge numbers."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = str(valuelist[0]).strip()
        if not re.fullmatch(r"-?\d+", raw):
            self.data = None
            raise ValueError(QUANTITY_MESSAGE)
        if len(raw.lstrip("-")) > 9:
            self.data = None
            raise ValueError("That quantity is far too large.")
        self.data = int(raw)


class AddToCartForm(FlaskForm):
    variant_id = HiddenField(validators=[DataRequired()])
    quantity = QuantityField(
        "Quantity",
        default=1,
        validators=[InputRequired(QUANTITY_MESSAGE), NumberRange(min=1, message=QUANTITY_MESSAGE)],
    )

    def variant(self) -> int | None:
        return parse_id(self.variant_id.data)


class UpdateLineForm(FlaskForm):
    quantity = QuantityField(
        "Quantity",
        validators=[InputRequired(QUANTITY_MESSAGE), NumberRange(min=1, message=QUANTITY_MESSAGE)],
    )


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for buttons that change state."""
