"""Every lifecycle is a table: no code compares or sets the status of a quote, booking, delivery
window, ticket or return by a bare string. Checked on the source itself, so that
`ticket.status == "open"` written again fails here: it must name `TicketStatus.OPEN`, or better,
ask the table (`allowed_moves`, `transition`)."""

import ast
from pathlib import Path

import pytest

from shop.consultations.states import BookingStatus
from shop.delivery.states import DeliveryStatus
from shop.quotes.states import QuoteStatus
from shop.support.states import ReturnStatus, TicketStatus

SHOP = Path(__file__).resolve().parents[2] / "shop"

LIFECYCLES = (QuoteStatus, BookingStatus, DeliveryStatus, TicketStatus, ReturnStatus)
STATUSES = {status.value for enum in LIFECYCLES for status in enum}
# The rows of these lifecycles, as models and constructors name them.
MODELS = {"Quote", "Booking", "DeliveryAppointment", "Ticket", "ReturnRequest"}
# Other rows with a status of their own, still kept as plain strings (four-eyes money, which
# shares the word "pending_approval"): not these lifecycles.
OTHER_ROWS = {"CreditGrant", "grant", "Refund", "refund", "TransferReceipt", "receipt"}
# Packages of the other lifecycles (orders, payments), whose words overlap ("delivered",
# "completed", "expired"): their own tables and tests cover them.
OTHER_LIFECYCLES = {"orders", "payments"}


def _literals(node) -> list[str]:
    """The status words a node spells out: a string, or a tuple, list or set of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if node.value in STATUSES else []
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [w for element in node.elts for w in _literals(element)]
    return []


def _owner(node) -> str:
    """The name of what a `.status` belongs to (`ticket` in `ticket.status`)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_status(node) -> bool:
    """`x.status`, or a variable named `status`, of one of these lifecycles."""
    if isinstance(node, ast.Attribute) and node.attr == "status":
        return _owner(node.value) not in OTHER_ROWS
    return isinstance(node, ast.Name) and node.id == "status"


def _one_lifecycle(words: list[str]) -> bool:
    """Two or more words, all statuses of one lifecycle: a hand-kept list of statuses."""
    return len(words) >= 2 and any(
        set(words) <= {status.value for status in enum} for enum in LIFECYCLES
    )


def bare_statuses(source: str) -> list[tuple[int, str]]:
    """(line, what) for each status written as a bare string where a lifecycle decides."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_status(side) for side in sides):
                found += [(node.lineno, w) for side in sides for w in _literals(side)]
        elif isinstance(node, ast.Call):
            func = node.func
            # Model.status.in_(["booked", ...])
            if isinstance(func, ast.Attribute) and func.attr == "in_" and _is_status(func.value):
                found += [(node.lineno, w) for arg in node.args for w in _literals(arg)]
            # Quote(status="draft"), update(...).values(status="expired")
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in MODELS or name == "values":
                found += [
                    (node.lineno, w)
                    for kw in node.keywords
                    if kw.arg == "status"
                    for w in _literals(kw.value)
                ]
        elif isinstance(node, ast.Assign):
            # quote.status = "sent", or quote.order_id, quote.status = order.id, "ordered"
            for target in node.targets:
                if _is_status(target):
                    found += [(node.lineno, w) for w in _literals(node.value)]
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    for t, v in zip(target.elts, node.value.elts, strict=False):
                        if _is_status(t):
                            found += [(node.lineno, w) for w in _literals(v)]
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            # DONE = ("solved", "closed"): a list of statuses kept by hand beside the table.
            words = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            if _one_lifecycle(words) and len(words) == len(node.elts):
                found.append((node.lineno, ", ".join(words)))
        elif isinstance(node, ast.Dict):
            # {"draft": "Draft", ...}: words for statuses kept by hand beside the enum.
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            if _one_lifecycle(keys) and len(keys) == len(node.keys):
                found.append((node.lineno, ", ".join(keys)))
    return sorted(set(found))


def test_no_bare_status_strings_for_these_lifecycles():
    """The models keep the strings their CHECK constraints are made of (a model imports no
    lifecycle); the test below keeps those in step with the enums."""
    found = []
    for path in sorted(SHOP.rglob("*.py")):
        if path.name == "models.py" or path.relative_to(SHOP).parts[0] in OTHER_LIFECYCLES:
            continue
        for line, what in bare_statuses(path.read_text()):
            found.append(f"{path.relative_to(SHOP)}:{line}: {what}")
    assert found == []


@pytest.mark.parametrize(
    "code",
    [
        'if ticket.status == "open": pass',
        'if t.status != "closed": pass',
        'if ret.status in ("requested", "approved"): pass',
        'q = select(Booking).where(Booking.status == "booked")',
        'q = select(Quote).where(Quote.status.in_(["sent", "changes_requested"]))',
        'quote.status = "accepted"',
        'quote.order_id, quote.status = order.id, "ordered"',
        'quote = Quote(number="Q-1", status="draft")',
        'q = update(Quote).values(status="expired")',
        'if status == "solved": pass',
        'DONE = ("solved", "closed")',
        'LABELS = {"booked": "Booked", "cancelled": "Cancelled"}',
    ],
)
def test_the_check_finds_each_way_of_writing_a_bare_status(code):
    assert bare_statuses(code), code


@pytest.mark.parametrize(
    "code",
    [
        "if ticket.status == TicketStatus.OPEN: pass",
        'if grant.status == "pending_approval": pass',  # store credit: not a lifecycle here
        'if order.dispute_status == "open": pass',
        'record(booking, "booked", "note")',  # an event's kind, not a status
        'choices = ("card", "bank_transfer")',
    ],
)
def test_the_check_leaves_other_strings_alone(code):
    assert bare_statuses(code) == []
