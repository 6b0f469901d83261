"""The staff blueprint and its guard, alone in a leaf module: each staff page module has its own
blueprint, which shop/staff/views.py nests under this one, so this guard runs for all of them.
Nothing here imports a page, and no page imports shop/staff/views.py.

Every route under it declares the permission it needs; one that declares none is refused to everyone
(403), so a new route cannot be left open by forgetting."""

from flask import Blueprint, current_app, request

from shop.auth.session import declared_permissions, refuse_unless

bp = Blueprint("staff", __name__)


@bp.before_request
def require_permission():
    """Guard for the whole blueprint: the view's declared permission, checked before anything
    else runs; a view (or a method of it) that declares none is refused (deny by default)."""
    view = current_app.view_functions.get(request.endpoint)
    # Nothing declared: visitors still go to log in, everyone else gets 403.
    return refuse_unless(declared_permissions(view, request.method))
