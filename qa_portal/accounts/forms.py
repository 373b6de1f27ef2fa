"""Forms for sign-in, password reset, registration, the account page and the admin pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from qa_portal.accounts.models import Role
from qa_portal.accounts.validation import MIN_PASSWORD_LENGTH
from qa_portal.core.forms import MultiCheckboxField, choices, country_choices, strip_filter

ROLE_CHOICES = choices((r.value, r.label) for r in Role)
PASSWORD_HELP = f"At least {MIN_PASSWORD_LENGTH} characters."


class LoginForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired()], filters=[strip_filter])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me signed in on this device")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired()], filters=[strip_filter])


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)],
        description=PASSWORD_HELP,
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])


class ProfileForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)], filters=[strip_filter])


class RegistrationForm(FlaskForm):
    name = StringField(
        "Your name", validators=[DataRequired(), Length(max=200)], filters=[strip_filter]
    )
    email = EmailField(
        "Your work e-mail address",
        validators=[DataRequired(), Length(max=254)],
        filters=[strip_filter],
    )
    organisation_name = StringField(
        "Organisation",
        validators=[DataRequired(), Length(max=200)],
        filters=[strip_filter],
        description="The university, college, company or association that awards the "
        "microcredentials.",
    )
    domain = StringField(
        "Organisation's web domain",
        validators=[DataRequired(), Length(max=253)],
        filters=[strip_filter],
        description="For example uni-example.eu. If your organisation "
        "is already registered, you will join it.",
    )
    country = SelectField("Country", choices=country_choices(), validators=[DataRequired()])
    website = StringField(
        "Website", validators=[Optional(), Length(max=500)], filters=[strip_filter]
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)],
        description=PASSWORD_HELP,
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )


class UserForm(FlaskForm):
    email = EmailField(
        "E-mail address", validators=[DataRequired(), Length(max=254)], filters=[strip_filter]
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=200)], filters=[strip_filter])
    organisation_id = SelectField(
        "Organisation",
        coerce=int,
        validators=[Optional()],
        description="Required for provider members.",
    )
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES)


class UserEditForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)], filters=[strip_filter])
    organisation_id = SelectField("Organisation", coerce=int, validators=[Optional()])
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES)


class OrganisationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)], filters=[strip_filter])
    domain = StringField(
        "Web domain",
        validators=[Optional(), Length(max=253)],
        filters=[strip_filter],
        description="Used for conflict-of-interest checks: reviewers with an "
        "e-mail address in this domain cannot review its dossiers.",
    )
    country = SelectField("Country", choices=country_choices(), validators=[Optional()])
    website = StringField(
        "Website", validators=[Optional(), Length(max=500)], filters=[strip_filter]
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        "Reason", validators=[DataRequired(), Length(max=2000)], filters=[strip_filter]
    )


def organisation_choices(organisations):
    return choices([(0, "— none —")] + [(o.id, o.name) for o in organisations])
