"""Consultation forms: they validate and never write."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from shop.consultations.services import BUDGETS, CHANNELS, OUTCOMES, TIMELINES
from shop.inputs import single_line

# The zones offered; nobody in this store lives on UTC (shop/timefmt.py), so it is not offered
# (a browser or a rep that reports it still gets it, as the extra zone of zone_choices).
COMMON_ZONES = [
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/New_York",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "America/Vancouver",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Stockholm",
    "Europe/Zurich",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Hong_Kong",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def zone_choices(extra: str | None = None) -> list[SelectChoice]:
    zones = list(COMMON_ZONES)
    if extra and extra not in zones:
        zones.insert(0, extra)
    return [SelectChoice(z, z.replace("_", " ")) for z in zones]


class RequestForm(FlaskForm):
    channel = RadioField(
        "How would you like to meet?",
        choices=[SelectChoice(k, v) for k, v in CHANNELS.items()],
        default="video",
        validators=[DataRequired(message="Choose how you would like to meet.")],
    )
    budget = SelectField(
        "Budget range",
        choices=[SelectChoice("", "Choose…"), *(SelectChoice(b, b) for b in BUDGETS)],
        validators=[Optional()],
    )
    timeline = SelectField(
        "When would you like to have it?",
        choices=[SelectChoice("", "Choose…"), *(SelectChoice(t, t) for t in TIMELINES)],
        validators=[Optional()],
    )
    known = TextAreaField(
        "What have you already looked at or compared?",
        filters=[_strip],
        validators=[Optional(), Length(max=4000)],
        description="Models, specs, prices you have seen: your specialist reads this first.",
    )
    message = TextAreaField(
        "Anything else we should know?",
        filters=[_strip],
        validators=[Optional(), Length(max=4000)],
    )
    rep = RadioField("Who would you like to talk to?", validators=[DataRequired()], default="any")
    timezone = SelectField("Your time zone", validators=[DataRequired()])
    name = StringField(
        "Your name", filters=[single_line], validators=[DataRequired(), Length(max=120)]
    )
    email = EmailField(
        "Email",
        filters=[_strip],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        description="The invitation and the links to reschedule or cancel go here.",
    )
    phone = TelField("Phone", filters=[_strip], validators=[Optional(), Length(max=40)])


class SlotForm(FlaskForm):
    slot = HiddenField(validators=[DataRequired()])
    another_rep = BooleanField("Someone else is fine")


class CancelForm(FlaskForm):
    reason = TextAreaField(
        "Why are you cancelling? (optional)", filters=[_strip], validators=[Length(max=500)]
    )


class OutcomeForm(FlaskForm):
    outcome = RadioField(
        "Outcome",
        choices=[
            *(SelectChoice(k, v) for k, v in OUTCOMES.items()),
            SelectChoice("no_show", "The buyer did not come (no-show)"),
        ],
        validators=[DataRequired(message="Choose an outcome.")],
    )
    notes = TextAreaField("Notes", filters=[_strip], validators=[Length(max=8000)])
