"""Asking and answering product questions from the product page (blueprint "questions").

The product page shows the questions through the `product_questions(product_id)` template
function registered here (templates/catalog/_questions.html), in a fixed number of queries.
"""

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from shop.catalog.models import Product
from shop.errors import NotFound
from shop.extensions import db, limiter
from shop.support import questions
from shop.support.models import ProductQuestion
from shop.unit_of_work import refusals

bp = Blueprint("questions", __name__)


class PostForm(FlaskForm):
    """The text of a question or an answer; lengths are checked by the service."""

    body = TextAreaField("Your text")


@bp.app_context_processor
def _product_questions():
    def product_questions(product_id: int) -> questions.ProductQA:
        return questions.product_qa(product_id, current_user)

    return {
        "product_questions": product_questions,
        "question_body_max": questions.BODY_MAX,
        "question_body_min": questions.BODY_MIN,
    }


def _product_url(product: Product) -> str:
    return url_for("catalog.product", slug=product.slug) + "#questions"


def _active_product(product_id: int | None) -> Product:
    product = db.session.get(Product, product_id) if product_id is not None else None
    if product is None or not product.is_active:
        raise NotFound("No such product.")
    return product


def _post(product: Product, action, success: str):
    back = _product_url(product)
    if not current_user.is_authenticated:
        flash("Please log in to take part in the questions.", "info")
        return redirect(url_for("auth.login", next=url_for("catalog.product", slug=product.slug)))
    form = PostForm()
    if not form.validate_on_submit():
        flash("Your form expired. Please try again.", "warning")
        return redirect(back, 303)
    with refusals(flash_it=False) as refused:
        action(form.body.data or "")
    if refused:
        # "warning", not "error": the product page shows "error" messages under its quantity.
        flash(refused.message, "warning")
        return redirect(back, 303)
    flash(success, "success")
    return redirect(back, 303)


@bp.route("/<id:product_id>/ask", methods=["POST"])
@limiter.limit("20 per hour", methods=["POST"])
def ask(product_id: int):
    product = _active_product(product_id)
    return _post(
        product,
        lambda body: questions.ask(product.id, current_user, body),
        "Thank you: your question is on the page.",
    )


@bp.route("/<id:question_id>/answer", methods=["POST"])
@limiter.limit("30 per hour", methods=["POST"])
def answer(question_id: int):
    question = db.session.get(ProductQuestion, question_id)
    if question is None or question.status != "published":
        raise NotFound("No such question.")
    product = _active_product(question.product_id)
    return _post(
        product,
        lambda body: questions.answer(question.id, current_user, body),
        "Thank you: your answer is on the page.",
    )
