"""Account rules: register, authenticate, change password, server-side login sessions, and
email verification."""

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from shop import links
from shop.auth.models import LoginSession, StaffProfile, User
from shop.auth.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from shop.auth.roles import STAFF_ROLES, Role
from shop.auth.signals import email_verified
from shop.db import utcnow
from shop.errors import DomainError
from shop.extensions import db
from shop.notifications.models import OutboxMessage
from shop.notifications.services import absolute_url, queue_email
from shop.web import hash_token

LOGIN_FAILED = "That email and password do not match an account."


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def check_password_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise DomainError(f"Use at least {MIN_LENGTH} characters.", field="password")
    if len(password) > 200:
        raise DomainError("Use at most 200 characters.", field="password")


def create_user(
    email: str, name: str, password: str, role: Role | str, phone: str | None = None
) -> User:
    """An account made by staff or a command (buyers sign up through shop.auth.registration)."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise DomainError("An account with this email already exists.", field="email")
    check_password_rules(password)
    return add_user(email, name, hash_password(password), role, phone=phone)


def add_user(
    email: str, name: str, password_hash: str, role: Role | str, phone: str | None = None
) -> User:
    """Add an account whose address the caller has checked is free (the database's unique
    index refuses a race) and whose password it has already hashed."""
    role = Role(role)
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        phone=phone,
        role=role.value,
        password_hash=password_hash,
    )
    db.session.add(user)
    if role in STAFF_ROLES:
        # A crew account is on the delivery team: its calendar takes delivery windows.
        db.session.add(StaffProfile(user=user, team="delivery" if role == Role.CREW else "sales"))
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User:
    """The account for these credentials, or one DomainError for every kind of failure."""
    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active_account:
        raise DomainError(LOGIN_FAILED)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Change the password and end every other login session of the account."""
    if not verify_password(user.password_hash, current):
        raise DomainError("Your current password is not correct.", field="current_password")
    check_password_rules(new)
    user.password_hash = hash_password(new)
    db.session.execute(
        sa.delete(LoginSession).where(
            LoginSession.user_id == user.id,
            LoginSession.token_hash != (user.current_session_hash or ""),
        )
    )


def start_session(user: User, ip_address: str | None, user_agent: str | None) -> str:
    """Open a login session and return its token (kept only in the signed cookie)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(
            token_hash=hash_token(token),
            user_id=user.id,
            ip_address=ip_address,
            user_agent=(user_agent or "")[:255],
        )
    )
    user._session_token = token
    user.current_session_hash = hash_token(token)
    return token


def end_session(token_hash: str | None) -> None:
    if token_hash:
        db.session.execute(sa.delete(LoginSession).where(LoginSession.token_hash == token_hash))


def load_session_user(token: str) -> User | None:
    """The user of a live login session, or None; one query."""
    token_hash = hash_token(token)
    login = db.session.scalar(_SESSION_BY_HASH, {"token_hash": token_hash})
    if login is None or not login.user.is_active_account:
        return None
    user = login.user
    user._session_token = token
    user.current_session_hash = token_hash
    return user


# Built once: every signed-in request runs it, and building it (with its cache key) cost a
# fifth of its 0.5 ms.
_SESSION_BY_HASH = sa.select(LoginSession).where(
    LoginSession.token_hash == sa.bindparam("token_hash")
)


# --- email verification ---------------------------------------------------------------------

VERIFY_SALT = "shop.auth.verify-email"  # the purpose in shop.links
VERIFY_MAX_AGE = timedelta(days=7)
# A resend is deduplicated per window: at most one resent link per address in each window.
RESEND_WINDOW = timedelta(minutes=5)


class InvalidVerifyLink(DomainError):
    """A verification link that is tampered with, expired, or for an address no longer used."""


def _address_tag(email: str) -> str:
    # The address as a short hash: a link (which ends up in logs and history) never shows it.
    return hash_token(email)[:16]


def make_verify_token(user: User) -> str:
    """A signed token naming the account and the address it proves; see VERIFY_MAX_AGE."""
    return links.sign(VERIFY_SALT, {"uid": user.id, "email": _address_tag(user.email)})


def resend_window(now: datetime) -> int:
    """The number of the resend window `now` falls in."""
    return int(now.timestamp() // RESEND_WINDOW.total_seconds())


def queue_verification_email(user: User, resend: bool = False) -> OutboxMessage | None:
    """Queue the "verify your email" message; a resend is None if one went out this window."""
    round_ = f"r{resend_window(utcnow())}" if resend else "welcome"
    return queue_email(
        f"verify-email:{user.id}:{_address_tag(user.email)}:{round_}",
        user.email,
        f"Confirm your email address for {current_app.config['STORE_NAME']}",
        "verify_email",
        user=user,
        verify_url=absolute_url("auth.verify_email", token=make_verify_token(user)),
        valid_days=VERIFY_MAX_AGE.days,
    )


def verify_email(token: str) -> tuple[User, bool]:
    """Mark the address in a valid token as verified; returns (user, newly_verified).

    Sends `email_verified` (sender: the user) on the first verification only, inside the
    caller's transaction.
    """
    try:
        data = links.unsign(VERIFY_SALT, token, max_age=int(VERIFY_MAX_AGE.total_seconds()))
    except links.ExpiredLink as exc:
        raise InvalidVerifyLink(
            "This verification link has expired. Log in and ask for a new one on your account page."
        ) from exc
    except links.BadLink as exc:
        raise InvalidVerifyLink(
            "This verification link is not valid. Please use the newest link we sent you."
        ) from exc
    uid = data.get("uid") if isinstance(data, dict) else None
    user = db.session.get(User, uid) if isinstance(uid, int) else None
    if user is None or _address_tag(user.email) != data.get("email"):
        raise InvalidVerifyLink(
            "This link was sent for an address that is no longer on the account. "
            "Log in and ask for a new one on your account page."
        )
    if user.email_verified_at is not None:
        return user, False
    user.email_verified_at = utcnow()
    db.session.flush()
    email_verified.send(user)
    return user, True


def set_timezone(user: User, name: str | None) -> None:
    """The zone `user` reads times in: a real IANA name, or a DomainError for the form."""
    from zoneinfo import available_timezones

    name = (name or "").strip()
    if name not in available_timezones():
        raise DomainError("Choose your time zone from the list.", field="timezone")
    user.timezone = name
