"""The staff blueprint and its guard, alone in a leaf module: every staff page module puts its
routes on this `bp`, and shop/staff/views.py imports those page modules so they register. Nothing
here imports a page, so no page imports itself back through the blueprint.

Every route on it declares the permission it needs; one that declares none is refused to everyone
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
