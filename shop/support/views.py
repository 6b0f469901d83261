"""The buyer's side of after-sale service: open a ticket, read the thread, answer.

Signed-in buyers reach their tickets by number (404 for anyone else's); guests reach theirs
through the signed link in their emails, and open one from an order through the order's link.
"""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from shop.extensions import db
from shop.orders.models import Order
from shop.orders.services import access_token, get_order, order_for_token
from shop.support import returns, services
from shop.support.forms import ReplyForm, ticket_form
from shop.support.models import Ticket
from shop.support.services import KIND_LABELS, STATUS_LABELS
from shop.support.states import TicketStatus
from shop.unit_of_work import refusals
from shop.web import page_arg

bp = Blueprint("support", __name__)


@bp.app_template_filter("paragraphs")
def paragraphs_filter(text) -> Markup:
    """Plain text as paragraphs: escaped first, then blank lines split paragraphs and single
    newlines become line breaks. Nothing the writer typed becomes markup."""
    blocks = [b.strip("\n") for b in str(text or "").replace("\r\n", "\n").split("\n\n")]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in b.split("\n")))
        for b in blocks
        if b.strip()
    )


def _download_url(token: str | None = None):
    """A function giving an attachment's link, or None while the file route is not there."""
    if "support_files.download" not in current_app.view_functions:
        return lambda attachment: None
    extra = {"t": token} if token else {}

    def url(attachment):
        return url_for("support_files.download", attachment_id=attachment.id, **extra)

    return url


def _files(form) -> list:
    return [f for f in (form.attachments.data or []) if f and getattr(f, "filename", "")]


# --- the list -------------------------------------------------------------------------------


@bp.route("/")
@login_required
def index():
    page = services.buyer_tickets(current_user.id, page_arg(request.args.get("page")))
    return render_template(
        "support/index.html", page=page, kind_labels=KIND_LABELS, status_labels=STATUS_LABELS
    )


# --- opening --------------------------------------------------------------------------------


def _open(order, token: str | None):
    form = ticket_form(order)
    if request.method == "GET":
        kind = request.args.get("kind")
        if kind in dict(form.kind.choices):
            form.kind.data = kind
        if order is not None and len(order.lines) == 1:
            form.lines.data = [order.lines[0].id]
    if form.validate_on_submit():
        buyer = current_user if current_user.is_authenticated and token is None else None
        with refusals(form) as refused:
            ticket = services.open_ticket(
                kind=form.kind.data,
                subject=form.subject.data,
                body=form.message.data,
                email=buyer.email if buyer is not None else order.email,
                name=buyer.name if buyer is not None else order.name,
                buyer=buyer,
                order=order,
                order_line_ids=form.lines.data or (),
                files=_files(form),
            )
        if not refused:
            number = ticket.number
            guest_link = services.ticket_link_token(ticket) if token is not None else None
            flash(f"Thank you: your message is ticket {number}. We will answer by email.")
            if guest_link is not None:
                return redirect(url_for("support.guest_thread", token=guest_link), 303)
            return redirect(url_for("support.thread", number=number), 303)
    return render_template(
        "support/new.html", form=form, order=order, token=token
    ), 400 if form.errors or form.form_errors else 200


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """A ticket about one of the buyer's orders (?order=<number>), or a general question."""
    number = (request.args.get("order") or "").strip()
    order = None
    if number:
        if len(number) > 20:
            abort(404)
        order = get_order(number=number, user_id=current_user.id)
    return _open(order, None)


@bp.route("/new/<token>", methods=["GET", "POST"])
def new_guest(token: str):
    """A ticket about an order, reached through the order's guest link."""
    if len(token) > 200:
        abort(404)
    return _open(order_for_token(token), token)


# --- the thread -----------------------------------------------------------------------------


def _new_ticket_url(ticket, token: str | None) -> str | None:
    """Where to open a new ticket once this one is closed (about the same order if any)."""
    order = db.session.get(Order, ticket.order_id) if ticket.order_id else None
    if token is None:
        if order is not None and order.user_id == current_user.id:
            return url_for("support.new", order=order.number)
        return url_for("support.new")
    return url_for("support.new_guest", token=access_token(order)) if order is not None else None


def _thread(ticket, *, token: str | None, form=None, status: int = 200):
    merged_into = new_ticket_url = None
    if ticket.status == TicketStatus.CLOSED:
        new_ticket_url = _new_ticket_url(ticket, token)
    if ticket.merged_into_id is not None:
        merged_into = db.session.get(Ticket, ticket.merged_into_id)
    return render_template(
        "support/thread.html",
        ticket=ticket,
        messages=services.visible_messages(ticket, for_staff=False),
        attachments=services.attachments_by_message(ticket, for_staff=False),
        lines=services.ticket_lines(ticket),
        form=form or ReplyForm(),
        token=token,
        merged_into=merged_into,
        new_ticket_url=new_ticket_url,
        download_url=_download_url(token),
        reply_url=(
            url_for("support.guest_reply", token=token)
            if token
            else url_for("support.reply", number=ticket.number)
        ),
        kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS,
        exchange=returns.buyer_exchange(ticket),
        settlement=returns.buyer_settlement(ticket),
    ), status


def _reply(ticket, *, token: str | None, author):
    form = ReplyForm()
    if not form.validate_on_submit():
        return _thread(ticket, token=token, form=form, status=400)
    ticket_id = ticket.id
    with refusals(form) as refused:
        services.post_message(
            ticket_id,
            author=author,
            body=form.message.data,
            author_kind="buyer",
            files=_files(form),
        )
    if refused:
        return _thread(db.session.get(Ticket, ticket_id), token=token, form=form, status=400)
    flash("Your message is sent.")
    if token:
        return redirect(url_for("support.guest_thread", token=token, _anchor="latest"), 303)
    return redirect(url_for("support.thread", number=ticket.number, _anchor="latest"), 303)


def _own(number: str):
    if len(number) > 16:
        abort(404)
    return services.ticket_for_buyer(number, current_user.id)


@bp.route("/<number>")
@login_required
def thread(number: str):
    return _thread(_own(number), token=None)


@bp.route("/<number>/reply", methods=["POST"])
@login_required
def reply(number: str):
    return _reply(_own(number), token=None, author=current_user)


def _by_token(token: str):
    if len(token) > 200:
        abort(404)
    return services.ticket_for_token(token)


@bp.route("/t/<token>")
def guest_thread(token: str):
    return _thread(_by_token(token), token=token)


@bp.route("/t/<token>/reply", methods=["POST"])
def guest_reply(token: str):
    ticket = _by_token(token)
    signed_in_owner = current_user.is_authenticated and current_user.id == ticket.buyer_id
    return _reply(ticket, token=token, author=current_user if signed_in_owner else None)
