"""Roles and what each may do. Anything not granted here is denied."""

from enum import StrEnum


class Role(StrEnum):
    BUYER = "buyer"
    REP = "rep"
    SUPPORT = "support"
    MANAGER = "manager"


STAFF_ROLES = frozenset({Role.REP, Role.SUPPORT, Role.MANAGER})


class Permission(StrEnum):
    STAFF_DESK = "staff_desk"
    VIEW_BUYER_THREAD = "view_buyer_thread"
    MANAGE_STAFF = "manage_staff"
    VIEW_ORDERS = "view_orders"  # the order console and order pages, internal notes
    CAPTURE_PAYMENT = "capture_payment"  # capture or void a card authorization
    REQUEST_REFUND = "request_refund"
    APPROVE_REFUND = "approve_refund"  # the second pair of eyes
    RECORD_TRANSFER = "record_transfer"
    APPROVE_TRANSFER = "approve_transfer"  # the second pair of eyes
    # Store credit is money: support gives it on any return (a rep only on a ticket assigned to
    # them, checked in support/returns.py); above the refund limit a second person approves.
    GIVE_STORE_CREDIT = "give_store_credit"
    APPROVE_STORE_CREDIT = "approve_store_credit"  # the second pair of eyes
    SCHEDULE_DELIVERY = "schedule_delivery"
    VIEW_AUDIT = "view_audit"


# Order status moves are granted by the lifecycle table (orders/states.py), by role.
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.BUYER: frozenset(),
    Role.REP: frozenset(
        {
            Permission.STAFF_DESK,
            Permission.VIEW_BUYER_THREAD,
            Permission.VIEW_ORDERS,
            Permission.CAPTURE_PAYMENT,
            Permission.SCHEDULE_DELIVERY,
        }
    ),
    Role.SUPPORT: frozenset(
        {
            Permission.STAFF_DESK,
            Permission.VIEW_BUYER_THREAD,
            Permission.VIEW_ORDERS,
            Permission.REQUEST_REFUND,
            Permission.RECORD_TRANSFER,
            Permission.GIVE_STORE_CREDIT,
            Permission.SCHEDULE_DELIVERY,
        }
    ),
    Role.MANAGER: frozenset(Permission),
}


def can(role: Role | str | None, permission: Permission) -> bool:
    """True only when the role is known and the permission is granted to it."""
    try:
        return permission in GRANTS[Role(role)]
    except (ValueError, KeyError):
        return False
