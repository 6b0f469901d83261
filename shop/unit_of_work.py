"""A request is one unit of work, and this module is its one owner.

- GET and HEAD read only: any statement that writes raises (`shop.db.reading_only`), unless the
  view says it records something on a GET (`writes`, e.g. the research trail of a product page).
- Any request whose view returns is committed once, here, after the view; an exception anywhere
  before that (a view, a guard, a service) leaves it uncommitted, and it is rolled back.
- A `DomainError` a view expects becomes its form's error or a flash in one place: `refusals`.
  It undoes what the refused call wrote; an error that is itself an outcome to keep (a card
  declined, recorded on the order) says so with `keeps_changes`.
- Periodic jobs and CLI commands use `unit_of_work()`, one per item where each item stands alone.

Services flush and never commit: whoever runs them owns the transaction.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, abort, flash, g, request

from shop.db import reading_only
from shop.errors import DomainError, NotFound
from shop.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Shop(Flask):
    """Flask, committing a request's work when its view has returned."""

    def dispatch_request(self):
        # Flask's documented override point: the view (or the response a guard returned).
        # An exception raised here or before never reaches the commit; Flask-SQLAlchemy's
        # teardown (session.remove) then rolls it back.
        response = super().dispatch_request()
        if db.session.registry.has():  # a page served whole from the cache opened no session
            db.session.commit()
        return response


def writes(view):
    """Mark a view whose GET records something (a page view on the research trail): its
    request runs in an ordinary, writing transaction instead of a read-only one."""
    view.writes_on_get = True
    return view


def init_app(app: Flask) -> None:
    """Read-only GETs. Registered after every app-wide hook: those run first, and one writes
    (the research trail's held events of a visitor who came back)."""

    @app.before_request
    def read_only_requests():
        view = app.view_functions.get(request.endpoint)
        if request.method in SAFE_METHODS and not getattr(view, "writes_on_get", False):
            g.reading_only = reading_only()
            g.reading_only.__enter__()

    @app.teardown_request
    def end_read_only_requests(error=None):
        guard = g.pop("reading_only", None)
        if guard is not None:
            guard.__exit__(None, None, None)


@dataclass
class Refusal:
    """What `refusals` caught: falsy when the block went through."""

    error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.error is not None

    @property
    def message(self) -> str:
        return self.error.message if self.error else ""


@contextmanager
def refusals(form=None, *, flash_it: bool | None = None) -> Iterator[Refusal]:
    """Run a service call; a `DomainError` it raises is undone and shown, not propagated.

    With a form, the message goes under the field the error names (or above the form); without
    one, it is flashed. `NotFound` is not a refusal: it propagates, and the page is a 404.
    """
    outcome = Refusal()
    try:
        yield outcome
    except NotFound:
        db.session.rollback()
        raise
    except DomainError as error:
        if not error.keeps_changes:
            db.session.rollback()
        outcome.error = error
        if form is not None:
            _on_form(form, error)
        if flash_it or (flash_it is None and form is None):
            flash(error.message, "error")


def _on_form(form, error: DomainError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]  # a tuple until the form is validated
    else:
        form.form_errors.append(error.message)


def flash_form_errors(form) -> None:
    """A form posted from a page that shows no form of its own: each error as a flash (an
    expired or forged CSRF token is a 400, not a message)."""
    if "csrf_token" in form.errors:
        abort(400)
    for messages in form.errors.values():
        for message in messages:
            flash(message, "error")


@contextmanager
def unit_of_work() -> Iterator[None]:
    """One job, command or item: committed when the block ends, rolled back if it raises."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
