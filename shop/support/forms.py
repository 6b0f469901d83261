"""Ticket forms for buyers: they validate and never write."""

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from shop.inputs import single_line
from shop.support.models import TICKET_KINDS
from shop.support.services import KIND_LABELS, MAX_BODY, MAX_SUBJECT, ORDER_KINDS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CheckboxesField(SelectMultipleField):
    """One checkbox per choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TicketForm(FlaskForm):
    kind = SelectField("What is it about?", validators=[DataRequired()])
    lines = CheckboxesField("Which items?", coerce=int, validate_choice=True)
    subject = StringField(
        "Subject", filters=[single_line], validators=[DataRequired(), Length(max=MAX_SUBJECT)]
    )
    message = TextAreaField(
        "Your message", filters=[_strip], validators=[DataRequired(), Length(max=MAX_BODY)]
    )
    attachments = MultipleFileField(
        "Photos or documents",
        description="Optional: photos (JPEG, PNG, WebP) or PDF documents.",
    )


def ticket_form(order=None, **kwargs) -> TicketForm:
    """The form for opening a ticket: from an order (its lines to choose from) or without one
    (returns and warranty claims are about an order, so they are not offered)."""
    form = TicketForm(**kwargs)
    kinds = TICKET_KINDS if order is not None else [k for k in TICKET_KINDS if k not in ORDER_KINDS]
    form.kind.choices = [(k, KIND_LABELS[k]) for k in kinds]
    if order is not None:
        form.lines.choices = [(line.id, f"{line.quantity} x {line.label}") for line in order.lines]
    else:
        form.lines.choices = []
    return form


class ReplyForm(FlaskForm):
    message = TextAreaField(
        "Your answer", filters=[_strip], validators=[DataRequired(), Length(max=MAX_BODY)]
    )
    attachments = MultipleFileField(
        "Photos or documents", description="Optional: photos (JPEG, PNG, WebP) or PDF documents."
    )
