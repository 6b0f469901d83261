"""flask commands: demo data, staff accounts (and, later, the periodic jobs)."""

import click
from flask import Flask

from shop.auth.roles import STAFF_ROLES, Role
from shop.errors import DomainError
from shop.extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load the demo catalog and accounts; running it again adds nothing."""
        from shop.seed import seed_demo

        counts = seed_demo()
        db.session.commit()
        click.echo("Demo data is loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))

    @app.cli.command("create-staff")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--role", required=True, type=click.Choice(sorted(r.value for r in STAFF_ROLES)))
    @click.password_option(help="Prompted for (twice) when not given.")
    def create_staff_command(email: str, name: str, role: str, password: str):
        """Create a staff account (rep, support or manager)."""
        from shop.auth.services import create_user

        try:
            user = create_user(email, name, password, Role(role))
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from exc
        db.session.commit()
        click.echo(f"Created {role} {user.email}.")
