"""flask commands: demo data, staff accounts, and the periodic jobs (safe to run twice at once).

Each command's work is a unit of work (shop.unit_of_work): committed when it ends, rolled back if
it fails. A job that takes its items one by one (orders, holds, consultation and delivery
reminders, the outbox) makes one per item itself, so an item that fails leaves the others done.
Emails go out after the commit that queued them.
"""

import click
from flask import Flask

from shop.auth.roles import STAFF_ROLES, Role
from shop.errors import DomainError
from shop.unit_of_work import unit_of_work


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load the demo catalog and accounts; running it again adds nothing."""
        from shop.seed import seed_demo

        with unit_of_work():
            counts = seed_demo()
        click.echo("Demo data is loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))

    @app.cli.command("create-staff")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--role", required=True, type=click.Choice(sorted(r.value for r in STAFF_ROLES)))
    @click.password_option(help="Prompted for (twice) when not given.")
    def create_staff_command(email: str, name: str, role: str, password: str):
        """Create a staff account (rep, support, manager, or crew for a delivery crew)."""
        from shop.auth.services import create_user

        try:
            with unit_of_work():
                user = create_user(email, name, password, Role(role))
        except DomainError as exc:  # rolled back: nothing was made
            raise click.ClickException(exc.message) from exc
        click.echo(f"Created {role} {user.email}.")

    @app.cli.command("send-outbox")
    @click.option("--batch", default=50, show_default=True, help="Messages claimed per round.")
    def send_outbox_command(batch: int):
        """Send every outbox email that is due; safe to run in several places at once."""
        from shop.notifications.services import deliver_all

        sent = deliver_all(batch=batch)
        click.echo(f"Sent {sent} email{'' if sent == 1 else 's'}.")

    @app.cli.command("release-reservations")
    def release_reservations_command():
        """Tidy lapsed stock holds (they already stopped counting); safe to run twice at once."""
        from shop.catalog.stock import release_expired

        with unit_of_work():
            released = release_expired()
        click.echo(f"Released {released} lapsed reservation(s).")

    @app.cli.command("expire-orders")
    def expire_orders_command():
        """Cancel card orders never paid and transfer orders whose funds never came."""
        from shop.catalog.stock import release_expired
        from shop.orders.jobs import expire_bank_transfers, expire_unpaid_card_orders

        cards = expire_unpaid_card_orders()  # each order its own unit of work
        transfers = expire_bank_transfers()
        with unit_of_work():
            released = release_expired()
        click.echo(
            f"Cancelled {cards} unpaid card order(s) and {transfers} unpaid transfer order(s); "
            f"released {released} lapsed reservation(s)."
        )

    @app.cli.command("alert-holds")
    def alert_holds_command():
        """Warn staff of card holds about to lapse (once each) and lapse those past their
        deadline; safe to run twice at once."""
        from shop.notifications.services import deliver_all
        from shop.orders.holds import alert_holds

        alerted, lapsed = alert_holds()
        sent = deliver_all()
        click.echo(
            f"Alerted staff about {alerted} card hold(s); lapsed {lapsed} hold(s) past their "
            f"deadline; sent {sent} email(s)."
        )

    @app.cli.command("send-reminders")
    def send_reminders_command():
        """Queue consultation reminders (24 h and 1 h before); safe to run twice at once."""
        from shop.consultations.jobs import send_reminders
        from shop.notifications.services import deliver_all

        reminded = send_reminders()
        sent = deliver_all()
        click.echo(f"Reminded {reminded} consultation(s); sent {sent} email(s).")

    @app.cli.command("send-delivery-reminders")
    def send_delivery_reminders_command():
        """Queue delivery reminders (24 h before the window); safe to run twice at once."""
        from shop.delivery.jobs import send_reminders
        from shop.notifications.services import deliver_all

        reminded = send_reminders()
        sent = deliver_all()
        click.echo(f"Reminded {reminded} delivery window(s); sent {sent} email(s).")

    @app.cli.command("expire-quotes")
    def expire_quotes_command():
        """Expire open quotes past their validity and release their units; safe twice at once."""
        from shop.notifications.services import deliver_all
        from shop.quotes.services import expire_quotes

        with unit_of_work():  # the whole run: the quote service loops without committing
            expired = expire_quotes()
        sent = deliver_all()
        click.echo(f"Expired {expired} quote(s); sent {sent} email(s).")

    @app.cli.command("quote-reminders")
    def quote_reminders_command():
        """Remind buyers 48 h and reps 24 h before a quote expires; safe to run twice at once."""
        from shop.notifications.services import deliver_all
        from shop.quotes.services import remind_quotes

        with unit_of_work():  # the whole run, as for expire-quotes
            reminded = remind_quotes()
        sent = deliver_all()
        click.echo(f"Sent {reminded} quote reminder(s); sent {sent} email(s).")
