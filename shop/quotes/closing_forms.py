"""Forms for accepting and paying a quote: they validate and never write."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from shop.checkout.regions import US_STATES


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AcceptForm(FlaskForm):
    typed_name = StringField(
        "Type your full name to accept",
        filters=[_strip],
        validators=[DataRequired(message="Type your name to accept."), Length(max=120)],
    )
    accept_terms = BooleanField(
        "I accept this quote and the terms of sale",
        validators=[DataRequired(message="Please accept the terms of sale.")],
    )


class PayQuoteForm(FlaskForm):
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
            *(SelectChoice(c, n) for c, n in sorted(US_STATES.items(), key=lambda i: i[1])),
        ],
        validators=[DataRequired(message="Choose a state.")],
    )
    postal_code = StringField(
        "ZIP code",
        filters=[_strip],
        validators=[DataRequired(), Regexp(r"^\d{5}(-\d{4})?$", message="Use a 5-digit ZIP code.")],
    )
    phone = TelField("Phone", filters=[_strip], validators=[DataRequired(), Length(max=40)])
    pay = RadioField("What would you like to pay now?", validators=[DataRequired()])
    payment_method = RadioField(
        "How would you like to pay?",
        choices=[SelectChoice("card", "Card"), SelectChoice("bank_transfer", "Bank transfer")],
        default="card",
        validators=[DataRequired()],
    )
