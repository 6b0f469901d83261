"""The shop application factory."""

from dotenv import load_dotenv
from flask import Flask

from shop.config import ROOT, check_config, load_config
from shop.unit_of_work import Shop


def create_app(config: object | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error pages, commands."""
    if config is None:
        load_dotenv(ROOT / ".env")
    app = Shop(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(load_config(config))
    check_config(app)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind N reverse proxies: the client address, scheme and host they forward.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    register_extensions(app)
    register_inputs(app)
    register_template_helpers(app)
    register_blueprints(app)
    from shop import unit_of_work

    unit_of_work.init_app(app)  # after the blueprints' app-wide hooks (shop.unit_of_work says why)
    register_signals(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from shop import models  # noqa: F401  (the whole schema, for Flask-Migrate)
    from shop.auth.session import init_login
    from shop.db import fresh_pools_after_fork
    from shop.extensions import csrf, db, limiter, mail, migrate
    from shop.notifications.services import init_notifications

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            fresh_pools_after_fork(engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    init_login(app)
    init_notifications(app)


def register_inputs(app: Flask) -> None:
    """Request bodies are checked before any view reads them (shop.inputs)."""
    from shop.inputs import register_inputs as register

    register(app)


def register_blueprints(app: Flask) -> None:
    from shop.auth.views import bp as auth_bp
    from shop.cart.views import bp as cart_bp
    from shop.catalog.views import bp as catalog_bp
    from shop.checkout.views import bp as checkout_bp
    from shop.consultations.views import bp as consultations_bp
    from shop.delivery.views import bp as delivery_bp
    from shop.orders.views import bp as orders_bp
    from shop.pages.views import bp as pages_bp
    from shop.payments.views import bp as payments_bp
    from shop.quotes.views import bp as quotes_bp
    from shop.research.views import bp as research_bp
    from shop.staff.views import bp as staff_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(cart_bp, url_prefix="/cart")
    app.register_blueprint(research_bp)
    app.register_blueprint(auth_bp, url_prefix="/account")
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(checkout_bp, url_prefix="/checkout")
    app.register_blueprint(orders_bp, url_prefix="/orders")
    app.register_blueprint(payments_bp)
    app.register_blueprint(consultations_bp, url_prefix="/consultations")
    app.register_blueprint(quotes_bp, url_prefix="/quotes")
    app.register_blueprint(delivery_bp, url_prefix="/delivery")
    app.register_blueprint(_bp("shop.support.files_views"), url_prefix="/support/files")
    app.register_blueprint(_bp("shop.support.views"), url_prefix="/support")
    app.register_blueprint(_bp("shop.support.questions_views"), url_prefix="/questions")
    app.register_blueprint(_bp("shop.support.after_sale_views"), url_prefix="/support/after-sale")


def _bp(module: str):
    """The blueprint `bp` of a views module, for the one-line registrations above."""
    from importlib import import_module

    return import_module(module).bp


def register_signals(app: Flask) -> None:
    """Connect the domains that listen to others (payments -> orders -> checkout), and the emails
    that listen to their own domain's services (which never import them)."""
    from shop.checkout import handlers as checkout_handlers
    from shop.consultations import account_events as consultation_accounts
    from shop.consultations import emails as consultation_emails
    from shop.delivery import emails as delivery_emails
    from shop.orders import account_events, payment_events
    from shop.quotes import account_events as quote_accounts
    from shop.support import emails as support_emails
    from shop.support import warranty

    payment_events.connect()
    checkout_handlers.connect()
    account_events.connect()
    consultation_accounts.connect()
    quote_accounts.connect()
    warranty.connect()
    consultation_emails.connect()
    delivery_emails.connect()
    support_emails.connect()


def register_errorhandlers(app: Flask) -> None:
    from shop.errors import register_errorhandlers as register
    from shop.outage import register_outage

    # The database unavailable for a moment: 503, not 500. Registered here, not by shop.errors,
    # because the outage page is drawn by shop.errors (it would import itself back).
    register_outage(app)
    register(app)


def register_template_helpers(app: Flask) -> None:
    from shop.webapp import register_web

    register_web(app)


def register_commands(app: Flask) -> None:
    from shop.cli import register_cli

    register_cli(app)
