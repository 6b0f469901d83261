"""When a buyer verifies their email, the orders they placed as a guest join their account."""

from shop.auth.signals import email_verified
from shop.orders.services import attach_guest_orders


def on_email_verified(user) -> None:
    attach_guest_orders(user.id, user.email)


def connect() -> None:
    email_verified.connect(on_email_verified)
