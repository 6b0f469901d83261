"""Forms of the money desk: a received bank transfer, a decision on one, a new payment request.

They check the format; the rules (matching, four-eyes, limits) are in shop/payments/transfers.py.
"""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from shop.inputs import BoundedDateField, amount_cents


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def parse_cents(text: str | None) -> int:
    """Dollars as typed ("12,500.00", "$9000") to cents; ValueError with a message otherwise."""
    if not (text or "").strip():
        raise ValueError("Enter the amount received.")
    return amount_cents(text)


class TransferForm(FlaskForm):
    """A bank transfer that arrived, as the bank statement shows it."""

    amount = StringField(
        "Amount received", filters=[_strip], validators=[DataRequired("Enter the amount.")]
    )
    received_on = BoundedDateField(
        "Date received", validators=[DataRequired("Enter the date on the statement.")]
    )
    payer = StringField(
        "Payer",
        filters=[_strip],
        validators=[DataRequired("Enter who sent it."), Length(max=200)],
    )
    reference = StringField(
        "Reference on the transfer",
        filters=[_strip],
        validators=[DataRequired("Enter the reference from the statement."), Length(max=80)],
        description="As the buyer wrote it; case, spaces and dashes do not matter (HH-ABCD-EFGH).",
    )
    request_key = HiddenField(validators=[DataRequired("The form expired. Please try again.")])
    back = HiddenField()

    def validate_amount(self, field):
        try:
            self.cents = parse_cents(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class RejectForm(FlaskForm):
    reason = TextAreaField(
        "Why",
        filters=[_strip],
        validators=[DataRequired("Say why the transfer is rejected."), Length(max=1000)],
    )


class NewPaymentForm(FlaskForm):
    method = SelectField(
        "How",
        choices=[
            SelectChoice("card", "by card"),
            SelectChoice("bank_transfer", "by bank transfer"),
        ],
        default="card",
    )
