"""Extension objects, created once here and bound to the app in create_app."""

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so that migrations can drop and alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# A session lives for one request. Keeping loaded values after the commit lets a view commit and
# then render what it loaded without a surprise reload (relationships are lazy="raise").
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
mail = Mail()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Every limit the store sets names its methods, all of them POST (log in, sign up, ask,
# request a quote). Reads are let through by Flask-Limiter's own request filter, so a page
# view never reaches the limit storage (tests/auth/test_auth.py checks the declarations).
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def reads_are_not_limited() -> bool:
    """A page read is never counted nor refused."""
    return request.method in SAFE_METHODS
