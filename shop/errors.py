"""Domain errors and the error pages.

Error pages never touch the database: they are rendered by `render_bare`, without the app's
context processors. Flask-Login's processor loads `current_user` from the database for every
template; with the database down, the 503 page of a signed-in buyer or staff member became a
bare 500, and every 404 or expired form of theirs cost the session's query.
"""

from flask import current_app, flash, redirect, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from shop.extensions import db
from shop.web import brings_session, safe_next


class DomainError(Exception):
    """A rule of the store was broken; the message is safe to show to the person acting."""

    # An error that is itself an outcome (a card declined, written on the order's timeline)
    # keeps what the refused call wrote; any other undoes it (shop.unit_of_work.refusals).
    keeps_changes = False

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The thing asked for does not exist, or is not the asker's to see."""


class InvalidTransition(DomainError):
    """A lifecycle move that the table of allowed moves does not contain."""


MESSAGES = {
    400: ("Bad request", "We could not understand that request. Please go back and try again."),
    403: ("Not allowed", "This page is not available to your account."),
    404: ("Not found", "We could not find that page. It may have moved, or the link is wrong."),
    405: ("Not allowed", "That action is not available here."),
    413: ("Too large", "What you sent is larger than we accept."),
    429: ("Slow down", "Too many attempts. Please wait a few minutes and try again."),
    500: ("Something went wrong", "We are sorry: the store hit an error. Nothing was charged."),
    503: ("Back in a moment", "The store is briefly unavailable. Please try again shortly."),
}


def render_bare(template: str, **context) -> str:
    """A page from `template` and `context` alone, with Flask's own template globals (url_for,
    config, request) but none of the app's context processors, so nothing that queries: no
    user, no cart count, no categories."""
    return current_app.jinja_env.get_template(template).render(**context)


def render_error(status: int, detail: str | None = None):
    title, message = MESSAGES.get(status, MESSAGES[500])
    page = render_bare("errors/error.html", status=status, title=title, message=detail or message)
    return page, status


def _sent_before_the_visit_began() -> bool:
    """A form from a page shared by visitors without a session (shop.catalog.http_cache), sent
    before app.js could fetch its token (no JavaScript, or a quick press), from this site: send
    the visitor back with their session started. The browser's `Sec-Fetch-Site` says it came
    from this site; a cross-site POST (which never carries a SameSite=Lax cookie, and so looks
    just the same otherwise) gets the 400 page, and no cookie that would replace a session."""
    return request.headers.get("Sec-Fetch-Site") == "same-origin" and not brings_session()


def register_errorhandlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if _sent_before_the_visit_began():
            flash("Your visit had only just begun, so nothing was done. Please try again.", "info")
            return redirect(safe_next(request.form.get("next"), url_for("pages.home")), 303)
        return render_error(400, "Your form expired or was sent from elsewhere. Please try again.")

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code is None or error.code < 400:
            return error
        if request.path.startswith("/static/"):
            return error
        return render_error(error.code)

    @app.errorhandler(500)
    def server_error(error):
        # The failed request's transaction must not leak into the error page or the next request.
        db.session.rollback()
        return render_error(500)

    @app.errorhandler(NotFound)
    def domain_not_found(error):
        db.session.rollback()
        return render_error(404)

    @app.errorhandler(DomainError)
    def domain_error(error):
        # A refusal no view expected: its words, on a 400 page, and nothing it began is kept.
        db.session.rollback()
        return render_error(400, error.message)
