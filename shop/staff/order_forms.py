"""Forms of the staff order page: they check the format; the lifecycle rules are in states."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

MAX_NOTE = 4000
TOO_LONG = "Keep the note under 4,000 characters."


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MoveForm(FlaskForm):
    """A lifecycle move: the status to move to, and why (required to cancel)."""

    to = HiddenField("Move to", validators=[DataRequired(message="Choose a move.")])
    note = TextAreaField(
        "Note",
        filters=[_strip],
        validators=[Optional(), Length(max=MAX_NOTE, message=TOO_LONG)],
    )


class NoteForm(FlaskForm):
    """An internal note: staff read it, the buyer never does."""

    body = TextAreaField(
        "Internal note",
        filters=[_strip],
        validators=[
            DataRequired(message="Write the note."),
            Length(max=MAX_NOTE, message=TOO_LONG),
        ],
        description="Only staff see notes; they are kept on the timeline and in the audit trail.",
    )
