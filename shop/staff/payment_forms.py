"""Forms of the payment panel on the staff order page: they read and check the format; the
rules (limits, who may do what) are in shop.orders.operations."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from shop.inputs import amount_cents


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def to_cents(text: str | None) -> int | None:
    """Dollars as typed ("1,500.00") to cents; None when left empty; ValueError otherwise."""
    if not text:
        return None
    return amount_cents(text)


class MoneyText(StringField):
    """An amount in dollars, typed freely, checked to be a positive amount."""

    def pre_validate(self, form):
        try:
            to_cents(self.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    @property
    def cents(self) -> int | None:
        return to_cents(self.data)


class CaptureForm(FlaskForm):
    amount = MoneyText(
        "Amount to capture",
        filters=[_strip],
        validators=[Length(max=20)],
        description="Leave empty to capture the whole authorization.",
    )


class VoidForm(FlaskForm):
    reason = TextAreaField(
        "Why void it",
        filters=[_strip],
        validators=[DataRequired("Say why the authorization is voided."), Length(max=500)],
    )


class RefundForm(FlaskForm):
    amount = MoneyText(
        "Amount to refund",
        filters=[_strip],
        validators=[DataRequired("Enter the amount to refund."), Length(max=20)],
    )
    reason = TextAreaField(
        "Reason",
        filters=[_strip],
        validators=[DataRequired("Say why the money is refunded."), Length(max=1000)],
    )
    # One key per rendered form: the same form sent twice makes one refund.
    request_key = HiddenField(
        validators=[DataRequired("The form expired. Please open it again."), Length(max=64)]
    )


class ApproveForm(FlaskForm):
    """Only the CSRF token: the decision is the button."""


class RejectForm(FlaskForm):
    reason = TextAreaField(
        "Why reject it",
        filters=[_strip],
        validators=[DataRequired("Say why the refund is rejected."), Length(max=500)],
    )
