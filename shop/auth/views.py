"""Register, log in, log out, change password, the account page."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from shop.auth.forms import (
    ChangePasswordForm,
    ConfirmRegistrationForm,
    LoginForm,
    RegisterForm,
)
from shop.auth.registration import (
    REGISTRATION_MAX_AGE,
    confirm_registration,
    pending_registration,
    start_registration,
)
from shop.auth.services import (
    LOGIN_FAILED,
    authenticate,
    change_password,
    normalise_email,
    queue_verification_email,
    set_timezone,
    verify_email,
)
from shop.auth.session import landing_for, log_in, log_out
from shop.cart.services import merge_visitor_cart
from shop.credit import services as credit
from shop.extensions import limiter
from shop.research.services import attach_visitor_trail, recently_viewed_ids
from shop.timefmt import COMMON_ZONES, browser_zone, zone_name
from shop.unit_of_work import refusals, writes
from shop.web import hash_token, safe_next

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    return "login-account:" + normalise_email(request.form.get("email", ""))[:254]


def _after_login(user) -> None:
    """Renew the session, then bring the visitor's cart and research trail into the account."""
    carried = log_in(user)
    visitor_token = carried.get("visitor")
    visitor = hash_token(visitor_token) if visitor_token else None
    merge_visitor_cart(visitor, user.id)
    attach_visitor_trail(visitor, user.id)


def _login_failed(response) -> bool:
    """Whether a login POST counts against its limits: anything but the redirect of a
    successful login (a wrong password, an unknown account, a bad form, a refused one).

    Flask-Limiter's `deduct_when` asks this after the view, so people who log in often from one
    office address are never throttled; guesses still are, per address and per account."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=_login_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_account_key,
    deduct_when=_login_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("pages.home")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        # One answer for every kind of failure: not the refusal's own words.
        with refusals(flash_it=False) as refused:
            user = authenticate(form.email.data, form.password.data)
        if refused:
            error = LOGIN_FAILED
        else:
            _after_login(user)
            flash(f"Welcome back, {user.name.split()[0]}.", "success")
            return redirect(safe_next(request.args.get("next"), landing_for(user)))
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def register():
    """Sign up: the same answer for an address with an account and one without
    (shop.auth.registration), and no change to the visitor's session either way."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = RegisterForm()
    if form.validate_on_submit():
        with refusals(form) as refused:
            start_registration(
                form.email.data, form.name.data, form.password.data, phone=form.phone.data or None
            )
        if not refused:
            return redirect(url_for("auth.check_email"))
    return render_template("auth/register.html", form=form)


@bp.route("/check-email")
def check_email():
    return render_template("auth/check_email.html", valid_days=REGISTRATION_MAX_AGE.days)


@bp.route("/confirm/<token>", methods=["GET", "POST"], endpoint="confirm_registration")
def confirm_registration_link(token: str):
    """The link in the sign-up email: a page with one button, so that a mail scanner that
    opens links makes no account; the button makes it and logs its owner in.

    A link that is gone (InvalidVerifyLink) is the 400 page with its words (shop.errors)."""
    registration = pending_registration(token)
    form = ConfirmRegistrationForm()
    if form.validate_on_submit():
        user = confirm_registration(token)
        if browser_zone():  # the browser's guess, until they choose in their account
            user.timezone = browser_zone()
        _after_login(user)
        flash(f"Welcome, {user.name.split()[0]}: your account is ready.", "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/confirm_registration.html", form=form, email=registration.email)


@bp.route("/logout", methods=["POST"])
def logout():
    log_out()
    flash("You are logged out.", "info")
    return redirect(url_for("pages.home"))


@bp.route("/")
@login_required
def account():
    viewed = recently_viewed_ids(current_user.id, None, current_app.config["RECENTLY_VIEWED"])
    return render_template(
        "auth/account.html",
        recently_viewed=viewed,
        credit_balance=credit.balance(current_user.id),
        zones=COMMON_ZONES,
        my_zone=zone_name(current_user.timezone),
    )


@bp.route("/timezone", methods=["POST"])
@login_required
def timezone():
    """The buyer's own clock: every time on their pages and in their emails is shown on it."""
    with refusals() as refused:
        set_timezone(current_user, request.form.get("timezone"))
    if refused:
        return redirect(url_for("auth.account", _anchor="timezone")), 303
    flash(f"Times are now shown on your clock: {current_user.timezone}.", "success")
    return redirect(url_for("auth.account", _anchor="timezone")), 303


@bp.route("/credit")
@login_required
def store_credit():
    """The buyer's store credit: the balance and every grant, spend and restore."""
    return render_template(
        "auth/credit.html",
        balance=credit.balance(current_user.id),
        entries=credit.history(current_user.id),
    )


@bp.route("/verify/<token>", endpoint="verify_email")
@writes
def verify_email_link(token: str):
    """The link in the verification email; it works in any browser, logged in or not.

    It records the proof on the GET itself (so it `writes`): following the link is the proof
    that the address is the account's. A bad link (InvalidVerifyLink) is the 400 page."""
    _user, newly = verify_email(token)
    if newly:
        flash("Thank you: your email address is verified.", "success")
    else:
        flash("Your email address was already verified.", "info")
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    return redirect(url_for("auth.login", next=url_for("auth.account")))


@bp.route("/verify/resend", methods=["POST"])
@login_required
def resend_verification():
    if current_user.email_verified_at is not None:
        flash("Your email address is already verified.", "info")
    elif queue_verification_email(current_user, resend=True) is None:
        flash("We sent you a link a moment ago. Please check your inbox (and spam folder).", "info")
    else:
        flash(f"We sent a new link to {current_user.email}.", "success")
    return redirect(url_for("auth.account"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with refusals(form) as refused:
            change_password(current_user, form.current_password.data, form.new_password.data)
        if not refused:
            flash("Your password is changed. Other devices have been logged out.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form)
