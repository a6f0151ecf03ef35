"""Forms of the task and broadcast pages (Flask-WTF, so CSRF-protected).

Labels and messages are English msgids; templates translate them with `_`. The
services check again what matters (lengths of the SMS, times): their messages are
shown next to the field they are about.
"""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.i18n import N_
from app.services.task_planning import (
    CONTACT_MAX,
    DESCRIPTION_MAX,
    NEEDED_MAX,
    PLACE_MAX,
    TITLE_MAX,
)

WHEN_FORMAT = "%Y-%m-%dT%H:%M"
WEEK_MINUTES = 7 * 24 * 60


class TaskForm(FlaskForm):
    title = StringField(
        N_("Title"), validators=[DataRequired(N_("Write a short title.")), Length(max=TITLE_MAX)]
    )
    description = TextAreaField(N_("Description"), validators=[Length(max=DESCRIPTION_MAX)])
    starts_at = DateTimeLocalField(
        N_("Starts"), format=WHEN_FORMAT, validators=[InputRequired(N_("Give the date and time."))]
    )
    place = StringField(
        N_("Place"), validators=[DataRequired(N_("Say where.")), Length(max=PLACE_MAX)]
    )
    needed = IntegerField(
        N_("Volunteers needed"),
        default=1,
        validators=[InputRequired(N_("Give a number.")), NumberRange(1, NEEDED_MAX)],
    )
    coordinator = SelectField(
        N_("Coordinator"), coerce=int, validators=[InputRequired(N_("Choose a coordinator."))]
    )
    contact = StringField(
        N_("Contact for volunteers who say yes"), validators=[Optional(), Length(max=CONTACT_MAX)]
    )
    area = StringField(N_("Area"), validators=[Optional(), Length(max=60)])
    tags = StringField(N_("Required tags"), validators=[Optional(), Length(max=200)])
    language = StringField(
        N_("Language volunteers must speak"), validators=[Optional(), Length(max=8)]
    )
    expires_at = DateTimeLocalField(
        N_("No more answers after"), format=WHEN_FORMAT, validators=[Optional()]
    )
    wave_interval = IntegerField(
        N_("Minutes between waves"), validators=[Optional(), NumberRange(1, WEEK_MINUTES)]
    )
    notify_unanswered = BooleanField(
        N_("Tell unanswered volunteers when the task is filled"), default=True
    )


class CandidateFilterForm(FlaskForm):
    """The fair filter, read from the page's address (a GET form: nothing changes)."""

    class Meta:
        csrf = False

    tag = StringField(N_("Also require tags"), validators=[Optional(), Length(max=200)])
    area = StringField(N_("Area instead of the task's"), validators=[Optional(), Length(max=60)])
    any_area = BooleanField(N_("Any area"))
    language = StringField(
        N_("Language instead of the task's"), validators=[Optional(), Length(max=8)]
    )
    rest_days = IntegerField(
        N_("Not asked in the last … days"), validators=[Optional(), NumberRange(0, 60)]
    )


class WaveForm(FlaskForm):
    """Hand-picked volunteers (checkboxes) or the next N candidates, and when they go."""

    volunteers = SelectMultipleField(N_("Volunteers"), coerce=int, validate_choice=False)
    take = IntegerField(N_("Take the next"), validators=[Optional(), NumberRange(1, 200)])
    timing = RadioField(
        N_("When"),
        default="now",
        choices=[
            SelectChoice("now", N_("Send now")),
            SelectChoice("after", N_("After the previous wave, if still not filled")),
        ],
    )
    after_minutes = IntegerField(
        N_("Minutes after the previous wave"), validators=[Optional(), NumberRange(1, WEEK_MINUTES)]
    )


class BroadcastForm(FlaskForm):
    audience = RadioField(
        N_("Who gets it"),
        default="volunteers",
        choices=[
            SelectChoice("volunteers", N_("Volunteers")),
            SelectChoice("activity", N_("Residents signed up to an activity")),
        ],
    )
    tags = StringField(N_("Volunteers with the tags"), validators=[Optional(), Length(max=200)])
    area = StringField(N_("In the area"), validators=[Optional(), Length(max=60)])
    occurrence = SelectField(N_("Activity"), coerce=int, validate_choice=False, default=0)
    waiting = BooleanField(N_("Also those on the waiting list"))
    body = TextAreaField(
        N_("Message"), validators=[DataRequired(N_("Write the message.")), Length(max=1000)]
    )


class BroadcastTextForm(FlaskForm):
    """The main text of a draft; translations come as fields named `text_<language>`."""

    body = TextAreaField(
        N_("Message"), validators=[DataRequired(N_("Write the message.")), Length(max=1000)]
    )
