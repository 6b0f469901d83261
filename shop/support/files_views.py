"""Serving ticket attachments: only to those allowed to see the ticket, never run by the browser.

GET /support/files/<id> (endpoint "support_files.download"), for the buyer who owns the ticket,
a guest with the ticket's signed link (?t=<token>), and staff who can view orders; 404 for
everyone else, the same as for a file that does not exist.
"""

from flask import Blueprint, request, send_file
from flask_login import current_user

from shop.errors import NotFound
from shop.support.uploads import IMAGE_TYPES, attachment_for, stored_path

bp = Blueprint("support_files", __name__)

# Nothing in a served file may run, load or submit anything, even if a browser renders it.
FILE_POLICY = "default-src 'none'; img-src 'self'; sandbox"


@bp.route("/<id:attachment_id>")
def download(attachment_id: int):
    user = current_user if current_user.is_authenticated else None
    attachment = attachment_for(attachment_id, user, token=request.args.get("t"))
    path = stored_path(attachment)
    if not path.is_file():
        raise NotFound("No such file.")
    inline = attachment.content_type in IMAGE_TYPES
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=not inline,
        download_name=attachment.original_name,
        conditional=False,
        etag=False,
        max_age=0,
    )
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cache-Control"] = "private, no-store"
    headers["Content-Security-Policy"] = FILE_POLICY
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Referrer-Policy"] = "no-referrer"  # the link may carry a guest's token
    return response
