"""A request is one unit of work with one owner (shop.unit_of_work): committed once when its view
returns, rolled back on any exception, read-only on GET; a refusal undone and shown in one place."""

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Blueprint
from flask_wtf import FlaskForm
from wtforms import StringField

from shop import create_app
from shop.config import ROOT, TestConfig
from shop.db import WriteWhileReadingOnly
from shop.errors import DomainError, NotFound
from shop.extensions import db as _db
from shop.research.models import ResearchEvent
from shop.unit_of_work import refusals, unit_of_work, writes


class NameForm(FlaskForm):
    name = StringField("Name")


def _event(query: str) -> ResearchEvent:
    return ResearchEvent(kind="searched", query=query, visitor_key="k" * 64)


def _count(query: str) -> int:
    return _db.session.scalar(
        sa.select(sa.func.count()).select_from(ResearchEvent).where(ResearchEvent.query == query)
    )


@pytest.fixture
def probe_app(database_url):
    """The store with a few probe views that write, fail and refuse in each way a view can."""
    app = create_app(TestConfig(database_url, WTF_CSRF_ENABLED=False))
    bp = Blueprint("probe", __name__)

    @bp.post("/probe/write")
    def write():
        _db.session.add(_event("kept"))
        return "ok"

    @bp.post("/probe/write-then-fail")
    def write_then_fail():
        _db.session.add(_event("failed"))
        _db.session.flush()
        raise RuntimeError("after the write")

    @bp.post("/probe/write-then-404")
    def write_then_404():
        _db.session.add(_event("not-found"))
        _db.session.flush()
        raise NotFound("gone")

    @bp.post("/probe/refused")
    def refused():
        form = NameForm()
        _db.session.add(_event("before-refusal"))
        with refusals(form) as refusal:
            _db.session.add(_event("refused"))
            _db.session.flush()
            raise DomainError("That name is taken.", field="name")
        return (f"{bool(refusal)}|{form.name.errors}", 400)

    @bp.post("/probe/unexpected-refusal")
    def unexpected_refusal():
        _db.session.add(_event("unexpected"))
        _db.session.flush()
        raise DomainError("No such thing can be done.")

    @bp.get("/probe/read")
    def read():
        _db.session.add(_event("on-get"))
        _db.session.flush()
        return "wrote"

    @bp.get("/probe/records")
    @writes
    def records():
        _db.session.add(_event("recorded-on-get"))
        return "recorded"

    app.register_blueprint(bp)
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.drop_all()


def test_a_view_that_returns_is_committed_once(probe_app):
    client = probe_app.test_client()
    assert client.post("/probe/write").status_code == 200
    assert _count("kept") == 1


def test_an_exception_after_a_write_leaves_nothing_written(probe_app):
    probe_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = probe_app.test_client()
    assert client.post("/probe/write-then-fail").status_code == 500
    assert client.post("/probe/write-then-404").status_code == 404
    assert _count("failed") == 0 and _count("not-found") == 0


def test_a_refusal_is_undone_and_shown_under_its_field(probe_app):
    response = probe_app.test_client().post("/probe/refused", data={"name": "x"})
    assert response.status_code == 400
    assert response.text == "True|['That name is taken.']"
    # The refused call's writes and what came before it in the request are both undone.
    assert _count("refused") == 0 and _count("before-refusal") == 0


def test_a_refusal_no_view_expected_is_a_400_page_with_its_words(probe_app):
    response = probe_app.test_client().post("/probe/unexpected-refusal")
    assert response.status_code == 400
    assert "No such thing can be done." in response.text
    assert _count("unexpected") == 0


def test_a_get_reads_only_unless_its_view_says_it_records(probe_app):
    client = probe_app.test_client()
    with pytest.raises(WriteWhileReadingOnly):
        client.get("/probe/read")
    _db.session.rollback()  # the probe shares this test's app context, so its session
    assert _count("on-get") == 0
    assert client.get("/probe/records").status_code == 200
    assert _count("recorded-on-get") == 1


def test_a_job_is_one_unit_of_work(probe_app):
    with unit_of_work():
        _db.session.add(_event("job"))
    with pytest.raises(RuntimeError), unit_of_work():
        _db.session.add(_event("job-failed"))
        _db.session.flush()
        raise RuntimeError("the job broke")
    assert _count("job") == 1 and _count("job-failed") == 0


def _calls(path: Path, names: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in names
            and ast.unparse(node.func.value).endswith("session")
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_only_the_unit_of_work_commits_or_rolls_back():
    """Views, services and jobs never end a transaction themselves (shop.unit_of_work owns it).

    The error pages (shop/errors.py, shop/outage.py) are the unit of work's failure path: they
    roll the failed request back before answering. Any other place that must end a transaction
    on its own says why in a comment on the line."""
    offenders = []
    owners = {"unit_of_work.py", "errors.py", "outage.py"}
    for path in sorted(ROOT.joinpath("shop").rglob("*.py")):
        if path.parent.name == "shop" and path.name in owners:
            continue
        lines = path.read_text().splitlines()
        for found in _calls(path, {"commit", "rollback"}):
            number = int(found.split(":")[1])
            if "# own transaction:" not in lines[number - 1]:
                offenders.append(found)
    assert offenders == [], "\n".join(offenders)
