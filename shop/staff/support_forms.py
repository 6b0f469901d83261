"""Forms of the staff ticket page: they check the format; the rules are in support/services."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from shop.support.models import PRIORITIES, TICKET_STATUSES
from shop.support.services import MAX_BODY, PRIORITY_LABELS, STAFF_STATUS_LABELS

TOO_LONG = f"Keep the message under {MAX_BODY:,} characters."


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ReplyForm(FlaskForm):
    """A public reply: the buyer reads it, by email too."""

    body = TextAreaField(
        "Reply to the buyer",
        filters=[_strip],
        validators=[
            DataRequired(message="Write the reply."),
            Length(max=MAX_BODY, message=TOO_LONG),
        ],
    )


class NoteForm(FlaskForm):
    """An internal note: staff read it, the buyer never does."""

    body = TextAreaField(
        "Internal note",
        filters=[_strip],
        validators=[
            DataRequired(message="Write the note."),
            Length(max=MAX_BODY, message=TOO_LONG),
        ],
    )


class StatusForm(FlaskForm):
    status = SelectField(
        "Status", choices=[SelectChoice(s, STAFF_STATUS_LABELS[s]) for s in TICKET_STATUSES]
    )
    note = StringField(
        "Why (optional)",
        filters=[_strip],
        validators=[Optional(), Length(max=500, message="Keep the note under 500 characters.")],
    )


class PriorityForm(FlaskForm):
    priority = SelectField(
        "Priority", choices=[SelectChoice(p, PRIORITY_LABELS[p]) for p in PRIORITIES]
    )


class AssignForm(FlaskForm):
    """`to` is "user:<id>" for a staff member or "queue:<rep|support>" for a queue, unassigned;
    the choices are the active staff, set by the view."""

    to = StringField(
        "Assign to",
        validators=[DataRequired(message="Choose who takes the ticket."), Length(max=40)],
    )


class MergeForm(FlaskForm):
    into = StringField(
        "Merge into ticket",
        filters=[lambda v: v.strip().upper() if isinstance(v, str) else v],
        validators=[
            DataRequired(message="Give the number of the ticket to merge into."),
            Length(max=16, message="That is not a ticket number."),
        ],
    )
