import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from shop import create_app
from shop.config import TestConfig
from shop.db import include_object
from shop.extensions import db


@pytest.mark.both_dbs
def test_migrations_build_exactly_the_models_schema(app):
    """The schema comes from the migrations, and they match the models."""
    with db.engine.connect() as conn:
        dialect = conn.dialect.name
        context = MigrationContext.configure(
            conn,
            opts={"include_object": lambda *args: include_object(*args, dialect=dialect)},
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_migrations_downgrade_and_upgrade_again(tmp_path):
    app = create_app(TestConfig(f"sqlite:///{tmp_path / 'm.sqlite3'}"))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert "products" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        assert "products" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_sqlite_is_set_up_for_safe_concurrent_writers(app):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_pages_send_safety_headers_and_are_not_cached(client):
    response = client.get("/cart/")  # a visitor's own page (catalog pages: test_http_cache.py)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


def test_about_page_tells_our_story_and_is_linked_from_every_page(client):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/about"' in home
    about = client.get("/about")
    assert about.status_code == 200
    text = about.get_data(as_text=True)
    assert "<h1>" in text and "Portland" in text
    assert 'href="/about"' in client.get("/cart/").get_data(as_text=True)


def _indexed_prefixes(table) -> set[tuple[str, ...]]:
    """Every column prefix that an index, a unique constraint or the primary key can serve."""
    groups = [tuple(c.name for c in i.columns) for i in table.indexes]
    groups += [
        tuple(c.name for c in u.columns)
        for u in table.constraints
        if isinstance(u, (sa.UniqueConstraint, sa.PrimaryKeyConstraint))
    ]
    return {g[:n] for g in groups for n in range(1, len(g) + 1)}


def test_every_foreign_key_is_indexed():
    missing = []
    for table in db.metadata.sorted_tables:
        prefixes = _indexed_prefixes(table)
        for fk in table.foreign_key_constraints:
            cols = tuple(c.name for c in fk.columns)
            if cols not in prefixes:
                missing.append(f"{table.name}.{cols}")
    assert missing == []


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("products", ("category_id", "price_from_cents")),  # category page, price sort/filter
        ("products", ("category_id", "is_active", "created_at")),  # category page, newest first
        ("products", ("category_id", "name")),  # category page, by name
        ("products", ("created_at",)),  # search, newest first
        ("products", ("price_from_cents",)),  # search, by price
        ("product_specs", ("attribute_id", "value_num")),  # range filters
        ("product_specs", ("attribute_id", "value_text")),  # choice filters
        ("research_events", ("user_id", "created_at")),  # recently viewed, buyer
        ("research_events", ("visitor_key", "created_at")),  # recently viewed, visitor
        ("carts", ("visitor_key",)),
        ("login_sessions", ("token_hash",)),
    ],
)
def test_filters_and_sorts_have_indexes(table, columns):
    assert columns in _indexed_prefixes(db.metadata.tables[table])
