"""The buyer's quote pages: ask for a quote from the cart, read it, talk it over, decline it.

The quote page works without logging in, through the signed link in the buyer's emails (like an
order's guest link). A logged-in buyer also finds their quotes under /quotes/mine; another buyer
holding the link while logged in gets a 404, as for any quote that is not theirs.
"""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from shop.cart.services import view_cart
from shop.cart.views import render_cart
from shop.extensions import limiter
from shop.inputs import single_line
from shop.quotes import buyer
from shop.quotes.blueprint import bp, quote_from_link
from shop.quotes.services import quote_link_token
from shop.quotes.states import QuoteStatus, allowed_moves
from shop.unit_of_work import refusals
from shop.web import owner


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class RequestQuoteForm(FlaskForm):
    """From the cart. Only the comment (and a visitor's name and email) is read: never prices."""

    comment = TextAreaField(
        "Anything we should know?",
        filters=[_strip],
        description="Delivery date, trade-in, installation, the budget you have in mind…",
        validators=[Optional(), Length(max=buyer.MAX_COMMENT)],
    )
    name = StringField("Your name", filters=[single_line], validators=[Optional(), Length(max=120)])
    email = EmailField(
        "Email",
        filters=[_strip],
        validators=[Optional(), Email(message="Enter a valid email address."), Length(max=254)],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not current_user.is_authenticated:
            for f, message in (
                (self.name, "Tell us your name."),
                (self.email, "Enter your email."),
            ):
                if not f.data:
                    f.errors = [*f.errors, message]
                    ok = False
        return ok


class MessageForm(FlaskForm):
    body = TextAreaField(
        "Your message",
        filters=[_strip],
        validators=[
            DataRequired(message="Write your message first."),
            Length(max=buyer.MAX_MESSAGE),
        ],
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        "Why does it not suit?",
        filters=[_strip],
        validators=[
            DataRequired(message="Tell us in a few words why the quote does not suit."),
            Length(max=buyer.MAX_REASON),
        ],
    )


def _cart_page(form: RequestQuoteForm, status: int):
    return render_cart(status, quote_form=form)


@bp.route("/request", methods=["POST"])
@limiter.limit("10 per hour", methods=["POST"])
def request_quote():
    form = RequestQuoteForm()
    if not form.validate_on_submit():
        return _cart_page(form, 400)
    cart = view_cart(**owner())
    if current_user.is_authenticated:
        contact = buyer.Contact(name=current_user.name, email=current_user.email)
        buyer_id = current_user.id
    else:
        contact = buyer.Contact(name=form.name.data or "", email=form.email.data or "")
        buyer_id = None
    with refusals(form) as refused:
        quote = buyer.request_quote(
            cart.lines, contact, buyer_id=buyer_id, comment=form.comment.data
        )
    if refused:
        _flash_unless_on_a_field(refused)
        return _cart_page(form, 400)
    return redirect(url_for("quotes.view", token=quote_link_token(quote), requested=1), 303)


def _flash_unless_on_a_field(refused) -> None:
    # A refusal about the quote or the cart, not about what was typed: these pages show a
    # form's errors only under its fields, so it is flashed above the page.
    if not refused.error.field:
        flash(refused.message, "error")


def _is_the_buyer(quote) -> bool:
    return current_user.is_authenticated and current_user.id == quote.buyer_id


def _version_arg(visible):
    """The version asked for with ?version=N (only a sent one), else the latest sent one."""
    raw = request.args.get("version", "")
    if raw:
        wanted = int(raw) if raw.isdigit() and len(raw) < 6 else None
        match = next((v for v in visible if v.number == wanted), None)
        if match is None:
            abort(404)
        return match
    return visible[-1] if visible else None


def _render(token: str, status: int = 200, message_form=None, decline_form=None):
    page = buyer.load_for_buyer(quote_from_link(token).id)
    quote = page.quote
    visible = buyer.visible_versions(quote)
    version = _version_arg(visible)
    # The answers the table allows now: the page offers these and no others.
    answers = buyer.answers(quote, version) if version is not None else frozenset()
    credit_cents = (
        version.list_cents - version.discount_cents - version.total_cents if version else 0
    )
    return render_template(
        "quotes/view.html",
        token=token,
        quote=quote,
        rep=page.rep,
        messages=page.messages,
        authors=page.authors,
        versions=visible,
        version=version,
        is_current=version is not None and version.number == quote.current_version,
        answerable=bool(answers),
        can_accept=QuoteStatus.ACCEPTED in answers,
        can_decline=QuoteStatus.DECLINED in answers,
        asks_for_changes=QuoteStatus.CHANGES_REQUESTED in allowed_moves(quote),
        can_write=quote.status in buyer.OPEN_STATUSES,
        credit_cents=credit_cents,
        just_requested=request.args.get("requested") == "1",
        message_form=message_form or MessageForm(),
        decline_form=decline_form or DeclineForm(),
        terms_version=current_app.config["TERMS_VERSION"],
    ), status


@bp.route("/v/<token>")
def view(token: str):
    return _render(token)


@bp.route("/v/<token>/message", methods=["POST"])
def message(token: str):
    quote = quote_from_link(token)
    form = MessageForm()
    if not form.validate_on_submit():
        return _render(token, 400, message_form=form)
    with refusals(form) as refused:
        buyer.post_message(
            quote,
            form.body.data,
            from_buyer=True,
            author=current_user if _is_the_buyer(quote) else None,
        )
    if refused:
        _flash_unless_on_a_field(refused)
        return _render(token, 400, message_form=form)
    flash(f"Your message is with {'your specialist' if quote.rep_id else 'our team'}.", "success")
    return redirect(url_for("quotes.view", token=token, _anchor="thread"), 303)


@bp.route("/v/<token>/decline", methods=["POST"])
def decline(token: str):
    quote = quote_from_link(token)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _render(token, 400, decline_form=form)
    with refusals(form) as refused:
        buyer.decline(quote, form.reason.data)
    if refused:
        _flash_unless_on_a_field(refused)
        return _render(token, 400, decline_form=form)
    flash("You declined the quote. Thank you for telling us why.", "info")
    return redirect(url_for("quotes.view", token=token), 303)


@bp.route("/mine")
@login_required
def mine():
    quotes = buyer.buyer_quotes(current_user.id)
    return render_template(
        "quotes/mine.html",
        quotes=quotes,
        tokens={q.id: quote_link_token(q) for q in quotes},
        sent={q.id: buyer.visible_versions(q) for q in quotes},
    )


from shop.quotes import closing_views as _closing_views  # noqa: E402,F401  (its routes on bp)
