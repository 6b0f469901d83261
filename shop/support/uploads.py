"""Photos and documents on ticket messages: checked by content and by name, stored outside the
web root under random names, and handed out only to those allowed to see the ticket.

All or nothing: every file is read and checked before any is written, and a refusal
(`UploadRefused`) says which file and why. Files land under UPLOAD_FOLDER/<2 hex>/<token>
with no extension, written to a temporary name first and moved into place.

If the caller's transaction rolls back after `store_files`, the files stay on disk with no row
pointing at them: harmless (nobody can reach them), and `discard_files` removes them.
"""

import hashlib
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from PIL import Image
from werkzeug.utils import secure_filename

from shop.auth.roles import Permission, can
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.support.links import ticket_for_token
from shop.support.models import Attachment, Ticket, TicketMessage

# Detected content type -> the file name endings accepted for it.
EXTENSIONS = {
    "image/jpeg": ("jpg", "jpeg"),
    "image/png": ("png",),
    "image/webp": ("webp",),
    "application/pdf": ("pdf",),
}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
IMAGE_TYPES = frozenset(PILLOW_FORMATS)
ALLOWED_TEXT = "JPEG, PNG or WebP photos and PDF documents"
ORIGINAL_NAME_MAX = 200


class UploadRefused(DomainError):
    """A file was not accepted; nothing was stored. The message names the file and the rule,
    and its field is the buyer forms' file field (`attachments`), where it is shown."""


def detect(data: bytes) -> str | None:
    """The content type the bytes really are (by their signature), or None when not allowed."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and data[12:15] == b"VP8":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _opens_as_image(data: bytes, content_type: str) -> bool:
    """Whether Pillow reads the bytes as a well-formed picture of that type (a signature alone
    is not one). `verify` checks the file's structure without decoding its pixels, so a small
    file that claims a huge picture costs no memory here."""
    try:
        with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[content_type]]) as picture:
            picture.verify()
    except Exception:  # Pillow raises OSError, SyntaxError, ValueError... for a broken file
        return False
    return True


def _extension(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def clean_name(name: str, content_type: str) -> str:
    """The name as shown back to people: safe characters only, at most 200 of them."""
    cleaned = secure_filename(name or "") or f"file.{EXTENSIONS[content_type][0]}"
    if len(cleaned) > ORIGINAL_NAME_MAX:
        stem, _, ext = cleaned.rpartition(".")
        cleaned = f"{stem[: ORIGINAL_NAME_MAX - len(ext) - 1]}.{ext}" if stem else cleaned
        cleaned = cleaned[:ORIGINAL_NAME_MAX]
    return cleaned


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    content_type: str
    original_name: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def _chosen(files) -> list:
    """The files actually chosen: a browser sends an empty part for an unused file input."""
    return [f for f in (files or []) if f is not None and (f.filename or "").strip()]


def check_files(files, *, max_bytes: int, max_files: int) -> list[CheckedFile]:
    """Read and check every file; raise UploadRefused at the first one that breaks a rule."""
    chosen = _chosen(files)
    if len(chosen) > max_files:
        raise UploadRefused(
            f"You can attach at most {max_files} files at a time; you chose {len(chosen)}.",
            field="attachments",
        )
    checked = []
    limit_text = _size_text(max_bytes)
    for storage in chosen:
        shown = secure_filename(storage.filename) or "A file"
        data = storage.stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise UploadRefused(
                f"{shown} is larger than {limit_text}; please send a smaller file.",
                field="attachments",
            )
        if not data:
            raise UploadRefused(f"{shown} is empty.", field="attachments")
        content_type = detect(data)
        if content_type is None:
            raise UploadRefused(
                f"{shown} is not a file we accept: please send {ALLOWED_TEXT}.", field="attachments"
            )
        if _extension(storage.filename) not in EXTENSIONS[content_type]:
            wanted = " or ".join(f".{e}" for e in EXTENSIONS[content_type])
            raise UploadRefused(
                f"{shown} does not match its name: its content is "
                f"{content_type.split('/')[1].upper()}, so its name should end in {wanted}.",
                field="attachments",
            )
        if content_type in IMAGE_TYPES and not _opens_as_image(data, content_type):
            raise UploadRefused(f"{shown} is damaged or not a real picture.", field="attachments")
        checked.append(
            CheckedFile(
                data=data,
                content_type=content_type,
                original_name=clean_name(storage.filename, content_type),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
    return checked


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    if size >= 1024:
        return f"{size / 1024:g} KB"
    return f"{size} bytes"


def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def stored_path(attachment: Attachment) -> Path:
    """Where an attachment's bytes are: its name is ours (hex), never the uploader's."""
    name = attachment.stored_name
    if not name or not all(c in "0123456789abcdef" for c in name):
        raise NotFound("No such file.")
    return upload_folder() / name[:2] / name


def _write(folder: Path, data: bytes) -> str:
    token = secrets.token_hex(20)
    shard = folder / token[:2]
    shard.mkdir(parents=True, exist_ok=True)
    temporary = shard / f".{token}.part"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, shard / token)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return token


def _remove(folder: Path, tokens: list[str]) -> None:
    for token in tokens:
        (folder / token[:2] / token).unlink(missing_ok=True)


def store_files(ticket_id: int, message_id: int | None, files, uploader) -> list[Attachment]:
    """Check every file, then store them all and add their Attachment rows (flushed).

    Raises UploadRefused before anything is written when one file breaks a rule. No files
    chosen: an empty list.
    """
    config = current_app.config
    checked = check_files(
        files, max_bytes=config["UPLOAD_MAX_BYTES"], max_files=config["UPLOAD_MAX_FILES"]
    )
    if not checked:
        return []
    if message_id is not None:
        message = db.session.get(TicketMessage, message_id)
        if message is None or message.ticket_id != ticket_id:
            raise NotFound("No such message on this ticket.")
    folder = upload_folder()
    written: list[str] = []
    try:
        for item in checked:
            written.append(_write(folder, item.data))
        attachments = [
            Attachment(
                ticket_id=ticket_id,
                message_id=message_id,
                stored_name=token,
                original_name=item.original_name,
                content_type=item.content_type,
                size_bytes=item.size,
                sha256=item.sha256,
                uploaded_by_id=getattr(uploader, "id", None),
            )
            for token, item in zip(written, checked, strict=True)
        ]
        db.session.add_all(attachments)
        db.session.flush()
    except BaseException:
        _remove(folder, written)
        raise
    return attachments


def discard_files(attachments: list[Attachment]) -> None:
    """Remove stored bytes after the caller's transaction was rolled back."""
    _remove(upload_folder(), [a.stored_name for a in attachments])


def _ticket_from_token(token: str | None) -> Ticket | None:
    """The ticket a guest's signed link opens, or None (bad, expired or no link)."""
    if not token or len(token) > 500:
        return None
    try:
        return ticket_for_token(token)
    except DomainError:
        return None


def attachment_for(attachment_id: int, user, token: str | None = None) -> Attachment:
    """The attachment if `user` (or the holder of the ticket's signed link) may see it.

    Staff who can view orders see every attachment; the buyer who owns the ticket, and a guest
    with the ticket's link, see those on messages meant for them (never on internal notes).
    Anyone else: NotFound, the same as for an attachment that does not exist.
    """
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("No such file.")
    signed_in = user is not None and getattr(user, "is_authenticated", True)
    if signed_in and can(getattr(user, "role", None), Permission.VIEW_ORDERS):
        return attachment
    ticket_ids = {attachment.ticket_id}
    if attachment.message_id is not None:
        message = db.session.get(TicketMessage, attachment.message_id)
        if message is None or message.internal:
            raise NotFound("No such file.")
        ticket_ids.add(message.ticket_id)  # after a merge the message may live elsewhere
    if signed_in:
        owned = db.session.scalar(
            sa.select(Ticket.id)
            .where(Ticket.id.in_(ticket_ids), Ticket.buyer_id == user.id)
            .limit(1)
        )
        if owned is not None:
            return attachment
    ticket = _ticket_from_token(token)
    if ticket is not None and ticket.id in ticket_ids:
        return attachment
    raise NotFound("No such file.")
