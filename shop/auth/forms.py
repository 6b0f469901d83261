"""Account forms: they validate and never write."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from shop.auth.passwords import MIN_LENGTH
from shop.inputs import single_line

PASSWORD_LENGTH = f"Use at least {MIN_LENGTH} characters (and at most 200)."


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField("Email", filters=[_strip], validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class RegisterForm(FlaskForm):
    name = StringField(
        "Full name", filters=[single_line], validators=[DataRequired(), Length(max=120)]
    )
    email = EmailField(
        "Email",
        filters=[_strip],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    phone = StringField("Phone (optional)", validators=[Optional(), Length(max=40)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=MIN_LENGTH, max=200, message=PASSWORD_LENGTH)],
        description=f"At least {MIN_LENGTH} characters. A short sentence works well.",
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )


class ConfirmRegistrationForm(FlaskForm):
    """The one button on a sign-up link's page (its CSRF token is all it carries)."""


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_LENGTH, max=200, message=PASSWORD_LENGTH)],
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("new_password", "Passwords differ.")],
    )
