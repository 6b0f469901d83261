"""Questions and answers on product pages: who may ask, who may answer, moderation, inert text."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from shop.audit.models import AuditEntry
from shop.auth.roles import Role
from shop.db import utcnow
from shop.orders.services import Acceptance, Contact, NewLine, create_order
from shop.support.models import ProductAnswer, ProductQuestion
from tests.conftest import post_form

QUESTION = "Does the lid come with a soft-close hinge?"
ANSWER = "Yes, mine closes slowly and silently."


@pytest.fixture
def piano(make_category, make_product):
    pianos = make_category(slug="qa-pianos", name="Pianos")
    return make_product(pianos, name="Concert Grand", price_cents=42_500_00)


@pytest.fixture
def make_owner(db, make_user):
    """A buyer with an order of `product` in `status` (paid or later: they own it)."""

    def _make(product, status="delivered", name="Olga Owner"):
        buyer = make_user(Role.BUYER, name=name)
        variant = product.variants[0]
        order = create_order(
            checkout_id=None,
            user_id=buyer.id,
            contact=Contact(
                email=buyer.email,
                name=buyer.name,
                phone="555 0100",
                address_line1="1 Harbor Street",
                city="Boston",
                region="MA",
                postal_code="02110",
            ),
            lines=[
                NewLine(
                    variant_id=variant.id,
                    product_id=product.id,
                    product_name=product.name,
                    variant_name=variant.name,
                    sku=variant.sku,
                    unit_price_cents=variant.price_cents,
                    quantity=1,
                    delivery_method="white_glove",
                    delivery_cents=0,
                    delivery_promise="",
                )
            ],
            payment_method="card",
            tax_rate=Decimal("0"),
            tax_cents=0,
            acceptance=Acceptance("2030-01", utcnow(), "127.0.0.1", "pytest"),
        )
        order.status = status
        db.session.commit()
        return buyer

    return _make


def add_question(db, product, body=QUESTION, status="published", name="Quinn Q."):
    question = ProductQuestion(product_id=product.id, author_name=name, body=body, status=status)
    db.session.add(question)
    db.session.flush()
    return question


def add_answer(db, question, body=ANSWER, status="published", **flags):
    reply = ProductAnswer(
        question_id=question.id, author_name="Olga O.", body=body, status=status, **flags
    )
    db.session.add(reply)
    db.session.flush()
    return reply


def page(client, product) -> str:
    response = client.get(f"/p/{product.slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def questions_of(db, product) -> list[ProductQuestion]:
    return list(
        db.session.scalars(
            sa.select(ProductQuestion).where(ProductQuestion.product_id == product.id)
        )
    )


def answers_of(db, question) -> list[ProductAnswer]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(ProductAnswer)
            .where(ProductAnswer.question_id == question.id)
            .order_by(ProductAnswer.id)
        )
    )


# --- reading --------------------------------------------------------------------------------


def test_anyone_reads_published_questions_and_answers_only(db, client, piano):
    shown = add_question(db, piano)
    add_answer(db, shown, verified_owner=True)
    add_answer(db, shown, body="A hidden answer nobody sees.", status="hidden")
    add_question(db, piano, body="A hidden question nobody sees.", status="hidden")
    db.session.commit()

    html = page(client, piano)
    assert QUESTION in html and ANSWER in html
    assert "Verified owner" in html
    assert "hidden question" not in html and "hidden answer" not in html
    assert "Log in</a> to ask" in html
    assert 'data-testid="ask-form"' not in html
    assert "Answer this question" not in html


def test_a_product_without_questions_says_so(client, piano):
    assert "No questions yet." in page(client, piano)


# --- asking ---------------------------------------------------------------------------------


def test_a_signed_in_buyer_asks(db, client, login, make_user, piano):
    login(make_user(Role.BUYER, name="Ada Lovelace"))
    assert 'data-testid="ask-form"' in page(client, piano)
    response = post_form(client, f"/questions/{piano.id}/ask", {"body": QUESTION})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/p/{piano.slug}#questions")

    (question,) = questions_of(db, piano)
    assert question.body == QUESTION and question.status == "published"
    assert question.author_name == "Ada L."  # never the full name on a public page
    html = page(client, piano)
    assert QUESTION in html and "Ada L." in html and "Lovelace" not in html


@pytest.mark.parametrize("body", ["", "Too short", "x" * 2001])
def test_a_question_too_short_or_too_long_is_refused(db, client, login, make_user, piano, body):
    login(make_user(Role.BUYER))
    response = post_form(
        client, f"/questions/{piano.id}/ask", {"body": body}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Please " in response.get_data(as_text=True)
    assert questions_of(db, piano) == []


def test_a_visitor_is_sent_to_log_in(db, client, piano):
    response = post_form(client, f"/questions/{piano.id}/ask", {"body": QUESTION})
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    assert questions_of(db, piano) == []


def test_staff_answer_rather_than_ask(db, client, login, make_user, piano):
    login(make_user(Role.REP))
    response = post_form(
        client, f"/questions/{piano.id}/ask", {"body": QUESTION}, follow_redirects=True
    )
    assert "staff answer them" in response.get_data(as_text=True)
    assert questions_of(db, piano) == []


def test_asking_about_an_unknown_or_inactive_product_is_404(db, client, login, make_user, piano):
    login(make_user(Role.BUYER))
    assert post_form(client, "/questions/999999/ask", {"body": QUESTION}).status_code == 404
    piano.is_active = False
    db.session.commit()
    assert post_form(client, f"/questions/{piano.id}/ask", {"body": QUESTION}).status_code == 404


# --- answering ------------------------------------------------------------------------------


def test_a_verified_owner_answers_with_a_badge(db, client, login, make_owner, piano):
    question = add_question(db, piano)
    db.session.commit()
    login(make_owner(piano, name="Olga Owner"))
    assert "Answer this question" in page(client, piano)

    response = post_form(client, f"/questions/{question.id}/answer", {"body": ANSWER})
    assert response.status_code == 303
    (reply,) = answers_of(db, question)
    assert reply.verified_owner and not reply.by_staff
    assert reply.author_name == "Olga O."
    html = page(client, piano)
    assert ANSWER in html and 'data-testid="owner-badge"' in html


@pytest.mark.parametrize("status", ["paid", "completed"])
def test_paid_and_completed_orders_make_owners_too(db, client, login, make_owner, piano, status):
    question = add_question(db, piano)
    db.session.commit()
    login(make_owner(piano, status=status))
    assert (
        post_form(client, f"/questions/{question.id}/answer", {"body": ANSWER}).status_code == 303
    )
    assert answers_of(db, question)[0].verified_owner


@pytest.mark.parametrize("status", [None, "placed", "cancelled"])
def test_a_buyer_who_does_not_own_it_cannot_answer(
    db, client, login, make_user, make_owner, piano, status
):
    question = add_question(db, piano)
    db.session.commit()
    buyer = make_owner(piano, status=status) if status else make_user(Role.BUYER)
    login(buyer)
    assert "Answer this question" not in page(client, piano)
    response = post_form(
        client,
        f"/questions/{question.id}/answer",
        {"body": ANSWER},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Only buyers who have bought this product" in response.get_data(as_text=True)
    assert answers_of(db, question) == []


def test_owning_another_product_does_not_count(db, client, login, make_owner, make_product, piano):
    other = make_product(piano.category, name="Upright")
    question = add_question(db, piano)
    db.session.commit()
    login(make_owner(other))
    post_form(client, f"/questions/{question.id}/answer", {"body": ANSWER})
    assert answers_of(db, question) == []


@pytest.mark.parametrize("role", [Role.REP, Role.SUPPORT, Role.MANAGER])
def test_staff_answer_with_the_store_badge(db, client, login, make_user, piano, role):
    question = add_question(db, piano)
    db.session.commit()
    login(make_user(role, name="Rita Rep"))
    assert "Answer this question" in page(client, piano)
    assert (
        post_form(client, f"/questions/{question.id}/answer", {"body": ANSWER}).status_code == 303
    )
    (reply,) = answers_of(db, question)
    assert reply.by_staff and not reply.verified_owner
    assert 'data-testid="staff-badge"' in page(client, piano)


def test_a_visitor_cannot_answer(db, client, piano):
    question = add_question(db, piano)
    db.session.commit()
    response = post_form(client, f"/questions/{question.id}/answer", {"body": ANSWER})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert answers_of(db, question) == []


# --- moderation -----------------------------------------------------------------------------


def test_staff_hide_and_publish_with_an_audit_trail(db, client, login, make_user, piano):
    question = add_question(db, piano)
    reply = add_answer(db, question, body="Rude words here in this answer.")
    db.session.commit()
    login(make_user(Role.SUPPORT, name="Sam Support"))
    desk = client.get("/staff/questions")
    assert desk.status_code == 200
    html = desk.get_data(as_text=True)
    assert QUESTION in html and "Rude words" in html

    response = post_form(
        client, f"/staff/questions/answers/{reply.id}/moderate", {"action": "hide"}
    )
    assert response.status_code == 303
    assert "Rude words" not in page(client, piano)
    assert QUESTION in page(client, piano)

    post_form(client, f"/staff/questions/{question.id}/moderate", {"action": "hide"})
    assert QUESTION not in page(client, piano)
    post_form(client, f"/staff/questions/{question.id}/moderate", {"action": "publish"})
    assert QUESTION in page(client, piano)

    entries = db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.target_id, AuditEntry.before, AuditEntry.after)
        .where(AuditEntry.target_type.in_(["product_question", "product_answer"]))
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.target_id) for e in entries] == [
        ("product_answer.hide", str(reply.id)),
        ("product_question.hide", str(question.id)),
        ("product_question.publish", str(question.id)),
    ]
    assert entries[0].before == {"status": "published"}
    assert entries[0].after == {"status": "hidden"}


def test_a_hidden_question_cannot_be_answered(db, client, login, make_user, piano):
    question = add_question(db, piano, status="hidden")
    db.session.commit()
    login(make_user(Role.REP))
    response = post_form(client, f"/questions/{question.id}/answer", {"body": ANSWER})
    assert response.status_code == 404


def test_moderation_is_for_staff_only(db, client, login, make_user, piano):
    question = add_question(db, piano)
    db.session.commit()
    login(make_user(Role.BUYER))
    assert client.get("/staff/questions").status_code == 403
    response = post_form(client, f"/staff/questions/{question.id}/moderate", {"action": "hide"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(ProductQuestion, question.id).status == "published"


def test_moderating_an_unknown_item_is_404(client, login, make_user):
    login(make_user(Role.MANAGER))
    assert (
        post_form(client, "/staff/questions/999999/moderate", {"action": "hide"}).status_code == 404
    )
    response = post_form(client, "/staff/questions/answers/999999/moderate", {"action": "hide"})
    assert response.status_code == 404


# --- inert text -----------------------------------------------------------------------------

XSS = (
    '<script>alert("q")</script><img src=x onerror=alert(1)>'
    '<a href="javascript:alert(2)">click me</a>'
)


def test_questions_and_answers_are_shown_as_text(db, client, login, make_user, make_owner, piano):
    login(make_user(Role.BUYER))
    post_form(client, f"/questions/{piano.id}/ask", {"body": XSS})
    (question,) = questions_of(db, piano)
    post_form(client, "/account/logout", {})
    login(make_owner(piano))
    post_form(client, f"/questions/{question.id}/answer", {"body": "Owner says " + XSS})
    assert len(answers_of(db, question)) == 1

    html = page(client, piano)
    assert "&lt;script&gt;alert(" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown as text, never a tag
    assert html.count("&lt;script&gt;alert(") == 2  # the question and the answer
    for raw in ("<script>alert", "<img src=x", 'href="javascript:'):
        assert raw not in html
    post_form(client, "/account/logout", {})
    login(make_user(Role.MANAGER))
    desk = client.get("/staff/questions").get_data(as_text=True)
    for raw in ("<script>alert", "<img src=x", 'href="javascript:'):
        assert raw not in desk


# --- query count ----------------------------------------------------------------------------


@pytest.mark.parametrize("reader", [None, Role.BUYER, Role.REP])
def test_product_page_queries_do_not_grow_with_questions(
    db, client, login, make_user, piano, query_counter, reader
):
    if reader is not None:
        login(make_user(reader))
    first = add_question(db, piano)
    add_answer(db, first)
    db.session.commit()
    page(client, piano)  # a visitor's first view waits in their session,
    page(client, piano)  # and is written on the second: the trail settles

    def queries() -> int:
        with query_counter() as statements:
            page(client, piano)
        return len(statements)

    one = queries()
    for n in range(9):
        question = add_question(db, piano, body=f"Question number {n} about the lid?")
        for m in range(3):
            add_answer(db, question, body=f"Answer {m} to question {n}.", by_staff=m == 0)
    db.session.commit()
    page(client, piano)  # the new questions renew the catalog cache: rebuilt here, once
    ten = queries()
    assert one == ten
    assert page(client, piano).count('class="qa-thread"') == 10
