"""A category's filter counts tell the truth under the other chosen filters (faceted search)."""

import re
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from shop.catalog.models import Category, Product, SpecAttribute
from shop.seed import seed_demo

OPTION = re.compile(
    r'<label class="check[^"]*"><input type="checkbox" name="([^"]+)" value="([^"]+)"'
    r'( checked)?( disabled)?> [^<]* <span class="count">(\d+)</span>'
)


def shown(client, slug: str, args: list[tuple[str, str]]):
    """The result count and each choice's (name, value) -> (count, checked, disabled)."""
    text = client.get(f"/c/{slug}?{urlencode(args)}").get_data(as_text=True)
    total = int(re.search(r'data-testid="result-count">([\d,]+) product', text).group(1))
    options = {(m[0], m[1]): (int(m[4]), bool(m[2]), bool(m[3])) for m in OPTION.findall(text)}
    return total, options


def check_counts(client, slug: str, args: list[tuple[str, str]]) -> int:
    """Each option's count is what choosing it (alone in its own group) gives; returns the
    number of options checked."""
    total, options = shown(client, slug, args)
    assert options, (slug, args)
    by_name: dict[str, int] = {}
    for (name, value), (count, checked, disabled) in options.items():
        by_name[name] = by_name.get(name, 0) + count
        assert disabled == (count == 0 and not checked), (slug, args, name, value)
        chosen = [(k, v) for k, v in args if k != name] + [(name, value)]
        assert shown(client, slug, chosen)[0] == count, (slug, args, name, value, count)
    for name, added in by_name.items():
        if name not in dict(args):  # a group with nothing ticked sums to at most the results
            assert added <= total, (slug, args, name, added, total)
    return len(options)


@pytest.mark.both_dbs
def test_counts_under_combined_filters_match_the_results_on_demo_data(app, db, client):
    seed_demo()
    db.session.commit()
    checked = 0
    for category in db.session.scalars(sa.select(Category)):
        choices = db.session.scalars(
            sa.select(SpecAttribute.code).where(
                SpecAttribute.category_id == category.id,
                SpecAttribute.kind == "choice",
                SpecAttribute.filterable.is_(True),
            )
        ).all()
        if not choices:
            continue
        prices = sorted(
            db.session.scalars(
                sa.select(Product.price_from_cents).where(
                    Product.category_id == category.id, Product.is_active.is_(True)
                )
            )
        )
        below_median = str(prices[len(prices) // 2] // 100)
        _, first = shown(client, category.slug, [])
        value = next(v for (name, v) in first if name == choices[0])
        for args in (
            [],
            [("price_max", below_median)],
            [("price_max", below_median), (choices[0], value)],
        ):
            checked += check_counts(client, category.slug, args)
    assert checked > 20


def test_a_narrower_filter_narrows_the_counts(client, sailboats, make_product):
    for length, hull, price in (
        (24, "Fiberglass", 48_000_00),
        (38, "Fiberglass", 289_000_00),
        (42, "Wood", 365_000_00),
        (46, "Aluminium", 399_000_00),
    ):
        make_product(sailboats, price_cents=price, specs={"length": length, "hull": hull})
    total, options = shown(client, "sailboats", [])
    assert total == 4 and options[("hull", "Fiberglass")] == (2, False, False)
    total, options = shown(client, "sailboats", [("length_min", "30")])
    assert total == 3 and options[("hull", "Fiberglass")] == (1, False, False)
    # Ticking Wood leaves the other hulls' counts as they would be if chosen instead.
    total, options = shown(client, "sailboats", [("length_min", "30"), ("hull", "Wood")])
    assert total == 1
    assert options[("hull", "Wood")] == (1, True, False)
    assert options[("hull", "Aluminium")] == (1, False, False)
    # A value nothing would match under the other filters is shown with 0, not offered.
    total, options = shown(client, "sailboats", [("length_min", "45")])
    assert options[("hull", "Wood")] == (0, False, True)
