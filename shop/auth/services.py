"""Account rules: register, authenticate, change password, server-side login sessions."""

import secrets

import sqlalchemy as sa

from shop.auth.models import LoginSession, StaffProfile, User
from shop.auth.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from shop.auth.roles import STAFF_ROLES, Role
from shop.errors import DomainError
from shop.extensions import db
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


def register_buyer(email: str, name: str, password: str, phone: str | None = None) -> User:
    """Create a buyer account; the email must be new."""
    return create_user(email, name, password, Role.BUYER, phone=phone)


def create_user(
    email: str, name: str, password: str, role: Role | str, phone: str | None = None
) -> User:
    role = Role(role)
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise DomainError("An account with this email already exists.", field="email")
    check_password_rules(password)
    user = User(
        email=email,
        name=name.strip(),
        phone=phone,
        role=role.value,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    if role in STAFF_ROLES:
        db.session.add(StaffProfile(user=user))
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
    login = db.session.scalar(sa.select(LoginSession).where(LoginSession.token_hash == token_hash))
    if login is None or not login.user.is_active_account:
        return None
    user = login.user
    user._session_token = token
    user.current_session_hash = token_hash
    return user
