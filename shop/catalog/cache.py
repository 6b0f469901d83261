"""What the catalog shows the same to every visitor, kept in each worker's memory.

One row, `catalog_generation.value`, rises in the same transaction as any change to the catalog
written through the ORM (a product, variant, spec, picture, document, delivery option, category
or spec attribute, and what `watch` adds: a product's questions and answers). A request reads
it once, by primary key; an entry built under another generation is never served, so every
worker of every process sees a change from the moment it is committed. Stock is left out on
purpose: it moves with every order, and pages read it fresh. Writes that bypass the ORM
(bench/make_catalog.py's bulk load) call `bump` themselves.
"""

import threading
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from cachetools import LRUCache
from flask import current_app, g, has_app_context
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from shop.catalog.models import (
    CatalogGeneration,
    Category,
    DeliveryOption,
    Product,
    ProductDocument,
    ProductImage,
    ProductSpec,
    SpecAttribute,
    Variant,
)
from shop.extensions import db

T = TypeVar("T")
MAX_ENTRIES = 5000  # a product page's entry is a few kB: at most some tens of MB per worker
PAGE_ENTRIES = 1000  # whole pages, 10 to 25 kB each: at most about 25 MB per worker
CART_ENTRIES = 1000  # priced carts, about 0.3 kB a line: at most some 10 MB per worker
# Stores with a size of their own; every other store holds MAX_ENTRIES.
_SIZES = {"page_cache": PAGE_ENTRIES, "cart_views": CART_ENTRIES}
# Models whose rows pages built from the cache show; `watch` adds others (product questions).
_watched: tuple[type, ...] = (
    Category,
    SpecAttribute,
    Product,
    Variant,
    ProductSpec,
    ProductImage,
    ProductDocument,
    DeliveryOption,
)
# Columns that change without changing what a catalog page shows from its cache.
VOLATILE = {"stock_on_hand", "updated_at"}
_MISSING = object()


class CatalogCache:
    """Entries of one generation; a newer generation empties it."""

    def __init__(self, maxsize: int = MAX_ENTRIES):
        self._lock = threading.Lock()
        self._entries: LRUCache = LRUCache(maxsize=maxsize)
        self._generation: int | None = None

    def get_or_build(self, generation: int, key, build: Callable[[], T], keep=None) -> T:
        with self._lock:
            if generation != self._generation:
                self._entries.clear()
                self._generation = generation
            value = self._entries.get(key, _MISSING)
        if value is not _MISSING:
            return value
        value = build()
        with self._lock:
            if generation == self._generation and (keep is None or keep()):
                self._entries[key] = value
        return value

    def get_or_build_many(
        self, generation: int, keys: list, build: Callable[[list], dict], keep=None
    ) -> dict:
        with self._lock:
            if generation != self._generation:
                self._entries.clear()
                self._generation = generation
            found = {k: self._entries.get(k, _MISSING) for k in keys}
        missing = [k for k, v in found.items() if v is _MISSING]
        built = build(missing) if missing else {}
        with self._lock:
            if generation == self._generation and (keep is None or keep()):
                for k, v in built.items():
                    self._entries[k] = v
        return {k: built.get(k) if v is _MISSING else v for k, v in found.items()}


def generation() -> int:
    """The catalog generation this request works with; one query, the first time it is asked."""
    if "catalog_generation" not in g:
        g.catalog_generation = db.session.scalar(_READ_GENERATION) or 0
    return g.catalog_generation


def note_generation(value: int | None) -> None:
    """The generation, read by the caller together with something else (a product page reads
    it with the stock): this request then uses it, unless it read one already."""
    if "catalog_generation" not in g:
        g.catalog_generation = value or 0


# Built once: this runs on nearly every page, and building a statement costs more than running it.
_READ_GENERATION = sa.select(CatalogGeneration.value).where(CatalogGeneration.id == 1)


def generation_column() -> sa.ScalarSelect:
    """The generation as a column, for a page that reads it in its own statement (the cart)
    and passes it to `note_generation`: a round trip fewer."""
    return _READ_GENERATION.scalar_subquery()


def enabled() -> bool:
    return current_app.config.get("CATALOG_CACHE", True)


def _store(name: str) -> CatalogCache:
    extensions = current_app.extensions
    if name not in extensions:
        extensions[name] = CatalogCache(_SIZES.get(name, MAX_ENTRIES))
    return extensions[name]


def cached(key, build: Callable[[], T], store: str = "catalog_cache") -> T:
    """The value for `key` under the current generation, built (and kept) when missing.

    `build` must return something read-only and detached from the session (plain data or
    rendered markup), since other requests will read it. `store="page_cache"` keeps whole
    pages apart, in a smaller store, so that they cannot push the fragments out.
    """
    if not enabled() or _own_change_pending():
        return build()
    return _store(store).get_or_build(generation(), key, build, keep=_nothing_pending)


def cached_many(keys: list, build: Callable[[list], dict]) -> dict:
    """Like `cached` for several keys at once: `build` gets the missing keys, in one call, and
    returns a dict for them (a key it leaves out is not kept and comes back as None)."""
    if not enabled() or _own_change_pending():
        built = build(list(keys))
        return {k: built.get(k) for k in keys}
    return _store("catalog_cache").get_or_build_many(
        generation(), keys, build, keep=_nothing_pending
    )


def _own_change_pending() -> bool:
    """This request's transaction holds a catalog change it has not committed. What it builds
    then shows that change, and must not be kept: other requests read the generation from
    committed data, and the change may yet be rolled back."""
    if not db.session.registry.has():
        return False  # no session yet in this request, so no change in it
    session = db.session()
    return bool(session.info.get("catalog_bumped")) or (
        bool(session.new or session.dirty or session.deleted) and _changes_catalog(session)
    )


def _nothing_pending() -> bool:
    return not _own_change_pending()


def bump(connection) -> None:
    """Raise the generation (creating its row if a test truncated it), in the caller's
    transaction. One statement, so two writers cannot lose an increment."""
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = CatalogGeneration.__table__
    stmt = insert(table).values(id=1, value=1)
    connection.execute(
        stmt.on_conflict_do_update(index_elements=[table.c.id], set_={"value": table.c.value + 1})
    )


def watch(*models: type) -> None:
    """Count a change to these models as a catalog change (for content a higher layer adds to
    cached pages, such as the questions on a product page)."""
    global _watched
    _watched = tuple(dict.fromkeys(_watched + models))


def _changes_catalog(session: Session) -> bool:
    for obj in session.new | session.deleted:
        if isinstance(obj, _watched):
            return True
    for obj in session.dirty:
        if not isinstance(obj, _watched):
            continue
        state = sa.inspect(obj)
        for attr in state.attrs:
            if attr.key not in VOLATILE and attr.history.has_changes():
                return True
    return False


@sa.event.listens_for(Session, "before_flush")
def _note_catalog_change(session: Session, flush_context, instances) -> None:
    if _changes_catalog(session):
        session.info["catalog_changed"] = True


@sa.event.listens_for(Session, "after_flush")
def _bump_after_catalog_change(session: Session, flush_context) -> None:
    if session.info.pop("catalog_changed", False):
        bump(session.connection())
        session.info["catalog_bumped"] = True


@sa.event.listens_for(Session, "after_commit")
def _forget_generation_after_own_change(session: Session) -> None:
    # The request (or job) that changed the catalog reads the new generation from now on, so
    # what it shows next is built from its own change.
    if session.info.pop("catalog_bumped", False) and has_app_context():
        g.pop("catalog_generation", None)


@sa.event.listens_for(Session, "after_rollback")
def _no_change_after_rollback(session: Session) -> None:
    session.info.pop("catalog_bumped", None)
