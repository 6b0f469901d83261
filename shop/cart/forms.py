"""Cart forms. Only ids and quantities are read from the browser; prices never are."""

import re

from flask import get_flashed_messages
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, IntegerField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from shop.web import parse_id

QUANTITY_MESSAGE = "Enter a whole number of at least 1."
# Lines read from one posted cart form: more than any cart holds, few enough to bound the work.
MAX_LINES = 200
TYPED_MAX = 12  # characters kept of a refused quantity (a quantity has at most 9)
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


class LineQuantityForm(Form):
    """One line of the cart form (a sub-form: the cart form carries the CSRF token)."""

    line = HiddenField()
    quantity = QuantityField(
        "Quantity",
        validators=[InputRequired(QUANTITY_MESSAGE), NumberRange(min=1, message=QUANTITY_MESSAGE)],
    )

    def line_id(self) -> int | None:
        return parse_id(self.line.data)


class CartForm(FlaskForm):
    """Every line's quantity, saved together by the cart's one "Update cart" button."""

    lines = FieldList(FormField(LineQuantityForm), max_entries=MAX_LINES)

    def quantities(self) -> dict[int, int] | None:
        """{line id: quantity} of valid entries; None when a line id is not one."""
        out = {}
        for entry in self.lines:
            line_id = entry.form.line_id()
            if line_id is None:
                return None
            out[line_id] = entry.form.quantity.data
        return out

    def typed_by_line(self) -> dict[int, str]:
        """What was typed in each line's field, to show again beside a refusal."""
        return {
            entry.form.line_id(): (entry.form.quantity.raw_data or [""])[0][:TYPED_MAX]
            for entry in self.lines
            if entry.form.line_id() is not None
        }

    def errors_by_line(self) -> dict[int, str]:
        return {
            entry.form.line_id(): entry.form.quantity.errors[0]
            for entry in self.lines
            if entry.form.quantity.errors and entry.form.line_id() is not None
        }


class RemoveLineForm(FlaskForm):
    line = HiddenField()

    def line_id(self) -> int | None:
        return parse_id(self.line.data)


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for buttons that change state."""
