"""Activities in the residents' own languages: staff write a title and description per
language; residents read theirs, or the activity's own (Norwegian) with a short note.

Every place that shows an activity to a resident (SMS lists and details, the phone
line, reminders, notices of changes and cancellations) goes through `localised`.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from app import i18n, languages
from app.extensions import db
from app.i18n import N_
from app.models import Activity, ActivityTranslation

TITLE_MAX = 80  # as the activity's own title: both are sent by SMS
DESCRIPTION_MAX = 2000
# Said after a title or description shown in the activity's own language to someone
# who chose another: "(på norsk)", "(بالنرويجية)".
IN_NORWEGIAN = N_("(in Norwegian)")


class TranslationError(ValueError):
    """Not a translation we can keep: `msgid` says why (for the staff page)."""

    def __init__(self, msgid: str, **values):
        super().__init__(msgid)
        self.msgid, self.values = msgid, values


@dataclass(frozen=True)
class Localised:
    """An activity's title and description as one reader should see them."""

    title: str
    description: str | None
    title_note: str = ""  # "(in Norwegian)" in the reader's language, when it applies
    description_note: str = ""

    @property
    def noted_title(self) -> str:
        """The title with its note, if any: "Strikkekafé (på norsk)"."""
        return f"{self.title} {self.title_note}" if self.title_note else self.title

    @property
    def noted_description(self) -> str | None:
        if self.description and self.description_note:
            return f"{self.description} {self.description_note}"
        return self.description


def source_language() -> str:
    """The language activities are written in by staff: the default language."""
    return current_app.config["DEFAULT_LANGUAGE"]


def translatable_languages() -> list[str]:
    """The enabled languages a translation can be written for (all but the source)."""
    return [c for c in current_app.config["LANGUAGES"] if c != source_language()]


def translation(activity: Activity, language: str) -> ActivityTranslation | None:
    return next((t for t in activity.translations if t.language == language), None)


def set_translation(
    activity: Activity, language: str, title: str, description: str | None = None
) -> ActivityTranslation:
    """Keep the activity's title (and description) in `language`. Caller commits."""
    if language not in translatable_languages():
        # staff: the activity form says why.
        raise TranslationError(N_("{language} is not a language activities are translated to."),
                               language=language)  # fmt: skip
    title, description = (title or "").strip(), (description or "").strip() or None
    if not 0 < len(title) <= TITLE_MAX:
        # staff:
        raise TranslationError(N_("The title needs 1 to {most} characters."), most=TITLE_MAX)
    if description and len(description) > DESCRIPTION_MAX:
        # staff:
        raise TranslationError(N_("The description may have at most {most} characters."),
                               most=DESCRIPTION_MAX)  # fmt: skip
    found = translation(activity, language)
    if found is None:
        found = ActivityTranslation(language=language, title=title, description=description)
        activity.translations.append(found)
    else:
        found.title, found.description = title, description
    db.session.flush()
    return found


def remove_translation(activity: Activity, language: str) -> bool:
    """Forget the activity's translation into `language`. True if there was one."""
    found = translation(activity, language)
    if found is None:
        return False
    activity.translations.remove(found)
    db.session.flush()
    return True


def localised(activity: Activity, language: str) -> Localised:
    """The title and description for a reader of `language`: theirs if staff wrote it,
    else the activity's own, with "(in Norwegian)" where the reader may not read it."""
    if _reads_source(language):
        return Localised(activity.title, activity.description)
    note = i18n.gettext(language, IN_NORWEGIAN)
    found = translation(activity, language)
    if found is None:
        return Localised(activity.title, activity.description, note, note)
    if found.description or not activity.description:
        return Localised(found.title, found.description)
    return Localised(found.title, activity.description, "", note)


def preload(activities: Iterable[Activity]) -> None:
    """Load the translations of many activities in one query (lists, reminders), rather
    than one query per activity when each is shown."""
    pending = {a.id: a for a in activities if "translations" in sa.inspect(a).unloaded}
    if not pending:
        return
    rows = db.session.scalars(
        sa.select(ActivityTranslation).where(ActivityTranslation.activity_id.in_(pending))
    )
    found: dict[int, list[ActivityTranslation]] = defaultdict(list)
    for row in rows:
        found[row.activity_id].append(row)
    for activity_id, activity in pending.items():
        set_committed_value(activity, "translations", found[activity_id])


def needs_translations(language: str) -> bool:
    """Whether showing activities to a reader of `language` looks at translations."""
    return not _reads_source(language)


def _reads_source(language: str) -> bool:
    source = source_language()
    row = languages.get(language)
    return language == source or bool(row and source in row.reads)
