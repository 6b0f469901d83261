"""Flask-Login wiring and the role checks used by views."""

from functools import wraps

from flask import abort, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from shop.auth.models import User
from shop.auth.roles import Permission, can
from shop.auth.services import end_session, load_session_user, start_session
from shop.extensions import login_manager

# What survives the session renewal at login: the visitor's identity (to merge the cart and
# the trail) and the compare list. Everything else is dropped.
CARRIED_KEYS = ("visitor", "compare")


def init_login(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    # Our login sessions live in the database and die at logout; no extra fingerprinting.
    login_manager.session_protection = None

    @login_manager.user_loader
    def load_user(token: str) -> User | None:
        return load_session_user(token)


def log_in(user: User) -> dict:
    """Renew the session for a freshly authenticated user; returns what the old session carried."""
    carried = {key: session[key] for key in CARRIED_KEYS if key in session}
    session.clear()
    start_session(user, request.remote_addr, request.headers.get("User-Agent"))
    login_user(user)
    if "compare" in carried:
        session["compare"] = carried["compare"]
    return carried


def log_out() -> None:
    if current_user.is_authenticated:
        end_session(current_user.current_session_hash)
    logout_user()
    session.clear()


# HEAD and OPTIONS read what GET reads: they need what GET needs.
_AS_GET = {"HEAD": "GET", "OPTIONS": "GET"}


def permission_required(*permissions: Permission, methods=None):
    """Declare what a view needs, and check it: one of `permissions` (deny by default).

    Anonymous users go to the login page, others without a grant get 403. `methods` limits
    this declaration to those HTTP methods (stack one per method when they differ). The
    declaration stays on the view (`view.permissions`, method or "*" -> permissions), where the
    staff blueprint's guard and the tests read it.
    """
    wanted = frozenset(Permission(p) for p in permissions)
    if not wanted:
        raise ValueError("permission_required needs at least one permission")
    scope = frozenset(m.upper() for m in methods) if methods else frozenset({"*"})

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            method = _AS_GET.get(request.method, request.method)
            if "*" in scope or method in scope:
                refusal = refuse_unless(wanted)
                if refusal is not None:
                    return refusal
            return view(*args, **kwargs)

        # A fresh dict: `wraps` copied the inner view's, which must not change under it.
        wrapped.permissions = {**getattr(view, "permissions", {}), **dict.fromkeys(scope, wanted)}
        return wrapped

    return decorator


def declared_permissions(view, method: str) -> frozenset[Permission]:
    """What a view declared for this HTTP method (empty when it declared nothing)."""
    declared = getattr(view, "permissions", None) or {}
    method = _AS_GET.get(method.upper(), method.upper())
    return declared.get(method) or declared.get("*") or frozenset()


def refuse_unless(permissions):
    """None when the current user holds one of `permissions`; else the login page or a 403."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not any(can(current_user.role, p) for p in permissions):
        abort(403)
    return None


def landing_for(user) -> str:
    """Where a person lands after logging in: the desk, the crew's deliveries, or the shop."""
    if can(user.role, Permission.STAFF_DESK):
        return url_for("staff.home")
    if can(user.role, Permission.VIEW_DELIVERIES):
        return url_for("staff.delivery.deliveries")
    return url_for("pages.home")
