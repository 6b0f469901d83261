"""The audit trail, for managers: read and filter, never edit."""

from flask import abort, render_template, request
from flask_login import current_user

from shop.audit import services as audit
from shop.auth.roles import Role
from shop.staff.views import bp
from shop.web import page_arg


@bp.route("/audit")
def audit_trail():
    if current_user.role != Role.MANAGER.value:
        abort(403)
    filters = {
        "actor_id": request.args.get("actor", type=int),
        "action": (request.args.get("action") or "")[:60] or None,
        "target_type": (request.args.get("target_type") or "")[:30] or None,
        "target_id": (request.args.get("target_id") or "")[:40] or None,
    }
    page = audit.search(page=page_arg(request.args.get("page")), **filters)
    return render_template("staff/audit.html", page=page, actions=audit.actions(), filters=filters)
