"""The buyer's quotes blueprint and the link check its pages share, alone in a leaf module: the
quote pages (shop/quotes/views.py) and the closing pages (shop/quotes/closing_views.py) both put
their routes on this `bp`; views.py imports closing_views so its routes register."""

from flask import Blueprint, abort
from flask_login import current_user

from shop.auth.roles import Permission, can
from shop.quotes.common import quote_for_token

bp = Blueprint("quotes", __name__)

MAX_TOKEN = 300


def quote_from_link(token: str):
    """The quote a link points to; 404 if forged, or if it belongs to another logged-in buyer."""
    if len(token) > MAX_TOKEN:
        abort(404)
    quote = quote_for_token(token)
    if (
        current_user.is_authenticated
        and not can(current_user.role, Permission.VIEW_BUYER_THREAD)
        and quote.buyer_id is not None
        and quote.buyer_id != current_user.id
    ):
        abort(404)
    return quote
