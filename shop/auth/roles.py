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


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.BUYER: frozenset(),
    Role.REP: frozenset({Permission.STAFF_DESK, Permission.VIEW_BUYER_THREAD}),
    Role.SUPPORT: frozenset({Permission.STAFF_DESK, Permission.VIEW_BUYER_THREAD}),
    Role.MANAGER: frozenset(Permission),
}


def can(role: Role | str | None, permission: Permission) -> bool:
    """True only when the role is known and the permission is granted to it."""
    try:
        return permission in GRANTS[Role(role)]
    except (ValueError, KeyError):
        return False
