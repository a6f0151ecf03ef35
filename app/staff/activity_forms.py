"""Forms of the activity, import and volunteer pages (Flask-WTF, so CSRF-protected).

Labels and messages are English msgids; templates translate them with `_`.
"""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms import Form as SubForm
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app.i18n import N_


class ActivityForm(FlaskForm):
    title = StringField(
        N_("Title"), validators=[DataRequired(N_("Enter a title.")), Length(max=80)]
    )
    organisation = StringField(
        N_("Organisation"),
        validators=[DataRequired(N_("Enter the organisation.")), Length(max=120)],
    )
    description = TextAreaField(N_("Description"), validators=[Optional(), Length(max=2000)])
    place = StringField(
        N_("Place"), validators=[DataRequired(N_("Enter the place.")), Length(max=120)]
    )
    address = StringField(N_("Address"), validators=[Optional(), Length(max=200)])
    directions = StringField(N_("How to find it"), validators=[Optional(), Length(max=300)])
    date = DateField(
        N_("Date"), validators=[DataRequired(N_("Enter a date, for example 2026-12-01."))]
    )
    time = TimeField(
        N_("Starts at"), validators=[DataRequired(N_("Enter a time, for example 18:00."))]
    )
    duration_minutes = IntegerField(
        N_("Duration in minutes"), default=120,
        validators=[DataRequired(N_("Enter the duration in minutes.")),
                    NumberRange(1, 7 * 24 * 60, N_("Enter between 1 and 10080 minutes."))],
    )  # fmt: skip
    capacity = IntegerField(
        N_("Places"),
        validators=[Optional(), NumberRange(1, 100_000, N_("Enter 1 or more, or nothing."))],
    )
    cost = StringField(N_("Cost"), validators=[Optional(), Length(max=60)])
    contact = StringField(N_("Contact"), validators=[Optional(), Length(max=120)])
    repeat_weekly = BooleanField(N_("Every week"))
    repeat_until = DateField(N_("Repeat until"), validators=[Optional()])

    def validate_repeat_until(self, field):
        if field.data and self.date.data and field.data < self.date.data:
            raise ValidationError(N_("The last date must be on or after the first."))


class TranslationForm(SubForm):
    """An activity's title and description in one other language (both empty: none)."""

    title = StringField(N_("Title"), validators=[Optional(), Length(max=80)])
    description = TextAreaField(N_("Description"), validators=[Optional(), Length(max=2000)])

    def validate_description(self, field):
        # Here rather than on the title: an empty title stops its own validators.
        if (field.data or "").strip() and not (self.title.data or "").strip():
            raise ValidationError(N_("Write the title too, or leave both empty."))


def activity_form(languages: list[str]) -> type[ActivityForm]:
    """ActivityForm with a translation (title, description) for each of `languages`,
    as fields `translation_<code>`."""

    class ActivityWithTranslations(ActivityForm):
        pass

    for code in languages:
        setattr(ActivityWithTranslations, f"translation_{code}", FormField(TranslationForm))
    return ActivityWithTranslations


class ImportForm(FlaskForm):
    file = FileField(N_("CSV or calendar file (.csv, .ics)"))
    url = StringField(N_("Or the address of a calendar"), validators=[Optional(), Length(max=2000)])
    organisation = StringField(
        N_("Organisation for activities without one"), validators=[Optional(), Length(max=120)]
    )
    # After a preview: the uploaded file, carried to the "import now" button.
    content = HiddenField()
    filename = HiddenField()
    confirm = HiddenField()


class VolunteerForm(FlaskForm):
    phone = StringField(N_("Phone number"), validators=[DataRequired(N_("Enter a phone number.")),
                                                    Length(max=30)])  # fmt: skip
    name = StringField(N_("Name"), validators=[DataRequired(N_("Enter a name.")), Length(max=120)])
    language = SelectField(N_("Language"))
    tags = StringField(N_("Tags"), validators=[Optional(), Length(max=300)])
    area = StringField(N_("Area"), validators=[Optional(), Length(max=60)])
    note = TextAreaField(N_("Note"), validators=[Optional(), Length(max=2000)])


class VolunteerEditForm(VolunteerForm):
    phone = None  # the number is the person: a new number is a new volunteer
