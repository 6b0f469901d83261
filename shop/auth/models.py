"""Accounts, their server-side login sessions, and staff profiles."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.auth.roles import STAFF_ROLES, Role
from shop.db import TimestampMixin, UTCDateTime, utcnow
from shop.extensions import db

ROLE_VALUES = tuple(r.value for r in Role)


class User(UserMixin, TimestampMixin, db.Model):
    """One record per person: buyers and staff alike, so a thread always has one owner."""

    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint(sa.text(f"role IN {ROLE_VALUES!r}"), name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(16), nullable=False, default=Role.BUYER.value)
    is_active_account: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="UTC")

    staff_profile: Mapped["StaffProfile | None"] = relationship(
        back_populates="user", uselist=False, lazy="raise"
    )

    # Set by the user loader: the hash of the login session this request runs under.
    current_session_hash = None

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.is_active_account

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def get_id(self) -> str:
        """Flask-Login keeps this in the cookie: the login session's token, never the user id."""
        token = getattr(self, "_session_token", None)
        if token is None:
            raise RuntimeError("get_id() is only valid after shop.auth.services.start_session")
        return token

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class LoginSession(db.Model):
    """A server-side login: created at login, deleted at logout, so a copied cookie dies with it.

    Only a SHA-256 of the token is stored: the database never holds a usable session id.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    ip_address: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    def __repr__(self) -> str:
        return f"<LoginSession {self.id} user={self.user_id}>"


class Registration(db.Model):
    """A sign-up waiting for its owner to follow the emailed link; the account is made then.

    Until the address is proven there is no account: signing up with someone else's address
    gives nobody a login, and the sign-up form answers the same whether or not the address
    has an account. Only a SHA-256 of the link's token is stored.
    """

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, nullable=False, index=True
    )

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.email}>"


staff_specialties = sa.Table(
    "staff_specialties",
    db.metadata,
    sa.Column(
        "staff_profile_id",
        sa.ForeignKey("staff_profiles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "category_id",
        sa.ForeignKey("categories.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class StaffProfile(TimestampMixin, db.Model):
    """What a buyer sees of a rep, and what routing needs: specialties, languages, time zone."""

    __tablename__ = "staff_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    title: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    bio: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    languages: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="English")
    photo_path: Mapped[str | None] = mapped_column(sa.String(255))
    # The largest discount (percent of list price) this rep may give without a manager.
    max_discount_pct: Mapped[Decimal] = mapped_column(
        sa.Numeric(5, 2), nullable=False, default=Decimal("5"), server_default="5"
    )

    # "sales" (reps, support, managers) or "delivery" (a crew whose calendar takes deliveries).
    team: Mapped[str] = mapped_column(
        sa.String(20), nullable=False, default="sales", server_default="sales"
    )

    user: Mapped[User] = relationship(back_populates="staff_profile")
    specialties: Mapped[list["Category"]] = relationship(  # noqa: F821
        secondary=staff_specialties, order_by="Category.position"
    )

    def __repr__(self) -> str:
        return f"<StaffProfile {self.id} user={self.user_id}>"
