"""Forms of the staff quote pages: they read and check the format; the rules are in services."""

from datetime import UTC, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import NumberInput

from shop.inputs import (
    BoundedDateField,
    BoundedDecimalField,
    QuantityField,
    amount_cents,
    parse_id,
    single_line,
)
from shop.quotes.pricing import LINE_KINDS
from shop.quotes.services import LineInput, Terms

# A discount is a percent (0-100) or dollars; pricing checks which. The form only keeps the
# number where Decimal arithmetic holds it. A quote is an offer for weeks, not years.
DISCOUNT_RANGE = {
    "low": Decimal("-999999.99"),
    "high": Decimal("999999.99"),
    "message": "Enter a discount of at most 999,999.99.",
}
MAX_VALID_DAYS = 366

DISCOUNT_CHOICES = [
    SelectChoice("none", "No discount"),
    SelectChoice("percent", "Percent"),
    SelectChoice("amount", "Amount ($)"),
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def cents(text: str | None) -> int:
    """Dollars as typed ("1,500.00", "-2000") to cents; ValueError with a message otherwise.
    A credit (a trade-in) is negative; either way within the largest payment we take."""
    return amount_cents(text, negative=True, zero=True)


class MoneyText(StringField):
    """An amount in dollars, typed freely, checked to be an amount."""

    def pre_validate(self, form):
        try:
            cents(self.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class LineForm(Form):
    """One line of the builder. A catalog line's price is not editable: it is the quote's copy."""

    kind = HiddenField()
    variant_id = HiddenField()
    description = StringField("Description", filters=[_strip], validators=[Length(max=200)])
    unit_price = MoneyText("Unit price", filters=[_strip])
    unit_cost = MoneyText("Unit cost", filters=[_strip])
    quantity = QuantityField(
        "Qty", low=None, widget=NumberInput(min=1), validators=[InputRequired()]
    )
    discount_kind = SelectField("Discount", choices=DISCOUNT_CHOICES, default="none")
    discount_value = BoundedDecimalField(
        "Discount value", places=2, **DISCOUNT_RANGE, validators=[Optional()]
    )
    remove = BooleanField("Remove")

    def to_input(self) -> LineInput | None:
        if self.remove.data:
            return None
        # The posted kind is only a wish: a line that names a variant is a catalog line at the
        # catalog's price, whatever kind or price came with it (services.line_kind decides).
        variant_id = parse_id(self.variant_id.data)
        kind = self.kind.data if self.kind.data in LINE_KINDS else "custom"
        return LineInput(
            kind=kind,
            variant_id=variant_id,
            description=self.description.data or "",
            unit_price_cents=0 if variant_id else cents(self.unit_price.data),
            unit_cost_cents=0 if variant_id else cents(self.unit_cost.data),
            quantity=self.quantity.data,
            discount_kind=self.discount_kind.data or "none",
            discount_value=self.discount_value.data or 0,
        )


class BuilderForm(FlaskForm):
    """The whole current version: lines, a new custom line, the quote's discount and terms."""

    lines = FieldList(FormField(LineForm), max_entries=60)
    new_description = StringField(
        "New custom line",
        filters=[_strip],
        validators=[Length(max=200)],
        description="Only what the catalog does not sell: installation, commissioning, freight.",
    )
    new_price = MoneyText("Price", filters=[_strip])
    new_cost = MoneyText("Our cost", filters=[_strip])
    new_quantity = QuantityField(
        "Qty", low=None, default=1, widget=NumberInput(min=1), validators=[Optional()]
    )
    trade_in_description = StringField(
        "Trade-in",
        filters=[_strip],
        validators=[Length(max=200)],
        description="What the buyer trades in: make, model, year, condition.",
    )
    trade_in_value = MoneyText(
        "Appraised value", filters=[_strip], description="Credited against the quote's total."
    )
    discount_kind = SelectField("Discount on the quote", choices=DISCOUNT_CHOICES, default="none")
    discount_value = BoundedDecimalField(
        "Quote discount value", places=2, **DISCOUNT_RANGE, validators=[Optional()]
    )
    deposit_pct = BoundedDecimalField(
        "Deposit (%)",
        places=2,
        default=0,
        message="The deposit must be between 0 and 100 percent.",
        validators=[InputRequired()],
        description="0 for payment in full; the balance is requested before delivery.",
    )
    # The view names the rep's zone in the label: the day ends on their clock.
    valid_until = BoundedDateField(
        "Valid until (end of day)", future=MAX_VALID_DAYS, validators=[DataRequired()]
    )
    delivery_terms = TextAreaField(
        "Delivery terms", filters=[_strip], validators=[Length(max=4000)]
    )
    note_to_buyer = TextAreaField(
        "Note to the buyer", filters=[_strip], validators=[Length(max=4000)]
    )

    def name_the_zone(self, zone: str) -> None:
        self.valid_until.label.text = f"Valid until (end of day, {zone.replace('_', ' ')})"

    def to_terms(self, zone: str = "UTC") -> Terms:
        """The version's terms; the validity date ends at 23:59 on `zone`'s clock."""
        items = [line.form.to_input() for line in self.lines]
        items = [i for i in items if i is not None]
        if self.new_description.data:
            items.append(
                LineInput(
                    kind="custom",
                    description=self.new_description.data,
                    unit_price_cents=cents(self.new_price.data),
                    unit_cost_cents=cents(self.new_cost.data),
                    quantity=self.new_quantity.data if self.new_quantity.data is not None else 1,
                )
            )
        if self.trade_in_description.data:
            items.append(
                LineInput(
                    kind="trade_in",
                    description=self.trade_in_description.data,
                    unit_price_cents=cents(self.trade_in_value.data),
                )
            )
        return Terms(
            discount_kind=self.discount_kind.data or "none",
            discount_value=self.discount_value.data or 0,
            deposit_pct=self.deposit_pct.data,
            delivery_terms=self.delivery_terms.data or "",
            note_to_buyer=self.note_to_buyer.data or "",
            valid_until=datetime.combine(
                self.valid_until.data, time(23, 59), ZoneInfo(zone)
            ).astimezone(UTC),
            lines=items,
        )


class NewQuoteForm(FlaskForm):
    name = StringField(
        "Buyer's name", filters=[single_line], validators=[DataRequired(), Length(max=120)]
    )
    email = EmailField(
        "Buyer's email", filters=[_strip], validators=[DataRequired(), Email(), Length(max=254)]
    )


class AddLineForm(FlaskForm):
    variant_id = HiddenField(validators=[DataRequired()])
    quantity = QuantityField(
        "Qty", low=None, default=1, widget=NumberInput(min=1), validators=[InputRequired()]
    )


class DecisionForm(FlaskForm):
    comment = TextAreaField("Comment", filters=[_strip], validators=[Length(max=4000)])


class ReasonForm(FlaskForm):
    reason = StringField("Why", filters=[_strip], validators=[Length(max=500)])


class MessageForm(FlaskForm):
    body = TextAreaField("Message to the buyer", filters=[_strip], validators=[Length(max=4000)])
