"""The house rules that keep money safe, checked on the source itself."""

import ast
from pathlib import Path

SHOP = Path(__file__).resolve().parents[2] / "shop"

LAYERS = {
    "config": 1,
    "extensions": 1,
    "db": 1,
    "money": 1,
    "errors": 1,
    "inputs": 1,
    "links": 1,
    "auth": 2,
    "catalog": 2,
    "notifications": 2,
    "research": 2,
    "cart": 3,
    "payments": 3,
    "credit": 3,
    "orders": 4,
    "consultations": 4,
    "checkout": 5,
    "quotes": 5,
    "support": 5,
    "delivery": 5,
    "audit": 2,
    "staff": 6,
    "pages": 6,
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def modules():
    for path in SHOP.rglob("*.py"):
        yield path, path.relative_to(SHOP).parts


def test_only_the_gateway_imports_stripe():
    importers = sorted(
        "/".join(parts)
        for path, parts in modules()
        if any(name == "stripe" or name.startswith("stripe.") for name in imports(path))
    )
    assert importers == ["payments/gateway.py"]


def test_payments_knows_nothing_about_orders():
    for path, parts in modules():
        if parts[0] == "payments":
            higher = [n for n in imports(path) if n.startswith(("shop.orders", "shop.checkout"))]
            assert higher == [], path


def test_lower_layers_never_import_higher_ones():
    """Models and services follow the layers; views are the web edge and may use any of them."""
    wrong = []
    for path, parts in modules():
        own = LAYERS.get(parts[0].removesuffix(".py"))
        if own is None or parts[-1] == "views.py":
            continue
        for name in imports(path):
            if not name.startswith("shop."):
                continue
            other = LAYERS.get(name.split(".")[1])
            if other is not None and other > own:
                wrong.append(f"{'/'.join(parts)} imports {name}")
    assert wrong == []


def test_services_never_touch_the_request():
    for path, parts in modules():
        if parts[-1] == "services.py":
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module == "flask":
                    names = {a.name for a in node.names}
                    assert not names & {"request", "session", "flash", "g"}, path
