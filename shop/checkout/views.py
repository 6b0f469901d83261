"""The checkout steps, the pay page and its small JSON endpoints for Stripe.js."""

import logging

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from shop.cart.forms import EmptyForm
from shop.cart.services import find_cart
from shop.catalog.models import Product
from shop.catalog.stock import OutOfStock
from shop.checkout import payflow, services
from shop.checkout.forms import AddressForm, ContactForm, ReviewForm
from shop.db import utcnow
from shop.extensions import db
from shop.orders.services import (
    Acceptance,
    access_token,
    open_card_payment,
    order_for_token,
    payments_of,
)
from shop.orders.states import OrderStatus
from shop.payments import services as payments
from shop.payments.states import PaymentStatus
from shop.unit_of_work import refusals
from shop.web import owner

log = logging.getLogger(__name__)
bp = Blueprint("checkout", __name__)

STEPS = [
    ("contact", "Contact"),
    ("address", "Address"),
    ("delivery", "Delivery"),
    ("review", "Review and pay"),
]


def _checkout(cart=None):
    """The cart's open checkout (the current cart unless given), or None without a cart.

    A step only shown (GET) reads it, or a new one not yet kept: a visitor who looks at the
    checkout writes nothing. A step posted keeps it, made on first use.
    """
    cart = cart or find_cart(**owner())
    if cart is None:
        return None
    user = current_user if current_user.is_authenticated else None
    if request.method == "POST":
        return services.open_checkout(cart, user)
    return services.find_checkout(cart, user)


def _totals(checkout):
    return services.price_cart(checkout.cart_id, checkout.delivery_choices or {}, checkout.region)


def _page(template: str, checkout, step: str, status: int = 200, **context):
    totals = context.pop("totals", None) or _totals(checkout)
    if not totals.lines:
        flash("Your cart is empty.", "info")
        return redirect(url_for("cart.show"))
    return render_template(
        f"checkout/{template}.html",
        checkout=checkout,
        totals=totals,
        steps=STEPS,
        step=step,
        **context,
    ), status


def _first_missing(checkout) -> str | None:
    if not services.contact_done(checkout):
        return "checkout.contact"
    if not services.address_done(checkout):
        return "checkout.address"
    return None


@bp.route("/")
def start():
    checkout = _checkout()
    if checkout is None:
        return redirect(url_for("cart.show"))
    return redirect(url_for(_first_missing(checkout) or "checkout.delivery"))


@bp.route("/contact", methods=["GET", "POST"])
def contact():
    checkout = _checkout()
    if checkout is None:
        return redirect(url_for("cart.show"))
    form = ContactForm(obj=checkout)
    if form.validate_on_submit():
        services.save(
            checkout, email=form.email.data.lower(), name=form.name.data, phone=form.phone.data
        )
        return redirect(url_for("checkout.address"), 303)
    return _page("contact", checkout, "contact", 400 if form.errors else 200, form=form)


@bp.route("/address", methods=["GET", "POST"])
def address():
    checkout = _checkout()
    if checkout is None:
        return redirect(url_for("cart.show"))
    if not services.contact_done(checkout):
        return redirect(url_for("checkout.contact"))
    form = AddressForm(obj=checkout)
    if form.validate_on_submit():
        services.save(
            checkout,
            address_line1=form.address_line1.data,
            address_line2=form.address_line2.data,
            city=form.city.data,
            region=form.region.data,
            postal_code=form.postal_code.data,
        )
        return redirect(url_for("checkout.delivery"), 303)
    return _page("address", checkout, "address", 400 if form.errors else 200, form=form)


@bp.route("/delivery", methods=["GET", "POST"])
def delivery():
    checkout = _checkout()
    if checkout is None:
        return redirect(url_for("cart.show"))
    missing = _first_missing(checkout)
    if missing:
        return redirect(url_for(missing))
    form = EmptyForm()
    totals = _totals(checkout)
    error = None
    if form.validate_on_submit():
        chosen = {
            key.removeprefix("delivery-"): value
            for key, value in request.form.items()
            if key.startswith("delivery-")
        }
        with refusals(flash_it=False) as refused:
            services.choose_delivery(checkout, totals, chosen)
        if not refused:
            return redirect(url_for("checkout.review"), 303)
        error = refused.message
    return _page(
        "delivery",
        checkout,
        "delivery",
        400 if error else 200,
        totals=totals,
        form=form,
        error=error,
    )


@bp.route("/review", methods=["GET", "POST"])
def review():
    cart = find_cart(**owner())
    if cart is None:
        return redirect(url_for("cart.show"))
    if request.method == "POST":
        placed = services.pending_order_for_cart(cart.id)
        if placed is not None:
            return redirect(url_for("checkout.pay", token=access_token(placed)), 303)
    checkout = _checkout(cart)
    missing = _first_missing(checkout)
    if missing:
        return redirect(url_for(missing))
    form = ReviewForm(payment_method=checkout.payment_method)
    error = None
    if form.validate_on_submit():
        acceptance = Acceptance(
            terms_version=current_app.config["TERMS_VERSION"],
            accepted_at=utcnow(),
            ip_address=request.remote_addr or "",
            user_agent=request.headers.get("User-Agent", ""),
        )
        with refusals(flash_it=False) as refused:
            order = services.place_order(
                checkout.id,
                user_id=current_user.id if current_user.is_authenticated else None,
                payment_method=form.payment_method.data,
                acceptance=acceptance,
                use_credit=bool(form.use_credit.data),
            )
        if isinstance(refused.error, OutOfStock):
            flash(
                refused.message + " Your cart is as you left it: change a quantity and try again.",
                "error",
            )
            return redirect(url_for("cart.show"), 303)
        if not refused:
            token = access_token(order)
            if order.payment_method == "card" and order.status == OrderStatus.PENDING_PAYMENT:
                return redirect(url_for("checkout.pay", token=token), 303)
            return redirect(url_for("orders.guest_view", token=token, placed=1), 303)
        error = refused.message
    totals = _totals(checkout)
    user_id = current_user.id if current_user.is_authenticated else None
    return _page(
        "review",
        checkout,
        "review",
        400 if (form.errors or error) else 200,
        totals=totals,
        form=form,
        error=error,
        terms_version=current_app.config["TERMS_VERSION"],
        credit_cents=services.credit_to_apply(user_id, totals.total_cents),
    )


# --- paying by card --------------------------------------------------------------------------


def _payable(token: str):
    """The order and its card payment waiting for the buyer (full, deposit or balance)."""
    order = order_for_token(token)
    return order, open_card_payment(order)


def _order_url(order, **kw) -> str:
    return url_for("orders.guest_view", token=access_token(order), **kw)


@bp.route("/pay/<token>")
def pay(token: str):
    order, payment = _payable(token)
    if payment is None:
        return redirect(_order_url(order))
    config = current_app.config
    # After a decline (on this visit or an earlier one) the other ways to pay are offered.
    declined = payment.status == PaymentStatus.REQUIRES_PAYMENT_METHOD and bool(payment.last_error)
    return render_template(
        "checkout/pay.html",
        order=order,
        payment=payment,
        token=token,
        form=EmptyForm(),
        stripe_js_url=config["STRIPE_JS_URL"],
        publishable_key=config["STRIPE_PUBLISHABLE_KEY"],
        declined=declined,
        specialist_url=_specialist_url(order),
    )


def _specialist_url(order, **kw) -> str:
    """Booking a call with a specialist of the order's first product, about this order."""
    line = next((line for line in order.lines if line.product_id), None)
    product = db.session.get(Product, line.product_id) if line else None
    return url_for(
        "consultations.new", product=product.slug if product else None, order=order.number, **kw
    )


def _json_error(message: str, status: int, **extra):
    return jsonify(error=message, **extra), status


@bp.route("/pay/<token>/setup", methods=["POST"])
def pay_setup(token: str):
    """Hold the units again if needed, and hand Stripe.js a SetupIntent's client secret.

    The pay page no longer uses it (confirming a SetupIntent made 3-D Secure ask twice: see
    `pay_card`); it stays for saving a card without paying, which nothing offers yet.
    """
    order, payment = _payable(token)
    if payment is None:
        return jsonify(redirect=_order_url(order))
    payment_id = payment.id
    with refusals(flash_it=False) as refused:
        payflow.ensure_hold(order)
        secret = payments.prepare_card(payment_id, order.email, order.name)
    if isinstance(refused.error, OutOfStock):
        return _units_gone(order, payment_id, refused.message)
    if refused:
        unavailable = isinstance(refused.error, payments.PaymentUnavailable)
        return _json_error(refused.message, 503 if unavailable else 400)
    return jsonify(client_secret=secret)


def _units_gone(order, payment_id: int, message: str):
    """The held units went to someone else (what the refused call began is undone): the
    payment is voided, cancelling the order, and the buyer goes back to the cart."""
    payflow.give_up(order, payment_id, message)
    flash(message + " Your cart is as you left it.", "error")
    return _json_error(message, 409, redirect=url_for("cart.show"))


@bp.route("/pay/<token>/card", methods=["POST"])
def pay_card(token: str):
    """Authorize (or charge) the card entered in Stripe.js; one PaymentIntent per attempt.

    The page sends the card's one-use token (or a PaymentMethod already saved); the bank asks
    for 3-D Secure at most once, when the PaymentIntent is confirmed.
    """
    order, payment = _payable(token)
    if payment is None:
        return jsonify(redirect=_order_url(order))
    body = request.get_json(silent=True) or {}
    card_token = str(body.get("token") or "")[:80]
    method_id = str(body.get("payment_method") or "")[:80]
    payment_id = payment.id
    with refusals(flash_it=False) as refused:
        payflow.ensure_hold(order)
        if card_token:
            method_id = payments.save_card(payment_id, card_token, order.email, order.name)
        payment = payments.pay_with_card(payment_id, method_id)
    if isinstance(refused.error, OutOfStock):
        return _units_gone(order, payment_id, refused.message)
    # A decline and an unreachable Stripe keep what they wrote (keeps_changes): the decline
    # on the order's timeline, the attempt to try again; the hold stays.
    if isinstance(refused.error, payments.PaymentDeclined):
        return _json_error(refused.message, 402)
    if isinstance(refused.error, payments.PaymentUnavailable):
        return _json_error(refused.message, 503)
    if refused:
        return _json_error(refused.message, 400)
    return _after_attempt(order, payment)


@bp.route("/pay/<token>/bank-transfer", methods=["POST"])
def pay_by_transfer(token: str):
    """The buyer pays this order by bank transfer instead of by card; the units stay held."""
    order, payment = _payable(token)
    if payment is None:
        return redirect(_order_url(order), 303)
    payment_id = payment.id
    with refusals(flash_it=False) as refused:
        switched = payflow.switch_to_bank_transfer(order, payment_id)
    if isinstance(refused.error, OutOfStock):
        payflow.give_up(order, payment_id, refused.message)
        flash(refused.message + " Your cart is as you left it.", "error")
        return redirect(url_for("cart.show"), 303)
    if refused:
        flash(refused.message, "error")
        return redirect(url_for("checkout.pay", token=token), 303)
    if not switched:  # the card went through after all, or a later payment of a placed order
        return redirect(_order_url(order), 303)
    return redirect(_order_url(order, placed=1), 303)


@bp.route("/pay/<token>/complete", methods=["POST"])
def pay_complete(token: str):
    """After 3-D Secure in the page: ask Stripe where the payment stands (a webhook may have
    told us already: then this only confirms it)."""
    order = order_for_token(token)
    cards = [p for p in payments_of(order) if p.method == "card"]
    if not cards:
        return jsonify(redirect=_order_url(order))
    with refusals(flash_it=False) as refused:
        payment = payments.refresh(cards[-1].id)
    if refused:
        unavailable = isinstance(refused.error, payments.PaymentUnavailable)
        return _json_error(refused.message, 503 if unavailable else 400)
    return _after_attempt(order, payment)


def _after_attempt(order, payment):
    status = PaymentStatus(payment.status)
    if status == PaymentStatus.REQUIRES_ACTION:
        payflow.extend_for_authentication(order)
        secret = payments.client_secret(payment)
        return jsonify(requires_action=True, client_secret=secret)
    if status == PaymentStatus.REQUIRES_PAYMENT_METHOD:
        message = payment.last_error or "The payment was not completed. Please try another card."
        return _json_error(message, 402)
    if status == PaymentStatus.CANCELED:
        return _json_error(
            payment.last_error or "The payment was cancelled.", 409, redirect=_order_url(order)
        )
    return jsonify(redirect=_order_url(order, placed=1))
