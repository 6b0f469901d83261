"""Buyer pages of after-sale service beyond the thread: rating a solved ticket.

The owner rates from their account; a guest from the thread's signed link. Anyone else: 404.
"""

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from shop.errors import NotFound
from shop.support import satisfaction, services
from shop.unit_of_work import flash_form_errors, refusals

bp = Blueprint("after_sale", __name__)


class RatingForm(FlaskForm):
    rating = StringField("Rating")  # checked by the service: 1 to 5
    comment = TextAreaField(
        "Comment",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[Length(max=satisfaction.COMMENT_MAX)],
    )


def _back(endpoint: str, **values):
    try:
        return redirect(url_for(endpoint, _anchor="rating", **values), 303)
    except BuildError:
        return redirect(url_for("pages.home"), 303)


def _rate(ticket, back):
    form = RatingForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return back
    with refusals() as refused:
        satisfaction.rate(ticket.id, form.rating.data, form.comment.data)
    if refused:
        return back
    flash("Thank you for rating our service.", "success")
    return back


@bp.route("/tickets/<number>/rate", methods=["POST"])
def rate(number: str):
    if not current_user.is_authenticated:
        raise NotFound("No such ticket.")
    ticket = services.ticket_for_buyer(number, current_user.id)
    return _rate(ticket, _back("support.thread", number=ticket.number))


@bp.route("/link/<token>/rate", methods=["POST"])
def rate_by_link(token: str):
    ticket = services.ticket_for_token(token)
    return _rate(ticket, _back("support.guest_thread", token=token))
