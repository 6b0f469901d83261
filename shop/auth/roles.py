"""Roles and what each may do: one table, role x permission. Anything not granted here is denied.

Every staff view declares the permission it needs (`shop.auth.session.permission_required`) and
the staff blueprint refuses a view that declares none, so access is read from this table and
nowhere else. Where a page shows "one's own" or "everyone's", a permission decides that too
(MANAGE_STAFF: every rep's work; SCHEDULE_DELIVERY: every crew's deliveries).
"""

from enum import StrEnum


class Role(StrEnum):
    BUYER = "buyer"
    REP = "rep"
    SUPPORT = "support"
    MANAGER = "manager"
    CREW = "crew"  # the delivery crew: its own deliveries, nothing about money or other buyers


STAFF_ROLES = frozenset({Role.REP, Role.SUPPORT, Role.MANAGER, Role.CREW})


class Permission(StrEnum):
    STAFF_DESK = "staff_desk"  # the desk's home: buyers, the boards of orders and tickets
    VIEW_BUYER_THREAD = "view_buyer_thread"
    MANAGE_STAFF = "manage_staff"  # every rep's consultations, quotes, orders and schedules
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
    SCHEDULE_DELIVERY = "schedule_delivery"  # book, move, cancel windows; every crew's list
    VIEW_AUDIT = "view_audit"
    VIEW_DELIVERIES = "view_deliveries"  # the delivery list and sheets (a crew: its own only)
    MARK_DELIVERED = "mark_delivered"  # hand goods over (a crew: on its own deliveries only)
    VIEW_TICKETS = "view_tickets"  # the support queue, every ticket; act on one's own
    ACT_ON_ANY_TICKET = "act_on_any_ticket"
    HANDLE_RETURNS = "handle_returns"  # the return and warranty panels of a ticket
    APPROVE_LATE_RETURN = "approve_late_return"  # after the return window, with a reason
    MODERATE_QUESTIONS = "moderate_questions"
    VIEW_CONSULTATIONS = "view_consultations"  # one's own (every rep's with MANAGE_STAFF)
    TAKE_BOOKINGS = "take_bookings"  # a schedule of one's own (any rep's with MANAGE_STAFF)
    BUILD_QUOTES = "build_quotes"  # quotes, and the balance requests of their orders
    APPROVE_QUOTES = "approve_quotes"
    VIEW_REPORTS = "view_reports"  # the voice of the buyer


# Order status moves are granted by the lifecycle table (orders/states.py), by actor kind.
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.BUYER: frozenset(),
    Role.REP: frozenset(
        {
            Permission.STAFF_DESK,
            Permission.VIEW_BUYER_THREAD,
            Permission.VIEW_ORDERS,
            Permission.CAPTURE_PAYMENT,
            Permission.SCHEDULE_DELIVERY,
            Permission.VIEW_DELIVERIES,
            Permission.MARK_DELIVERED,
            Permission.VIEW_TICKETS,
            Permission.HANDLE_RETURNS,
            Permission.MODERATE_QUESTIONS,
            Permission.VIEW_CONSULTATIONS,
            Permission.TAKE_BOOKINGS,
            Permission.BUILD_QUOTES,
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
            Permission.VIEW_DELIVERIES,
            Permission.MARK_DELIVERED,
            Permission.VIEW_TICKETS,
            Permission.ACT_ON_ANY_TICKET,
            Permission.HANDLE_RETURNS,
            Permission.MODERATE_QUESTIONS,
            Permission.VIEW_CONSULTATIONS,
        }
    ),
    Role.MANAGER: frozenset(Permission),
    # No money, no other buyers: the crew's list and sheets, and handing over.
    Role.CREW: frozenset(
        {
            Permission.VIEW_DELIVERIES,
            Permission.MARK_DELIVERED,
        }
    ),
}


def can(role: Role | str | None, permission: Permission | str) -> bool:
    """True only when the role is known and the permission is granted to it."""
    try:
        return Permission(permission) in GRANTS[Role(role)]
    except (ValueError, KeyError):
        return False


def roles_with(permission: Permission) -> frozenset[Role]:
    """The roles granted `permission` (to list the people who may take a piece of work)."""
    return frozenset(role for role, granted in GRANTS.items() if permission in granted)
