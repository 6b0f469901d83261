"""Moderating product questions and answers: the newest of each, hide or publish (audited).

Reps, support and managers may moderate (MODERATE_QUESTIONS); each move writes an audit entry
through shop.support.questions.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.auth.roles import Permission
from shop.auth.session import permission_required
from shop.support import questions
from shop.unit_of_work import refusals

# Nested in the staff blueprint (shop/staff/views.py): endpoints are staff.questions.<view>.
bp = Blueprint("questions", __name__)

ACTIONS = {"hide": "hidden", "publish": "published"}


@bp.route("/questions")
@permission_required(Permission.MODERATE_QUESTIONS)
def questions_page():
    return render_template(
        "staff/questions.html",
        me=current_user,
        recent_questions=questions.recent_questions(),
        recent_answers=questions.recent_answers(),
    )


def _moderate(setter, item_id: int, what: str):
    status = ACTIONS.get(request.form.get("action", ""))
    if status is None:
        flash("Choose to hide or to publish.", "error")
        return redirect(url_for("staff.questions.questions_page"), 303)
    with refusals() as refused:
        setter(item_id, status, current_user, reason=(request.form.get("reason") or "")[:500])
    if not refused:
        flash(f"The {what} is {'hidden' if status == 'hidden' else 'published'}.", "success")
    return redirect(url_for("staff.questions.questions_page"), 303)


@bp.route("/questions/<id:question_id>/moderate", methods=["POST"])
@permission_required(Permission.MODERATE_QUESTIONS)
def question_moderate(question_id: int):
    """Form: action=hide|publish, optional reason."""
    return _moderate(questions.set_question_status, question_id, "question")


@bp.route("/questions/answers/<id:answer_id>/moderate", methods=["POST"])
@permission_required(Permission.MODERATE_QUESTIONS)
def answer_moderate(answer_id: int):
    """Form: action=hide|publish, optional reason."""
    return _moderate(questions.set_answer_status, answer_id, "answer")
