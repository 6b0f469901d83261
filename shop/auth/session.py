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


def permission_required(permission: Permission):
    """Deny by default: anonymous users go to the login page, others without the grant get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not can(current_user.role, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
