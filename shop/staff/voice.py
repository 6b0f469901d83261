"""The voice of the buyer: compliments and suggestions per product and category (managers)."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from shop.auth.roles import Permission
from shop.auth.session import permission_required
from shop.support import voice

# Nested in the staff blueprint (shop/staff/views.py): endpoints are staff.voice.<view>.
bp = Blueprint("voice", __name__)


@bp.route("/voice")
@permission_required(Permission.VIEW_REPORTS)
def voice_page():
    raw = (request.args.get("category") or "").strip()
    category_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    kind = request.args.get("kind") or None
    data = voice.summary(category_id=category_id, kind=kind if kind in voice.VOICE_KINDS else None)
    return render_template(
        "staff/voice.html",
        voice=data,
        kinds=voice.VOICE_KINDS,
        me=current_user,
    )
