"""Accepting a quote and paying for it, from the buyer's link. Routes on the quotes blueprint."""

from flask import flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from shop.checkout.services import tax_rate
from shop.extensions import db
from shop.money import Money
from shop.orders.models import Order
from shop.orders.services import access_token
from shop.quotes import closing
from shop.quotes.blueprint import bp, quote_from_link
from shop.quotes.closing_forms import AcceptForm, PayQuoteForm
from shop.quotes.common import load_version
from shop.quotes.states import QuoteStatus
from shop.unit_of_work import refusals


def _percent(value) -> str:
    return format(value.normalize(), "f")


@bp.route("/v/<token>/accept", methods=["POST"])
def accept(token: str):
    quote = quote_from_link(token)
    form = AcceptForm()
    if not form.validate_on_submit():
        for message in dict.fromkeys(m for errors in form.errors.values() for m in errors):
            flash(message, "error")
        return redirect(url_for("quotes.view", token=token), 303)
    with refusals() as refused:
        closing.accept(
            quote.id,
            int(form.version.data),  # the version the buyer read, never simply the latest
            closing.Evidence(
                typed_name=form.typed_name.data,
                accepted_terms=bool(form.accept_terms.data),
                ip_address=request.remote_addr or "",
                user_agent=request.headers.get("User-Agent", ""),
            ),
            total_cents=int(form.total_cents.data),
        )
    if isinstance(refused.error, closing.VersionChanged):
        # Back to the version now current, to read before accepting it.
        return redirect(url_for("quotes.view", token=token, version=refused.error.current), 303)
    if refused:
        return redirect(url_for("quotes.view", token=token), 303)
    flash("Thank you: the quote is accepted. One last step: delivery and payment.", "success")
    return redirect(url_for("quotes.pay_quote", token=token), 303)


@bp.route("/v/<token>/pay", methods=["GET", "POST"])
def pay_quote(token: str):
    quote = quote_from_link(token)
    if quote.order_id is not None:
        order = db.session.get(Order, quote.order_id)
        # 303: a pay form posted from a second tab lands on the order the first tab placed.
        return redirect(url_for("orders.guest_view", token=access_token(order)), 303)
    if quote.status != QuoteStatus.ACCEPTED:
        return redirect(url_for("quotes.view", token=token), 303)
    version = load_version(quote)
    form = PayQuoteForm()
    choices = [SelectChoice("full", f"The full amount ({Money(version.total_cents)} + tax)")]
    if version.deposit_pct:
        choices.insert(
            0,
            SelectChoice(
                "deposit",
                f"The {_percent(version.deposit_pct)}% deposit now, the balance later",
            ),
        )
    form.pay.choices = choices
    if request.method == "GET":
        form.pay.data = choices[0].value
    error = None
    if form.validate_on_submit():
        delivery = closing.Delivery(
            address_line1=form.address_line1.data,
            address_line2=form.address_line2.data or "",
            city=form.city.data,
            region=form.region.data,
            postal_code=form.postal_code.data,
            phone=form.phone.data,
        )
        with refusals(flash_it=False) as refused:
            order = closing.place_order(
                quote.id,
                delivery=delivery,
                payment_method=form.payment_method.data,
                pay=form.pay.data,
                ip_address=request.remote_addr or "",
                user_agent=request.headers.get("User-Agent", ""),
            )
        if refused:
            error = refused.message
        else:
            order_token = access_token(order)
            if order.payment_method == "card":
                return redirect(url_for("checkout.pay", token=order_token), 303)
            return redirect(url_for("orders.guest_view", token=order_token, placed=1), 303)
    region = form.region.data or ""
    return render_template(
        "quotes/pay.html",
        quote=quote,
        version=version,
        form=form,
        error=error,
        token=token,
        rate=tax_rate(region) if region else None,
    ), 400 if (form.errors or error) else 200
