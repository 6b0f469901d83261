"""Buyers sign up without the form telling anyone whether an address has an account.

Every valid sign-up gets the same answer ("check your email"). A new address gets a link that
makes the account when its owner follows it, so until the address is proven there is no
account and no login (signing up with someone else's address gives nobody anything). An
address that already has an account gets a note to its owner instead, and nothing changes.
Both ways hash the password, write one row or two and queue one email, so they take the same
time; neither logs the visitor in nor touches their session.
"""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from shop.auth.models import Registration, User
from shop.auth.passwords import hash_password
from shop.auth.roles import Role
from shop.auth.services import (
    InvalidVerifyLink,
    add_user,
    check_password_rules,
    find_user_by_email,
    normalise_email,
)
from shop.auth.signals import email_verified
from shop.db import utcnow
from shop.extensions import db
from shop.notifications.services import absolute_url, queue_email
from shop.web import hash_token

# As long as an email verification link (shop.auth.services.VERIFY_MAX_AGE).
REGISTRATION_MAX_AGE = timedelta(days=7)

LINK_GONE = (
    "This link has expired or has already been used. If you finished signing up, log in; "
    "otherwise please sign up again."
)
ADDRESS_TAKEN = "There is already an account with this email address. Please log in."


def start_registration(email: str, name: str, password: str, phone: str | None = None) -> None:
    """Email a link that makes the account, or, if the address has one, a note to its owner.

    Returns nothing, on purpose: a caller cannot answer differently for the two.
    """
    email = normalise_email(email)
    check_password_rules(password)  # rules about the password only, the same for every address
    password_hash = hash_password(password)  # on both ways: it is most of the time taken
    db.session.execute(
        sa.delete(Registration).where(Registration.created_at < utcnow() - REGISTRATION_MAX_AGE)
    )
    owner = find_user_by_email(email)
    if owner is not None:
        _tell_the_owner(owner)
        return
    token = secrets.token_urlsafe(32)
    db.session.add(
        Registration(
            token_hash=hash_token(token),
            email=email,
            name=name.strip(),
            phone=phone,
            password_hash=password_hash,
        )
    )
    store = current_app.config["STORE_NAME"]
    queue_email(
        f"registration:{hash_token(token)[:40]}",
        email,
        f"Confirm your email address for {store}",
        "registration_confirm",
        name=name.strip(),
        email=email,
        confirm_url=absolute_url("auth.confirm_registration", token=token),
        valid_days=REGISTRATION_MAX_AGE.days,
    )


def _tell_the_owner(owner: User) -> None:
    # One note per attempt (not one per day): skipping one would make that answer faster.
    # The sign-up form's rate limit per client address bounds how many a prankster can cause.
    store = current_app.config["STORE_NAME"]
    queue_email(
        f"registration-attempt:{owner.id}:{secrets.token_hex(16)}",
        owner.email,
        f"Someone tried to sign up at {store} with your email address",
        "registration_attempt",
        user=owner,
        login_url=absolute_url("auth.login"),
    )


def pending_registration(token: str, lock: bool = False) -> Registration:
    """The sign-up a link is for, while it is still good; InvalidVerifyLink otherwise."""
    query = sa.select(Registration).where(Registration.token_hash == hash_token(token[:200]))
    registration = db.session.scalar(query.with_for_update() if lock else query)
    if registration is None or registration.created_at < utcnow() - REGISTRATION_MAX_AGE:
        raise InvalidVerifyLink(LINK_GONE)
    return registration


def confirm_registration(token: str) -> User:
    """Make the buyer account of a sign-up whose link was followed, its address verified.

    Locks the sign-up row, so two clicks at once make one account; sends `email_verified`
    (guest orders, quotes and bookings under that address join the account) in the caller's
    transaction. Every sign-up waiting for the address is then forgotten.
    """
    registration = pending_registration(token, lock=True)
    email = registration.email
    if find_user_by_email(email) is not None:
        raise InvalidVerifyLink(ADDRESS_TAKEN)
    try:
        # Another sign-up's link for the same address, followed at the same moment: the unique
        # index on users.email refuses the second, and the savepoint keeps the transaction.
        with db.session.begin_nested():
            user = add_user(
                email,
                registration.name,
                registration.password_hash,
                Role.BUYER,
                phone=registration.phone,
            )
    except IntegrityError as exc:
        raise InvalidVerifyLink(ADDRESS_TAKEN) from exc
    user.email_verified_at = utcnow()
    db.session.execute(sa.delete(Registration).where(Registration.email == email))
    db.session.flush()
    email_verified.send(user)
    return user
