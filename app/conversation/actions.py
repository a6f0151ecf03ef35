"""The actions flows name, bound to one person: where the engine meets the services."""

from collections.abc import Callable
from datetime import datetime

from flask import current_app

from app import i18n
from app.conversation import notices
from app.conversation.engine import Outcome
from app.conversation.flow import get_flow
from app.conversation.render import fits
from app.i18n import N_
from app.models import Occurrence, Person
from app.services import activities, activity_translations, callbacks, signups
from app.services.people import language_of, suggested_language
from app.timeutil import local_zone

PAGE = 3
# Room for the activity details in an INFO reply: two GSM-7 segments less the line after it.
DETAILS_BUDGET = 153 * 2 - 70
# Listing lines are cut so that three of them and the footer fit two segments (GSM-7).
# In UCS-2 (Cyrillic, Arabic, Ge'ez) a reply holds 134 characters, so a list shows as
# many as fit: often one, and without its place (INFO has it).
TITLE_LIMIT, PLACE_LIMIT = 24, 20
_ELLIPSIS = "..."  # "…" is not GSM-7 and would turn the whole message into UCS-2

ActionFn = Callable[["PersonActions", int | None, dict], Outcome]
ACTIONS: dict[str, tuple[ActionFn, frozenset[str]]] = {}


def action(name: str, *outcomes: str):
    """Register an action under the name flows use, with every outcome it can have."""

    def register(fn: ActionFn) -> ActionFn:
        ACTIONS[name] = (fn, frozenset(outcomes))
        return fn

    return register


class PersonActions:
    """What the engine may do, for one person at one moment on one channel."""

    def __init__(self, person: Person, now: datetime, channel: str = "sms"):
        self.person = person
        self.now = now
        self.channel = channel

    @property
    def language(self) -> str:
        return language_of(self.person)

    def run(self, name: str, argument: int | None, data: dict) -> Outcome:
        fn, _ = ACTIONS[name]
        return fn(self, argument, data)

    def adopt_language(self, language: str) -> None:
        if self.person.language is None and language in current_app.config["LANGUAGES"]:
            self.person.language = language

    def languages(self, suggest: bool) -> list[str]:
        """Enabled languages; with `suggest`, the one the person's number suggests first."""
        enabled = list(current_app.config["LANGUAGES"])
        guess = suggested_language(self.person) if suggest else None
        return [guess, *(c for c in enabled if c != guess)] if guess else enabled

    def describe(self, occurrence: Occurrence) -> dict:
        return notices.occurrence_values(occurrence, self.language)

    def line(self, occurrence: Occurrence, with_place: bool = True) -> str:
        """One activity on one short line, for lists."""
        if with_place:
            template = N_("{code} {title}, {day} {time}, {place}")
        else:
            template = N_("{code} {title}, {day} {time}")
        values = self.describe(occurrence)
        shown = activity_translations.localised(occurrence.activity, self.language)
        title = _shorten(shown.title, TITLE_LIMIT)
        values["title"] = f"{title} {shown.title_note}" if shown.title_note else title
        values["place"] = _shorten(values["place"], PLACE_LIMIT)
        return i18n.gettext(self.language, template).format(**values)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(_ELLIPSIS)].rstrip() + _ELLIPSIS


def _page(actions: PersonActions, offset: int, data: dict) -> Outcome:
    found = activities.upcoming(actions.now, offset, PAGE + 1)
    if not found:
        return Outcome("none" if offset == 0 else "end")
    if activity_translations.needs_translations(actions.language):
        activity_translations.preload(o.activity for o in found)  # one query for the page
    say = get_flow("sms").commands["activities"].say
    # Three lines; fewer where the reply would not fit two segments; at least one.
    for count, with_place in [*((n, True) for n in range(min(PAGE, len(found)), 0, -1)),
                              (1, False)]:  # fmt: skip
        items = "\n".join(actions.line(o, with_place) for o in found[:count])
        outcome = "listed" if len(found) > count else "last"
        if fits(get_flow("sms"), say[outcome], {"items": items}, actions.language):
            break
    data["offset"] = offset + count
    return Outcome(outcome, {"items": items})


@action("list_activities", "listed", "last", "none")
def list_activities(actions: PersonActions, argument, data) -> Outcome:
    return _page(actions, 0, data)


@action("more_activities", "listed", "last", "none", "end")
def more_activities(actions: PersonActions, argument, data) -> Outcome:
    return _page(actions, data.get("offset", 0), data)


def _occurrence(code: int | None) -> tuple[Occurrence | None, Outcome | None]:
    if code is None:
        return None, Outcome("no_code")
    occurrence = activities.by_code(code)
    if occurrence is None or occurrence.cancelled or occurrence.activity.cancelled:
        return None, Outcome("not_found", {"code": code})
    return occurrence, None


@action("activity_info", "found", "full", "no_code", "not_found")
def activity_info(actions: PersonActions, code, data) -> Outcome:
    occurrence, problem = _occurrence(code)
    if problem:
        return problem
    full = occurrence.capacity is not None and occurrence.booked >= occurrence.capacity
    return Outcome(
        "full" if full else "found",
        {"code": occurrence.code, "details": _details(actions, occurrence)},
    )


def _details(actions: PersonActions, occurrence: Occurrence) -> str:
    """Everything worth knowing, cut to fit: the optional parts go first when space is short."""
    activity = occurrence.activity
    t = lambda msgid: i18n.gettext(actions.language, msgid)  # noqa: E731
    values = actions.describe(occurrence)
    lines = [t(N_("{title}, {day} at {time}")).format(**values)]
    place = activity.place + (f", {activity.address}" if activity.address else "")
    lines.append(t(N_("Place: {place}")).format(place=place))
    lines.append(t(N_("Organiser: {name}")).format(name=activity.organisation.name))
    if activity.cost:
        lines.append(t(N_("Price: {cost}")).format(cost=activity.cost))
    if activity.contact:
        lines.append(t(N_("Contact: {contact}")).format(contact=activity.contact))
    description = activity_translations.localised(activity, actions.language).noted_description
    for extra in filter(None, [activity.directions, description]):
        room = DETAILS_BUDGET - len("\n".join(lines)) - 1
        if room > 20:
            lines.append(_shorten(extra, room))
    details = "\n".join(lines)
    # Budgets are in GSM-7 characters; in UCS-2 a reply holds less, so measure the whole
    # reply (the line after the details included) and cut from the end.
    full = occurrence.capacity is not None and occurrence.booked >= occurrence.capacity
    after = get_flow("sms").commands["info"].say["full" if full else "found"]
    while len(lines) > 1 and not fits(
        get_flow("sms"), after, {"details": details, "code": occurrence.code}, actions.language
    ):
        lines.pop()
        details = "\n".join(lines)
    return details


@action("sign_up", "joined", "joined_today", "waiting", "already", "already_waiting", "no_code",
        "not_found", "started")  # fmt: skip
def sign_up(actions: PersonActions, code, data) -> Outcome:
    occurrence, problem = _occurrence(code)
    if problem:
        return problem
    result = signups.join(actions.person, occurrence, actions.now)
    values = actions.describe(occurrence)
    if result.position:
        values["position"] = result.position
    return Outcome(joined_outcome(result.outcome, occurrence, actions.now), values)


def joined_outcome(outcome: str, occurrence: Occurrence, now: datetime) -> str:
    """"joined_today" for a place taken on the day itself: no reminder "the day before" comes."""
    zone = local_zone()
    today = occurrence.starts_at.astimezone(zone).date() == now.astimezone(zone).date()
    return "joined_today" if outcome == "joined" and today else outcome


@action("my_signups", "listed", "none")
def my_signups(actions: PersonActions, argument, data) -> Outcome:
    mine = signups.upcoming_for(actions.person, actions.now)
    if not mine:
        return Outcome("none")
    if activity_translations.needs_translations(actions.language):
        activity_translations.preload(s.occurrence.activity for s in mine[:PAGE])
    lines = []
    waiting = i18n.gettext(actions.language, N_("(waiting list, number {position})"))
    for signup in mine[:PAGE]:
        line = actions.line(signup.occurrence, with_place=False)
        if signup.status == signup.WAITING:
            line += " " + waiting.format(position=signups.waiting_position(signup))
        lines.append(line)
    more = i18n.gettext(actions.language, N_("(and {count} more)"))
    say = get_flow("sms").commands["my"].say["listed"]
    # As many as fit two segments with the rest counted (in UCS-2 perhaps only one).
    for count in range(len(lines), 0, -1):
        shown = lines[:count]
        if len(mine) > count:
            shown.append(more.format(count=len(mine) - count))
        if fits(get_flow("sms"), say, {"items": "\n".join(shown)}, actions.language):
            break
    return Outcome("listed", {"items": "\n".join(shown)})


@action("cancel_signup", "cancelled", "left_waiting", "not_signed_up", "no_code", "not_found")
def cancel_signup(actions: PersonActions, code, data) -> Outcome:
    occurrence, problem = _occurrence(code)
    if problem:
        return problem
    result = signups.cancel(actions.person, occurrence)
    if result.promoted:
        notices.send_signup_notice("promoted", result.promoted, dedup_key=None)
    values = actions.describe(occurrence)
    return Outcome(result.outcome, values)


@action("request_callback", "created", "already")
def request_callback(actions: PersonActions, argument, data) -> Outcome:
    _, created = callbacks.request_callback(actions.person, actions.language, "asked",
                                            actions.channel)
    return Outcome("created" if created else "already")


@action("report_stuck", "created", "already")
def report_stuck(actions: PersonActions, argument, data) -> Outcome:
    _, created = callbacks.request_callback(actions.person, actions.language, "stuck",
                                            actions.channel)
    return Outcome("created" if created else "already")


@action("set_language", "chosen", "not_offered")
def set_language(actions: PersonActions, number, data) -> Outcome:
    enabled = current_app.config["LANGUAGES"]
    if number is None or not 1 <= number <= len(enabled):
        return Outcome("not_offered")
    actions.person.language = enabled[number - 1]
    return Outcome("chosen", {"language": i18n.language_name(enabled[number - 1])})


# Registers the volunteer task actions (JA/NEI/AVBRYT, FRIVILLIG, PAUSE) and those of a
# person's own data (PERSONVERN, SLETT, SLETT JA) in ACTIONS.
from app.conversation import privacy_actions, task_actions  # noqa: E402, F401
