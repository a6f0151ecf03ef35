"""Forms of the sign-in, account, profile and callback pages (Flask-WTF, so CSRF-protected).

Labels and messages are English msgids; templates translate them with `_`.
"""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from app.i18n import N_
from app.models.staff import ROLES

LANGUAGE_CHOICES = [SelectChoice("nb", "Norsk bokmål"), SelectChoice("en", "English")]
_EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=N_("Enter a valid email address."))


class SignInForm(FlaskForm):
    email = EmailField(
        N_("Email"), validators=[DataRequired(N_("Enter your email address.")), Length(max=254)]
    )
    password = PasswordField(N_("Password"), validators=[DataRequired(N_("Enter your password."))])


class ProfileForm(FlaskForm):
    name = StringField(N_("Name"), validators=[DataRequired(N_("Enter a name.")), Length(max=120)])
    phone = StringField(N_("Your phone number"), validators=[Optional(), Length(max=30)])
    language = RadioField(N_("Language of these pages"), choices=LANGUAGE_CHOICES)


class NewAccountForm(FlaskForm):
    email = EmailField(
        N_("Email"),
        validators=[DataRequired(N_("Enter an email address.")), _EMAIL, Length(max=254)],
    )
    name = StringField(N_("Name"), validators=[DataRequired(N_("Enter a name.")), Length(max=120)])
    role = SelectField(N_("Role"), choices=[SelectChoice(r, r) for r in ROLES], default="staff")
    phone = StringField(N_("Phone number"), validators=[Optional(), Length(max=30)])
    language = SelectField(N_("Language"), choices=LANGUAGE_CHOICES)
    password = PasswordField(N_("Password"), validators=[DataRequired(N_("Enter a password."))])
    confirm = PasswordField(
        N_("Password again"), validators=[EqualTo("password", N_("The passwords differ."))]
    )


class PasswordForm(FlaskForm):
    password = PasswordField(N_("New password"), validators=[DataRequired(N_("Enter a password."))])
    confirm = PasswordField(
        N_("New password again"), validators=[EqualTo("password", N_("The passwords differ."))]
    )


class EmptyForm(FlaskForm):
    """A button that changes something: the form only carries the CSRF token."""


class OutcomeForm(FlaskForm):
    outcome = RadioField(
        N_("What happened?"),
        choices=[
            SelectChoice("reached", N_("Reached")),
            SelectChoice("no_answer", N_("No answer")),
            SelectChoice("try_later", N_("Try again later")),
        ],
        validators=[DataRequired(N_("Choose what happened."))],
    )
    note = TextAreaField(N_("Note"), validators=[Optional(), Length(max=2000)])
    send_text = BooleanField(N_("Send a text saying we tried to call"), default=True)
