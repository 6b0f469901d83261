"""Questions and answers on product pages.

Anyone reads what is published; a signed-in buyer asks; staff answer (`by_staff`), and so do
buyers who own the product: a paid (or later) order of theirs has a line of it
(`verified_owner`). Staff hide and publish questions and answers, each move audited.
Names are shown short ("Ada B.") and texts are plain text, escaped wherever they are shown.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from shop.audit.services import record
from shop.auth.models import User
from shop.auth.roles import STAFF_ROLES, Permission, Role, can
from shop.catalog.cache import cached, watch
from shop.catalog.models import Product
from shop.db import lock_row
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.orders.models import Order, OrderLine
from shop.orders.states import OrderStatus
from shop.support.models import ProductAnswer, ProductQuestion

BODY_MIN = 10
BODY_MAX = 2000
SHOWN_ON_PAGE = 30  # the most recent published questions on a product page
STATUSES = ("published", "hidden")
# An order in one of these has been paid for: its buyer owns what it holds.
OWNING_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.DELIVERY_SCHEDULED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
)


@dataclass(frozen=True)
class Post:
    """A published question or answer as everyone reads it (a copy, kept in the catalog cache)."""

    id: int
    author_name: str
    body: str
    created_at: datetime
    by_staff: bool = False
    verified_owner: bool = False


@dataclass(frozen=True)
class Thread:
    question: Post
    answers: tuple[Post, ...] = ()


@dataclass
class ProductQA:
    """What a product page shows: published threads, and what the reader may do."""

    threads: list[Thread]
    can_ask: bool
    can_answer: bool
    signed_in: bool


def public_name(name: str) -> str:
    """First name and last initial, as shown to everyone: "Ada Lovelace" -> "Ada L."."""
    parts = (name or "").split()
    if not parts:
        return "A buyer"
    if len(parts) == 1:
        return parts[0][:120]
    return f"{parts[0][:100]} {parts[-1][0]}."


def _is_staff(user) -> bool:
    return getattr(user, "role", None) in STAFF_ROLES


def _is_buyer(user) -> bool:
    return getattr(user, "role", None) == Role.BUYER.value


def _body(text: str | None) -> str:
    body = (text or "").replace("\r\n", "\n").strip()
    if len(body) < BODY_MIN:
        raise DomainError(f"Please write at least {BODY_MIN} characters.", field="body")
    if len(body) > BODY_MAX:
        raise DomainError(f"Please keep it under {BODY_MAX} characters.", field="body")
    return body


def owns_product(user_id: int | None, product_id: int) -> bool:
    """True when one of the user's paid (or later) orders has a line of this product."""
    if user_id is None:
        return False
    found = db.session.scalar(
        sa.select(OrderLine.id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.user_id == user_id,
            Order.status.in_([str(s) for s in OWNING_STATUSES]),
            OrderLine.product_id == product_id,
        )
        .limit(1)
    )
    return found is not None


def ask(product_id: int, author: User, body: str) -> ProductQuestion:
    """A buyer's question on an active product, published at once."""
    if not _is_buyer(author):
        raise DomainError("Questions are asked by buyers; staff answer them.")
    product = db.session.get(Product, product_id)
    if product is None or not product.is_active:
        raise NotFound("No such product.")
    question = ProductQuestion(
        product_id=product.id,
        author_id=author.id,
        author_name=public_name(author.name),
        body=_body(body),
        status="published",
    )
    db.session.add(question)
    db.session.flush()
    return question


def answer(question_id: int, author: User, body: str) -> ProductAnswer:
    """An answer by staff, or by a buyer who owns the product (marked as a verified owner)."""
    question = db.session.get(ProductQuestion, question_id)
    if question is None or question.status != "published":
        raise NotFound("No such question.")
    by_staff = _is_staff(author)
    verified = not by_staff and _is_buyer(author) and owns_product(author.id, question.product_id)
    if not (by_staff or verified):
        raise DomainError(
            "Only buyers who have bought this product, and our staff, can answer its questions."
        )
    reply = ProductAnswer(
        question_id=question.id,
        author_id=author.id,
        author_name=public_name(author.name),
        body=_body(body),
        by_staff=by_staff,
        verified_owner=verified,
        status="published",
    )
    db.session.add(reply)
    db.session.flush()
    return reply


def product_qa(product_id: int, user=None, limit: int = SHOWN_ON_PAGE) -> ProductQA:
    """Published questions (newest first) with their published answers (oldest first).

    The threads are the same for every reader: they come from the catalog cache (questions and
    answers count as catalog changes, see the end of this module), built by one query. One
    more query for a signed-in buyer (do they own the product?).
    """
    threads = cached(("questions", product_id, limit), lambda: _threads(product_id, limit))
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    staff = signed_in and _is_staff(user)
    buyer = signed_in and _is_buyer(user)
    return ProductQA(
        threads=threads,
        can_ask=bool(buyer),
        can_answer=bool(staff or (buyer and owns_product(user.id, product_id))),
        signed_in=bool(signed_in),
    )


# --- moderation -------------------------------------------------------------------------------


def _moderate(model, item_id: int, status: str, actor: User, reason: str, kind: str):
    if status not in STATUSES:
        raise DomainError("Unknown status.")
    if not can(getattr(actor, "role", None), Permission.MODERATE_QUESTIONS):
        raise NotFound(f"No such {kind}.")
    item = lock_row(model, item_id)
    if item is None:
        raise NotFound(f"No such {kind}.")
    before = item.status
    if before == status:
        return item
    item.status = status
    record(
        actor,
        f"product_{kind}.{'hide' if status == 'hidden' else 'publish'}",
        f"product_{kind}",
        item.id,
        before={"status": before},
        after={"status": status},
        reason=(reason or "").strip()[:500],
    )
    db.session.flush()
    return item


def set_question_status(question_id: int, status: str, actor: User, reason: str = ""):
    return _moderate(ProductQuestion, question_id, status, actor, reason, "question")


def set_answer_status(answer_id: int, status: str, actor: User, reason: str = ""):
    return _moderate(ProductAnswer, answer_id, status, actor, reason, "answer")


@dataclass
class ModerationRow:
    item: ProductQuestion | ProductAnswer
    product: Product
    author_email: str | None
    question: ProductQuestion | None = None  # for answers: what they answer


def recent_questions(limit: int = 50) -> list[ModerationRow]:
    """The newest questions in any status, with their product and author: one query."""
    rows = db.session.execute(
        sa.select(ProductQuestion, Product, User.email)
        .join(Product, Product.id == ProductQuestion.product_id)
        .outerjoin(User, User.id == ProductQuestion.author_id)
        .order_by(ProductQuestion.created_at.desc(), ProductQuestion.id.desc())
        .limit(limit)
    ).all()
    return [ModerationRow(item=q, product=p, author_email=e) for q, p, e in rows]


def recent_answers(limit: int = 50) -> list[ModerationRow]:
    """The newest answers in any status, with their question, product and author: one query."""
    rows = db.session.execute(
        sa.select(ProductAnswer, ProductQuestion, Product, User.email)
        .join(ProductQuestion, ProductQuestion.id == ProductAnswer.question_id)
        .join(Product, Product.id == ProductQuestion.product_id)
        .outerjoin(User, User.id == ProductAnswer.author_id)
        .order_by(ProductAnswer.created_at.desc(), ProductAnswer.id.desc())
        .limit(limit)
    ).all()
    return [ModerationRow(item=a, product=p, author_email=e, question=q) for a, q, p, e in rows]


def _threads(product_id: int, limit: int) -> list[Thread]:
    recent = (
        sa.select(ProductQuestion.id)
        .where(ProductQuestion.product_id == product_id, ProductQuestion.status == "published")
        .order_by(ProductQuestion.created_at.desc(), ProductQuestion.id.desc())
        .limit(limit)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(ProductQuestion, ProductAnswer)
        .join(recent, recent.c.id == ProductQuestion.id)
        .outerjoin(
            ProductAnswer,
            sa.and_(
                ProductAnswer.question_id == ProductQuestion.id,
                ProductAnswer.status == "published",
            ),
        )
        .order_by(ProductQuestion.created_at.desc(), ProductQuestion.id.desc(), ProductAnswer.id)
    ).all()
    questions: dict[int, Post] = {}
    answers: dict[int, list[Post]] = {}
    for question, reply in rows:
        if question.id not in questions:
            questions[question.id] = Post(
                question.id, question.author_name, question.body, question.created_at
            )
            answers[question.id] = []
        if reply is not None:
            answers[question.id].append(
                Post(
                    reply.id,
                    reply.author_name,
                    reply.body,
                    reply.created_at,
                    reply.by_staff,
                    reply.verified_owner,
                )
            )
    return [Thread(q, tuple(answers[i])) for i, q in questions.items()]


# Published questions and answers are shown to every visitor of a product page: a change to
# them (asked, answered, hidden, published) renews the catalog cache like a product's own.
watch(ProductQuestion, ProductAnswer)
