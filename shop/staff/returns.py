"""The return and warranty panels of the staff ticket page, and their actions. Routes on the staff
blueprint (HANDLE_RETURNS: rep, support and manager); the rules are in shop/support/returns.py
and warranty.py.
"""

import secrets

from flask import Blueprint, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from shop.auth.roles import Permission
from shop.auth.session import permission_required
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.inputs import amount_cents, parse_id, single_line
from shop.money import Money
from shop.payments import refunds
from shop.staff.actions import run_action
from shop.support import returns, warranty
from shop.support.models import CreditGrant, ReturnRequest, Ticket
from shop.unit_of_work import flash_form_errors

# Nested in the staff blueprint (shop/staff/views.py): endpoints are staff.returns.<view>.
bp = Blueprint("returns", __name__)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ApproveReturnForm(FlaskForm):
    instructions = TextAreaField(
        "Instructions for the buyer", filters=[_strip], validators=[Length(max=4000)]
    )
    override_reason = TextAreaField(
        "Why approve outside the return window (managers)",
        filters=[_strip],
        validators=[Length(max=1000)],
    )


class DeclineReturnForm(FlaskForm):
    reason = TextAreaField(
        "Why decline it (the buyer is told)",
        filters=[_strip],
        validators=[DataRequired("Say why the return is declined."), Length(max=1000)],
    )


class ReceivedForm(FlaskForm):
    """Only the CSRF token: the decision is the button."""


class SettleForm(FlaskForm):
    outcome = SelectField(
        "Settle with",
        choices=[SelectChoice(value, label) for value, label in returns.OUTCOME_LABELS.items()],
    )
    amount = StringField("Amount", filters=[_strip], validators=[Optional()])
    note = StringField("Note", filters=[_strip], validators=[Length(max=200)])
    # Exchange for another variant: one of the panel's list, or any item by SKU. Never a price:
    # the server prices the replacement and the difference.
    exchange_variant = StringField("Exchange for", filters=[_strip], validators=[Optional()])
    exchange_sku = StringField(
        "or any item by SKU", filters=[single_line], validators=[Optional(), Length(max=40)]
    )
    request_key = HiddenField(validators=[DataRequired("The form expired. Please try again.")])

    def exchange_variant_id(self) -> int | None:
        """The chosen variant's id (None for the same items), only for an exchange."""
        if self.outcome.data != "exchange" or not self.exchange_variant.data:
            return None
        variant_id = parse_id(self.exchange_variant.data)
        if variant_id is None:
            raise DomainError("Choose an item from the list.", field="exchange_variant")
        return variant_id

    def sku(self) -> str:
        return self.exchange_sku.data or "" if self.outcome.data == "exchange" else ""

    def cents(self) -> int | None:
        """The amount typed, in cents (None when empty: the returned lines' value)."""
        if not self.amount.data or self.outcome.data == "exchange":
            return None
        try:
            return amount_cents(self.amount.data)
        except ValueError as exc:
            raise DomainError(str(exc), field="amount") from None


class ApproveCreditForm(FlaskForm):
    """Only the CSRF token: the decision is the button."""


class RejectCreditForm(FlaskForm):
    reason = StringField(
        "Why reject it",
        filters=[_strip],
        validators=[DataRequired("Say why the store credit is rejected."), Length(max=300)],
    )


class SerialForm(FlaskForm):
    serial_number = StringField(
        "Serial number",
        filters=[_strip],
        validators=[DataRequired("Enter the serial number."), Length(max=warranty.SERIAL_MAX)],
    )


def after_sale_panels():
    """What _return.html and _warranty.html need beyond the ticket page's own context
    (a context processor of the whole staff blueprint: shop/staff/views.py)."""
    return {
        "return_panel": returns.panel,
        "warranty_units": warranty.coverage,
        "return_request_key": lambda: secrets.token_urlsafe(24),
        "return_outcomes": returns.OUTCOME_LABELS,
        "credit_approval_limit": refunds.approval_limit_cents,
        "may_give_credit": returns.may_give_credit,
    }


def _back(number: str, anchor: str = "return"):
    try:
        return redirect(url_for("staff.support.support_ticket", number=number, _anchor=anchor), 303)
    except BuildError:
        return redirect(url_for("staff.home"), 303)


@bp.route("/support/<number>/return/approve", methods=["POST"])
@permission_required(Permission.HANDLE_RETURNS)
def return_approve(number: str):
    ticket = returns.ticket_by_number(number)
    form = ApproveReturnForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(ticket.number)
    run_action(
        lambda: returns.approve(
            ticket.id, current_user, form.instructions.data, form.override_reason.data
        ),
        lambda ret: "Return approved; the buyer was emailed the instructions.",
    )
    return _back(ticket.number)


@bp.route("/support/<number>/return/decline", methods=["POST"])
@permission_required(Permission.HANDLE_RETURNS)
def return_decline(number: str):
    ticket = returns.ticket_by_number(number)
    form = DeclineReturnForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(ticket.number)
    run_action(
        lambda: returns.decline(ticket.id, current_user, form.reason.data),
        lambda ret: "Return declined; the buyer was told why.",
    )
    return _back(ticket.number)


@bp.route("/support/<number>/return/received", methods=["POST"])
@permission_required(Permission.HANDLE_RETURNS)
def return_received(number: str):
    ticket = returns.ticket_by_number(number)
    form = ReceivedForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(ticket.number)
    run_action(
        lambda: returns.mark_received(ticket.id, current_user),
        lambda ret: "Return marked received.",
    )
    return _back(ticket.number)


@bp.route("/support/<number>/return/settle", methods=["POST"])
@permission_required(Permission.HANDLE_RETURNS)
def return_settle(number: str):
    ticket = returns.ticket_by_number(number)
    form = SettleForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(ticket.number)
    run_action(
        lambda: returns.settle(
            ticket.id,
            form.outcome.data,
            current_user,
            amount_cents=form.cents(),
            request_key=form.request_key.data,
            note=form.note.data,
            exchange_variant_id=form.exchange_variant_id(),
            exchange_sku=form.sku(),
        ),
        lambda done: done.message,
    )
    return _back(ticket.number)


def _grant_ticket(grant_id: int):
    grant = db.session.get(CreditGrant, grant_id)
    ret = db.session.get(ReturnRequest, grant.return_id) if grant else None
    ticket = db.session.get(Ticket, ret.ticket_id) if ret else None
    if ticket is None:
        raise NotFound("No such store credit.")
    return grant, ticket


@bp.route("/credits/<id:grant_id>/approve", methods=["POST"])
@permission_required(Permission.APPROVE_STORE_CREDIT)
def credit_approve(grant_id: int):
    """The second pair of eyes on store credit above the refund limit."""
    grant, ticket = _grant_ticket(grant_id)
    form = ApproveCreditForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(ticket.number)
    run_action(
        lambda: returns.approve_credit(grant.id, current_user),
        lambda g: f"Store credit of {Money(g.amount_cents, g.currency)} approved and given.",
    )
    return _back(ticket.number)


@bp.route("/credits/<id:grant_id>/reject", methods=["POST"])
@permission_required(Permission.APPROVE_STORE_CREDIT)
def credit_reject(grant_id: int):
    grant, ticket = _grant_ticket(grant_id)
    form = RejectCreditForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(ticket.number)
    run_action(
        lambda: returns.reject_credit(grant.id, current_user, form.reason.data),
        lambda g: "Store credit rejected; the return can be settled again.",
    )
    return _back(ticket.number)


@bp.route("/support/<number>/warranty/<id:registration_id>/serial", methods=["POST"])
@permission_required(Permission.HANDLE_RETURNS)
def warranty_serial(number: str, registration_id: int):
    ticket = returns.ticket_by_number(number)
    form = SerialForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(ticket.number, "warranty")
    run_action(
        lambda: warranty.set_serial(
            ticket.id, registration_id, form.serial_number.data, current_user
        ),
        lambda reg: f"Serial number of unit {reg.unit} saved.",
    )
    return _back(ticket.number, "warranty")
