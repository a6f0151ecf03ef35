"""Actions only the phone line needs: one activity or sign-up at a time, read aloud.

Registered into the same `ACTIONS` as the text-message actions. The caller's place in
a list is kept in the call's data (`cursor`), with the id of what was read last, so
that "press 1 to sign up" always means the activity the caller just heard, even if
the list changed meanwhile.
"""

from datetime import datetime

import phonenumbers
from babel.dates import format_date

from app import i18n
from app.conversation import notices
from app.conversation.actions import PersonActions, action, joined_outcome
from app.conversation.engine import Outcome, Prompt
from app.conversation.flow import get_flow
from app.conversation.render import render
from app.extensions import db
from app.i18n import N_
from app.models import Occurrence, SignUp
from app.services import activities, activity_translations, outbox, signups
from app.timeutil import local_zone

CURSOR, CURRENT = "cursor", "current"  # index in the list, and the occurrence id read
_MOBILE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def spoken(actions: PersonActions, occurrence: Occurrence) -> dict:
    """Values for reading an occurrence aloud: the weekday and month in full words, and
    "(in Norwegian)" after a title the caller's voice reads in a language not theirs."""
    values = actions.describe(occurrence)
    values["day"] = spoken_day(occurrence.starts_at, actions.language)
    values["title"] = activity_translations.localised(occurrence.activity,
                                                      actions.language).noted_title  # fmt: skip
    return values


def spoken_day(moment: datetime, language: str) -> str:
    """The local date for the ear: "tirsdag 24. november", never "tir. 24. nov."."""
    # The pattern (CLDR letters) is a translation, so each language orders it its own way.
    pattern = i18n.gettext(language, N_("EEEE d MMMM"))
    local_day = moment.astimezone(local_zone()).date()
    return format_date(local_day, pattern, locale=i18n.babel_locale(language))


def _read_activity(actions: PersonActions, index: int, data: dict) -> Outcome | None:
    found = activities.upcoming(actions.now, index, 1) if index >= 0 else []
    if not found:
        return None
    data[CURSOR], data[CURRENT] = index, found[0].id
    return Outcome("read", spoken(actions, found[0]))


@action("voice_first_activity", "read", "none")
def first_activity(actions: PersonActions, argument, data) -> Outcome:
    return _read_activity(actions, 0, data) or Outcome("none")


@action("voice_next_activity", "read", "end")
def next_activity(actions: PersonActions, argument, data) -> Outcome:
    return _read_activity(actions, data.get(CURSOR, -1) + 1, data) or Outcome("end")


@action("voice_previous_activity", "read", "first")
def previous_activity(actions: PersonActions, argument, data) -> Outcome:
    return _read_activity(actions, data.get(CURSOR, 0) - 1, data) or Outcome("first")


@action("voice_sign_up", "joined", "joined_texted", "waiting", "waiting_texted", "already",
        "already_waiting", "not_found", "started")  # fmt: skip
def sign_up(actions: PersonActions, argument, data) -> Outcome:
    occurrence = _current(data)
    if occurrence is None:
        return Outcome("not_found")
    result = signups.join(actions.person, occurrence, actions.now)
    values = spoken(actions, occurrence)
    if result.position:
        values["position"] = result.position
    outcome = result.outcome
    if outcome in ("joined", "waiting") and _text_confirmation(actions, occurrence, result):
        outcome += "_texted"
    return Outcome(outcome, values)


def _text_confirmation(actions: PersonActions, occurrence: Occurrence, result) -> bool:
    """The same text an SMS sign-up gets, to a mobile number: something to keep."""
    if not is_mobile(actions.person.phone):
        return False
    flow = get_flow("sms")
    values = notices.occurrence_values(occurrence, actions.language)
    if result.position:
        values["position"] = result.position
    outcome = joined_outcome(result.outcome, occurrence, actions.now)
    prompts = [Prompt(m, values) for m in flow.commands["join"].say[outcome]]
    text = "\n".join(render(flow, prompts, actions.language))
    return outbox.queue_sms(actions.person, text, kind="confirmation") is not None


def is_mobile(phone: str) -> bool:
    """Whether a text message can reach this number (Norwegian mobiles start with 4 or 9)."""
    try:
        return phonenumbers.number_type(phonenumbers.parse(phone)) in _MOBILE
    except phonenumbers.NumberParseException:
        return False


def _current(data: dict) -> Occurrence | None:
    occurrence = db.session.get(Occurrence, data[CURRENT]) if data.get(CURRENT) else None
    if occurrence is None or occurrence.cancelled or occurrence.activity.cancelled:
        return None
    return occurrence


def _read_signup(actions: PersonActions, index: int, data: dict) -> Outcome | None:
    mine = signups.upcoming_for(actions.person, actions.now)
    if not 0 <= index < len(mine):
        return None
    signup = mine[index]
    data[CURSOR], data[CURRENT] = index, signup.occurrence_id
    values = spoken(actions, signup.occurrence)
    if signup.status == SignUp.WAITING:
        values["position"] = signups.waiting_position(signup)
        return Outcome("read_waiting", values)
    return Outcome("read", values)


@action("voice_first_signup", "read", "read_waiting", "none")
def first_signup(actions: PersonActions, argument, data) -> Outcome:
    return _read_signup(actions, 0, data) or Outcome("none")


@action("voice_next_signup", "read", "read_waiting", "end")
def next_signup(actions: PersonActions, argument, data) -> Outcome:
    return _read_signup(actions, data.get(CURSOR, -1) + 1, data) or Outcome("end")


@action("voice_previous_signup", "read", "read_waiting", "first")
def previous_signup(actions: PersonActions, argument, data) -> Outcome:
    return _read_signup(actions, data.get(CURSOR, 0) - 1, data) or Outcome("first")


@action("voice_ask_cancel", "ask", "not_found")
def ask_cancel(actions: PersonActions, argument, data) -> Outcome:
    occurrence = _current(data)
    if occurrence is None:
        return Outcome("not_found")
    return Outcome("ask", spoken(actions, occurrence))


@action("voice_cancel", "cancelled", "left_waiting", "not_signed_up", "not_found")
def cancel(actions: PersonActions, argument, data) -> Outcome:
    occurrence = _current(data)
    if occurrence is None:
        return Outcome("not_found")
    result = signups.cancel(actions.person, occurrence)
    if result.promoted:
        notices.send_signup_notice("promoted", result.promoted, dedup_key=None)
    return Outcome(result.outcome, spoken(actions, occurrence))
