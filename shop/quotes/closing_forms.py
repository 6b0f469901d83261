"""Forms for accepting and paying a quote: they validate and never write."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from shop.checkout.forms import AddressForm


def _strip(value):
    return value.strip() if isinstance(value, str) else value


# What the buyer read, carried by the accept form: a version number and a total in cents, both
# plain digits of a sane length (a forged "1e26" or 2**64 is a form error, not an overflow).
_STALE = "This page is out of date. Please read the quote again and accept it from there."


class AcceptForm(FlaskForm):
    version = HiddenField(
        validators=[DataRequired(message=_STALE), Regexp(r"^[1-9][0-9]{0,5}$", message=_STALE)]
    )
    total_cents = HiddenField(
        validators=[DataRequired(message=_STALE), Regexp(r"^[0-9]{1,15}$", message=_STALE)]
    )
    typed_name = StringField(
        "Type your full name to accept",
        filters=[_strip],
        validators=[DataRequired(message="Type your name to accept."), Length(max=120)],
    )
    accept_terms = BooleanField(
        "I accept this quote and the terms of sale",
        validators=[DataRequired(message="Please accept the terms of sale.")],
    )


class PayQuoteForm(AddressForm):
    """The checkout's address form, plus what to pay now and how."""

    phone = TelField("Phone", filters=[_strip], validators=[DataRequired(), Length(max=40)])
    pay = RadioField("What would you like to pay now?", validators=[DataRequired()])
    payment_method = RadioField(
        "How would you like to pay?",
        choices=[SelectChoice("card", "Card"), SelectChoice("bank_transfer", "Bank transfer")],
        default="card",
        validators=[DataRequired()],
    )
