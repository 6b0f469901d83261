"""Delivery forms: they validate and never write."""

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class WindowForm(FlaskForm):
    """A window picked from the offered ones (a select on the page)."""

    window = StringField(
        "Delivery window",
        validators=[DataRequired("Choose a delivery window."), Length(max=80)],
        filters=[_strip],
    )
    instructions = TextAreaField(
        "Instructions for the crew",
        validators=[Optional(), Length(max=4000)],
        filters=[_strip],
    )


class CancelForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=500)], filters=[_strip])


class DeliveredForm(FlaskForm):
    note = TextAreaField(
        "Delivery note",
        validators=[
            DataRequired("Write a short delivery note (who received it, anything notable)."),
            Length(max=4000),
        ],
        filters=[_strip],
    )


class LinkForm(FlaskForm):
    """Send the buyer a link to pick their window (only the CSRF token)."""
