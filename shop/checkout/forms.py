"""Checkout forms: contact, address, review. They validate and never write."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from shop.checkout.regions import US_STATES
from shop.checkout.services import PAYMENT_METHODS
from shop.inputs import single_line


def _by_name(item):
    return item[1]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ContactForm(FlaskForm):
    email = EmailField(
        "Email",
        filters=[_strip],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        description="Your confirmation and order link go here.",
    )
    name = StringField(
        "Full name", filters=[single_line], validators=[DataRequired(), Length(max=120)]
    )
    phone = TelField(
        "Phone",
        filters=[_strip],
        validators=[
            DataRequired(),
            Length(min=7, max=40),
            Regexp(r"^[0-9+()\-. ]+$", message="Use digits, spaces and + ( ) - only."),
        ],
        description="For the delivery team, and only for this order.",
    )


class AddressForm(FlaskForm):
    address_line1 = StringField(
        "Street address", filters=[_strip], validators=[DataRequired(), Length(max=200)]
    )
    address_line2 = StringField(
        "Apartment, suite, marina berth (optional)",
        filters=[_strip],
        validators=[Optional(), Length(max=200)],
    )
    city = StringField("City", filters=[_strip], validators=[DataRequired(), Length(max=100)])
    region = SelectField(
        "State",
        choices=[
            SelectChoice("", "Choose a state"),
            *(SelectChoice(code, name) for code, name in sorted(US_STATES.items(), key=_by_name)),
        ],
        validators=[DataRequired(message="Choose a state.")],
    )
    postal_code = StringField(
        "ZIP code",
        filters=[_strip],
        validators=[DataRequired(), Regexp(r"^\d{5}(-\d{4})?$", message="Use a 5-digit ZIP code.")],
    )


class ReviewForm(FlaskForm):
    payment_method = RadioField(
        "How would you like to pay?",
        choices=[SelectChoice(key, label) for key, label in PAYMENT_METHODS.items()],
        default="card",
        validators=[DataRequired(message="Choose how you would like to pay.")],
    )
    # Only read for a signed-in buyer with a balance; the server decides how much it pays.
    use_credit = BooleanField("Use my store credit", default=True)
    accept_terms = BooleanField(
        "I have read and accept the terms of sale",
        validators=[DataRequired(message="Please accept the terms of sale to place the order.")],
    )
