"""Ticket attachments: checked by content and name, all or nothing, served only to those allowed."""

import hashlib
import io
import struct
import zlib
from itertools import count
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage

from shop.auth.roles import Role
from shop.errors import NotFound
from shop.support.files_views import FILE_POLICY
from shop.support.models import Attachment, Ticket, TicketMessage
from shop.support.uploads import UploadRefused, detect, store_files

MAX_BYTES = 64 * 1024
MAX_FILES = 3


@pytest.fixture
def app_config(app_config, tmp_path):
    """This module's own upload folder and small limits."""
    app_config.UPLOAD_FOLDER = str(tmp_path / "s3-uploads")
    app_config.UPLOAD_MAX_BYTES = MAX_BYTES
    app_config.UPLOAD_MAX_FILES = MAX_FILES
    return app_config


@pytest.fixture
def folder(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])


# --- tiny real files ------------------------------------------------------------------------


def png_bytes() -> bytes:
    """A valid 1x1 white PNG, built chunk by chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# A 1x1 baseline JPEG (JFIF), as a camera or an editor writes one.
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c"
    "1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0"
    "000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bff"
    "c400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a10823"
    "42b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a5354555657"
    "58595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aa"
    "b2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8"
    "f9faffda0008010100003f00fbd3ffd9"
)
PDF = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)


def webp_bytes() -> bytes:
    """A 1x1 lossless WebP, as Pillow writes one."""
    out = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(out, "WEBP", lossless=True)
    return out.getvalue()


WEBP = webp_bytes()
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"PE\x00\x00"


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="image/jpeg")


def stored_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def attachment_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Attachment))


_numbers = count(1)


def make_ticket(db, buyer=None, *, email="guest@example.com", name="Gus Guest"):
    """A ticket with one buyer message, written straight into the database."""
    ticket = Ticket(
        number=f"T-{900000 + next(_numbers):06d}",
        buyer_id=buyer.id if buyer else None,
        email=buyer.email if buyer else email,
        name=buyer.name if buyer else name,
        kind="complaint",
        subject="Scratched lid",
        status="new",
        queue="support",
        priority="normal",
    )
    db.session.add(ticket)
    db.session.flush()
    message = TicketMessage(
        ticket_id=ticket.id,
        author_id=buyer.id if buyer else None,
        author_label=ticket.name,
        author_kind="buyer",
        body="The lid arrived scratched, see the photo.",
    )
    db.session.add(message)
    db.session.flush()
    return ticket, message


# --- checks ---------------------------------------------------------------------------------


def test_detect_by_signature():
    assert detect(JPEG) == "image/jpeg"
    assert detect(png_bytes()) == "image/png"
    assert detect(WEBP) == "image/webp"
    assert detect(PDF) == "application/pdf"
    for data in (HTML, SVG, EXE, b"", b"GIF89a...", b"\x89PNG\r\n\x1a\nnot-a-header"):
        assert detect(data) is None


def test_accepted_files_are_stored_outside_under_random_names(db, make_user, folder):
    buyer = make_user(Role.BUYER)
    ticket, message = make_ticket(db, buyer)
    files = [
        upload(JPEG, "../../etc/My Lid Photo.JPG"),
        upload(png_bytes(), "close-up.png"),
        upload(PDF, "delivery note.pdf"),
    ]
    made = store_files(ticket.id, message.id, files, buyer)
    db.session.commit()

    assert [a.content_type for a in made] == ["image/jpeg", "image/png", "application/pdf"]
    assert [a.original_name for a in made] == [
        "etc_My_Lid_Photo.JPG",
        "close-up.png",
        "delivery_note.pdf",
    ]
    on_disk = stored_files(folder)
    assert len(on_disk) == 3
    for attachment, data in zip(made, (JPEG, png_bytes(), PDF), strict=True):
        path = folder / attachment.stored_name[:2] / attachment.stored_name
        assert path.read_bytes() == data
        assert path.suffix == ""  # no extension: the name says nothing a server could act on
        assert attachment.size_bytes == len(data)
        assert attachment.sha256 == hashlib.sha256(data).hexdigest()
        assert attachment.ticket_id == ticket.id and attachment.message_id == message.id
        assert attachment.uploaded_by_id == buyer.id
    assert len({a.stored_name for a in made}) == 3
    assert not any(p.name.endswith(".part") for p in on_disk)


def test_webp_and_jpeg_extension_are_accepted(db, folder):
    ticket, message = make_ticket(db)
    made = store_files(
        ticket.id, message.id, [upload(WEBP, "a.webp"), upload(JPEG, "b.jpeg")], None
    )
    assert [a.content_type for a in made] == ["image/webp", "image/jpeg"]
    assert made[0].uploaded_by_id is None


def test_no_file_chosen_stores_nothing(db, folder):
    ticket, message = make_ticket(db)
    empty_part = FileStorage(stream=io.BytesIO(b""), filename="")
    assert store_files(ticket.id, message.id, [empty_part, None], None) == []
    assert stored_files(folder) == []


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (HTML, "photo.jpg", "not a file we accept"),
        (SVG, "photo.jpg", "not a file we accept"),
        (SVG, "drawing.svg", "not a file we accept"),
        (HTML, "page.html", "not a file we accept"),
        (EXE, "invoice.pdf", "not a file we accept"),
        (JPEG, "photo.png", "does not match its name"),
        (png_bytes(), "photo.jpg", "does not match its name"),
        (PDF, "scan.jpg", "does not match its name"),
        (JPEG, "photo.jpg.html", "does not match its name"),
        (JPEG, "photo", "does not match its name"),
        (JPEG + b"\0" * MAX_BYTES, "huge.jpg", "larger than 64 KB"),
        (JPEG[:40] + HTML, "photo.jpg", "damaged or not a real picture"),
        (png_bytes()[:33] + b"\0" * 40, "photo.png", "damaged or not a real picture"),
        (WEBP[:16] + b"\0" * 30, "photo.webp", "damaged or not a real picture"),
        (b"", "empty.jpg", "is empty"),
    ],
)
def test_refused_files_store_nothing(db, folder, data, name, says):
    ticket, message = make_ticket(db)
    good = upload(JPEG, "good.jpg")
    with pytest.raises(UploadRefused) as refused:
        store_files(ticket.id, message.id, [good, upload(data, name)], None)
    assert says in refused.value.message
    db.session.rollback()
    assert stored_files(folder) == []  # the good file first in the list was not written either
    assert attachment_count(db) == 0


def test_exactly_the_size_limit_is_accepted(db, folder):
    ticket, message = make_ticket(db)
    data = JPEG[:-2] + b"\0" * (MAX_BYTES - len(JPEG)) + b"\xff\xd9"
    assert len(data) == MAX_BYTES
    (made,) = store_files(ticket.id, message.id, [upload(data, "big.jpg")], None)
    assert made.size_bytes == MAX_BYTES


def test_too_many_files_are_refused(db, folder):
    ticket, message = make_ticket(db)
    files = [upload(JPEG, f"p{i}.jpg") for i in range(MAX_FILES + 1)]
    with pytest.raises(UploadRefused) as refused:
        store_files(ticket.id, message.id, files, None)
    assert f"at most {MAX_FILES} files" in refused.value.message
    db.session.rollback()
    assert stored_files(folder) == []
    assert attachment_count(db) == 0


def test_a_message_of_another_ticket_is_refused(db, folder):
    ticket, _ = make_ticket(db)
    _, other_message = make_ticket(db)
    with pytest.raises(NotFound):
        store_files(ticket.id, other_message.id, [upload(JPEG, "a.jpg")], None)
    assert stored_files(folder) == []


# --- serving --------------------------------------------------------------------------------


def get(client, url: str):
    """GET a file and close the response (send_file keeps the file open until then)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


@pytest.fixture
def shared(db, make_user):
    """A buyer's ticket with a photo and a PDF, and a staff note with its own photo."""
    buyer = make_user(Role.BUYER, name="Ada Buyer")
    ticket, message = make_ticket(db, buyer)
    photo, pdf = store_files(
        ticket.id, message.id, [upload(JPEG, "lid.jpg"), upload(PDF, "note.pdf")], buyer
    )
    rep = make_user(Role.REP, name="Rita Rep")
    note = TicketMessage(
        ticket_id=ticket.id,
        author_id=rep.id,
        author_label="Rita Rep",
        author_kind="staff",
        body="Internal: supplier photo.",
        internal=True,
    )
    db.session.add(note)
    db.session.flush()
    (internal_photo,) = store_files(ticket.id, note.id, [upload(JPEG, "supplier.jpg")], rep)
    db.session.commit()
    return {
        "buyer": buyer,
        "rep": rep,
        "ticket": ticket,
        "photo": photo.id,
        "pdf": pdf.id,
        "internal": internal_photo.id,
    }


def test_the_owner_gets_the_photo_inline_with_safe_headers(client, login, shared):
    login(shared["buyer"])
    response = get(client, f"/support/files/{shared['photo']}")
    assert response.status_code == 200
    assert response.data == JPEG
    assert response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "lid.jpg" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers.getlist("Cache-Control") == ["private, no-store"]
    # The file's own policy, not the pages' one beside it.
    assert response.headers.getlist("Content-Security-Policy") == [FILE_POLICY]


def test_a_pdf_is_always_downloaded(client, login, shared):
    login(shared["buyer"])
    response = get(client, f"/support/files/{shared['pdf']}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "note.pdf" in response.headers["Content-Disposition"]


def test_anyone_else_gets_404(client, login, make_user, shared):
    for attachment in ("photo", "pdf"):
        assert get(client, f"/support/files/{shared[attachment]}").status_code == 404
    login(make_user(Role.BUYER, name="Otto Other"))
    for attachment in ("photo", "pdf", "internal"):
        assert get(client, f"/support/files/{shared[attachment]}").status_code == 404
    assert get(client, "/support/files/999999").status_code == 404


def test_a_staff_note_attachment_is_never_served_to_the_buyer(client, login, shared):
    login(shared["buyer"])
    assert get(client, f"/support/files/{shared['internal']}").status_code == 404


@pytest.mark.parametrize("role", [Role.REP, Role.SUPPORT, Role.MANAGER])
def test_staff_see_every_attachment(client, login, make_user, shared, role):
    login(make_user(role, name="Staff Person"))
    for attachment in ("photo", "pdf", "internal"):
        assert get(client, f"/support/files/{shared[attachment]}").status_code == 200


def test_a_guest_with_the_ticket_link_gets_the_file(db, client, folder):
    from shop.support.services import ticket_link_token

    ticket, message = make_ticket(db)
    (photo,) = store_files(ticket.id, message.id, [upload(JPEG, "lid.jpg")], None)
    other, _ = make_ticket(db, email="someone@example.com")
    db.session.commit()
    token = ticket_link_token(ticket)
    assert get(client, f"/support/files/{photo.id}?t={token}").status_code == 200
    assert get(client, f"/support/files/{photo.id}").status_code == 404
    assert get(client, f"/support/files/{photo.id}?t={token}x").status_code == 404
    wrong = ticket_link_token(other)
    assert get(client, f"/support/files/{photo.id}?t={wrong}").status_code == 404
    ticket.link_version += 1  # links sent earlier stop working
    db.session.commit()
    assert get(client, f"/support/files/{photo.id}?t={token}").status_code == 404


def test_a_file_missing_on_disk_is_404_not_500(db, client, login, shared, folder):
    for path in stored_files(folder):
        path.unlink()
    login(shared["buyer"])
    assert get(client, f"/support/files/{shared['photo']}").status_code == 404
