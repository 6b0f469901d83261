import pytest


@pytest.fixture
def boats(sailboats, make_product):
    return [
        make_product(
            sailboats,
            name=f"Boat {name}",
            price_cents=price,
            specs={"length": length, "hull": hull},
        )
        for name, price, length, hull in [
            ("Alpha", 100_000_00, "30", "Wood"),
            ("Bravo", 120_000_00, "35", "Fiberglass"),
            ("Charlie", 150_000_00, "38", "Wood"),
            ("Delta", 180_000_00, "40", "Wood"),
            ("Echo", 200_000_00, "44", "Fiberglass"),
        ]
    ]
