"""crew role: the delivery crew gets its own role ("crew"), allowed by users.role's check

Revision ID: 0013_crew_role
Revises: 0012_quote_line_kinds
Create Date: 2026-12-07 18:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_crew_role'
down_revision = '0012_quote_line_kinds'
branch_labels = None
depends_on = None

NAME = 'ck_users_role_known'
OLD = "role IN ('buyer', 'rep', 'support', 'manager')"
NEW = "role IN ('buyer', 'rep', 'support', 'manager', 'crew')"


def _swap_check(before: str, after: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        op.drop_constraint(op.f(NAME), 'users', type_='check')
        op.create_check_constraint(op.f(NAME), 'users', after)
        return
    # Not batch mode: rebuilding `users` drops the old table, and with foreign keys on, SQLite
    # runs the ON DELETE actions of every table that refers to it (staff profiles, schedules,
    # login sessions... were wiped when tried). A check that only widens (or narrows, once no
    # row breaks it) changes nothing on disk, so SQLite's documented way for a constraint
    # change is used: edit the table's stored SQL and bump the schema version.
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
    bind.exec_driver_sql('PRAGMA writable_schema=ON')
    try:
        changed = bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
            "WHERE type = 'table' AND name = 'users' AND instr(sql, ?) > 0",
            (f'CHECK ({before})', f'CHECK ({after})', f'CONSTRAINT {NAME} CHECK ({before})'),
        ).rowcount
        if changed != 1:
            raise RuntimeError(f'users.{NAME} is not "{before}": change it by hand')
        bind.exec_driver_sql(f'PRAGMA schema_version={int(version) + 1}')
    finally:
        bind.exec_driver_sql('PRAGMA writable_schema=OFF')


def upgrade():
    _swap_check(OLD, NEW)


def downgrade():
    # The old check has no crew: crew accounts go back to what they were before, support.
    op.execute("UPDATE users SET role = 'support' WHERE role = 'crew'")
    _swap_check(NEW, OLD)
