"""`flask --app app flows check`: every flow complete and within budget in every language.

What it holds every enabled language to:
- every prompt, keyword list and resident-facing text in code is translated (code texts
  are extracted with Babel from the resident-facing packages when the check runs), with
  the same placeholders as the msgid;
- every SMS reply fits two segments, counted as sent (GSM-7, or UCS-2 at 67 characters a
  segment; diacritics dropped and direction marks added as `render` does), with sample
  values: shorter ones for UCS-2 languages, and lists and details shrunk as the actions
  shrink them. The language menu, eleven names in their own scripts, may take five, and
  in UCS-2 a notice with an activity's or a task's details three;
- a voice menu offers at most four choices besides `0` (a person) and `*` (repeat), the
  language menu included, step by step;
- every state can be reached and has a way out;
- no word means two things, within a language or across languages (everyone's input is
  matched against every enabled language), and no word of ours alone is one Twilio acts on.

A translation flagged `#, unreviewed` counts as translated but not reviewed; nb and en
are the team's own and count as reviewed.
"""

import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from babel.messages.extract import extract_from_file

from app import i18n
from app.config import ROOT
from app.conversation import voice_actions, voice_task_actions  # noqa: F401 - register actions
from app.conversation.actions import ACTIONS, DETAILS_BUDGET, PLACE_LIMIT, TITLE_LIMIT
from app.conversation.engine import LANGUAGE_PREFIX, Prompt
from app.conversation.flow import LANGUAGE_CHOICE, Flow
from app.conversation.keywords import normalise
from app.conversation.render import fits, for_sms, render
from app.conversation.vocabulary import vocabulary_words
from app.services import activity_translations
from app.services.optout import RESERVED, TWILIO_HELP
from app.services.task_texts import NAME_LIMIT, NAMES_BUDGET
from app.sms_length import NOTICE_SEGMENTS, is_gsm7, segments
from app.timeutil import local_zone

MAX_SEGMENTS = 2
# Eleven language names, each in its own script, are ~125 UCS-2 characters by themselves;
# with the greeting, the first message anyone gets takes five. Sent once per person.
LANGUAGE_MENU_SEGMENTS = 5
# A notice (sent on our own: a reminder, a task request) carries an activity's or a
# task's details, which alone fill most of 134 UCS-2 characters: three segments there.
UCS2_NOTICE_SEGMENTS = NOTICE_SEGMENTS["UCS-2"]
MAX_VOICE_CHOICES = 4
VOICE_FIXED_KEYS = ("0", "*")  # a person, and say that again: in every voice menu
# Written by the team itself, so reviewed as written.
TEAM_LANGUAGES = ("nb", "en")
# Where texts residents read or hear are written in code (marked with N_()) …
RESIDENT_CODE = ("app/conversation", "app/channels", "app/services", "app/jobs")
# … except these modules, whose texts only staff read (staff pages are in nb or en),
# and any text whose comment starts with "staff:".
# A new module is taken as resident-facing until it is listed here: the safe side.
STAFF_ONLY = (
    "app/channels/voice_bridge.py", "app/services/activity_formats.py",
    "app/services/activity_import.py", "app/services/api_tokens.py",
    "app/services/broadcasts.py", "app/services/staff_accounts.py",
    "app/services/task_planning.py", "app/services/url_fetch.py",
)  # fmt: skip
STAFF_TAG = "staff:"
_SAMPLE_MOMENT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday: long names
# Content as long as an answer can carry, so that the budget holds for real data too.
# A task's own texts are longer than this allows; each task is measured when it is made.
_SAMPLE = {
    "title": "T" * TITLE_LIMIT, "place": "P" * PLACE_LIMIT, "code": 99, "position": 12,
    "name": "N" * 20, "description": "D" * 40, "contact": "C" * 24,
    "names": "N" * NAMES_BUDGET, "volunteer": "V" * NAME_LIMIT, "accepted": 2, "needed": 3,
    "count": 12, "digit": 4,
}  # fmt: skip
# In UCS-2 two segments hold 134 characters: measured with short (but real) content; a
# long title or place then costs a third segment.
_SAMPLE_UCS2 = {
    **_SAMPLE, "title": "T" * 12, "place": "P" * 12, "name": "N" * 12, "description": "D" * 20,
    "contact": "C" * 16, "names": "N" * 30, "volunteer": "V" * 12,
}  # fmt: skip


@dataclass
class Summary:
    """One language's line in the table."""

    translated: int = 0
    total: int = 0
    reviewed: int = 0
    longest: int = 0  # the longest SMS reply, in segments (the language menu apart)
    menu: int = 0  # the SMS language menu, in segments

    @property
    def unreviewed(self) -> int:
        return self.translated - self.reviewed


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    summary: dict[str, Summary] = field(default_factory=dict)
    # (context, msgid) -> where it is first used, e.g. "sms.yaml: state menu"
    texts: dict[tuple[str | None, str], str] = field(default_factory=dict)

    def add_text(self, context: str | None, msgid: str, where: str) -> None:
        self.texts.setdefault((context, msgid), where)


def check(flow: Flow, languages: list[str]) -> Report:
    """Everything wrong with `flow` in `languages`, each problem naming file, place, language."""
    return check_all([flow], languages, code=False)


def check_all(flows: list[Flow], languages: list[str], code: bool = True) -> Report:
    """Every flow, and (with `code`) the resident-facing texts in code, in `languages`."""
    report = Report()
    for language in languages:
        report.summary[language] = Summary()
    for flow in flows:
        _check_flow(flow, languages, report)
    if code:
        for where, msgid in code_texts():
            report.add_text(None, msgid, where)
    _check_translations(languages, report)
    return report


def _check_flow(flow: Flow, languages: list[str], report: Report) -> None:
    where = flow.path.name
    _check_actions(flow, report)
    _check_reachable(flow, report)
    _check_way_out(flow, report)
    if flow.channel == "voice":
        _check_voice_menus(flow, languages, report)
    for location, msgid in flow.prompts():
        if not _only_placeholder(msgid):
            report.add_text(None, msgid, f"{where}: {location}")
    for name, msgid in flow.keyword_msgids():
        report.add_text(i18n.KEYWORD_CONTEXT, msgid, f"{where}: keyword {name}")
    _check_collisions(flow, languages, report)
    for language in languages:
        if flow.channel == "sms":
            _check_lengths(flow, language, report)
            _check_reserved(flow, language, report)


# --- translations -------------------------------------------------------------------------


def _check_translations(languages: list[str], report: Report) -> None:
    for language in languages:
        summary = report.summary[language]
        summary.total = len(report.texts)
        catalog = i18n.catalog(language)
        for (context, msgid), where in report.texts.items():
            if language == i18n.SOURCE_LANGUAGE:
                summary.translated += 1
                summary.reviewed += 1
                continue
            message = catalog.get(msgid, context) if catalog is not None else None
            if message is None or not message.string or message.fuzzy:
                report.problems.append(f'{where}: [{language}] not translated: "{msgid}"')
                continue
            summary.translated += 1
            if language in TEAM_LANGUAGES or i18n.UNREVIEWED not in message.flags:
                summary.reviewed += 1
            if context is None and _fields(message.string) != _fields(msgid):
                report.problems.append(
                    f"{where}: [{language}] placeholders differ: "
                    f"{sorted(_fields(msgid))} vs {sorted(_fields(message.string))}"
                )


@lru_cache(maxsize=1)
def code_texts() -> tuple[tuple[str, str], ...]:
    """(file:line, msgid) of every N_() text in the resident-facing packages."""
    found = []
    for package in RESIDENT_CODE:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in STAFF_ONLY:
                continue
            for line, msgid, comments, _ in extract_from_file(
                "python", str(path), keywords={"N_": None}, comment_tags=(STAFF_TAG,)
            ):
                if isinstance(msgid, str) and not any(c.startswith(STAFF_TAG) for c in comments):
                    found.append((f"{name}:{line}", msgid))
    return tuple(found)


def _only_placeholder(msgid: str) -> bool:
    return msgid.startswith("{") and msgid.endswith("}") and msgid.count("{") == 1


def _fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return {"<malformed>"}


# --- SMS length -----------------------------------------------------------------------------


def _is_ucs2(flow: Flow, language: str) -> bool:
    """Whether the language's texts are sent in UCS-2 (as translated and rendered)."""
    return not all(
        is_gsm7(for_sms(i18n.gettext(language, m), language)) for _, m in flow.prompts()
    )


def _samples(flow: Flow, language: str, ucs2: bool) -> dict:
    """Sample values for `language`; "items" and "details" as lists, longest first, of
    what the actions fall back to when a reply would not fit."""
    values = dict(_SAMPLE_UCS2 if ucs2 else _SAMPLE)
    zone = local_zone()
    values.update(
        day=i18n.format_day(_SAMPLE_MOMENT, language, zone),
        time=i18n.format_clock(_SAMPLE_MOMENT, language, zone),
        language=i18n.language_name(language),
    )
    listed = dict(values)
    note = ""
    if activity_translations.needs_translations(language):
        note = " " + i18n.gettext(language, activity_translations.IN_NORWEGIAN)
    listed["title"] += note
    line = i18n.gettext(language, "{code} {title}, {day} {time}, {place}").format(**listed)
    short = i18n.gettext(language, "{code} {title}, {day} {time}").format(**listed)
    first = i18n.gettext(language, "{title}, {day} at {time}").format(**listed)
    values["items"] = ["\n".join([line] * 3), "\n".join([line] * 2), line, short]
    values["details"] = ["D" * DETAILS_BUDGET, first]
    return values


def _replies(flow: Flow):
    """Every whole reply a flow can give, as (location, prompts)."""
    for command in [*flow.commands.values(), flow.stuck]:
        for outcome, prompts in command.say.items():
            yield f"command {command.name}, {outcome}", prompts
    for state in flow.states.values():
        yield f"state {state.name}", state.say
        if state.unknown:
            yield f"state {state.name}, not understood", state.unknown
    for i, prompts in enumerate(flow.unknown, 1):
        yield f"not understood #{i}", prompts
    for key in ("stopped", "started"):
        if key in flow.opt_out:
            yield f"opt_out {key}", flow.opt_out[key]
    for name, prompt in flow.notices.items():
        yield f"notice {name}", [prompt]


def _check_lengths(flow: Flow, language: str, report: Report) -> None:
    summary = report.summary[language]
    ucs2 = _is_ucs2(flow, language)
    samples = _samples(flow, language, ucs2)
    for location, prompts in _replies(flow):
        menu = any("{languages}" in i18n.gettext(language, p) for p in prompts)
        limit = LANGUAGE_MENU_SEGMENTS if menu else MAX_SEGMENTS
        if ucs2 and location.startswith("notice ") and "{" in prompts[0]:
            limit = UCS2_NOTICE_SEGMENTS
        values = _fitted(flow, prompts, samples, language, limit)
        text = "\n".join(t for t in render(flow, [Prompt(p, values) for p in prompts], language)
                         if t)  # fmt: skip
        count = segments(text)
        if menu:
            summary.menu = max(summary.menu, count)
        else:
            summary.longest = max(summary.longest, count)
        if count > limit:
            report.problems.append(
                f"{flow.path.name}: {location}: [{language}] {count} SMS segments "
                f"(at most {limit})"
            )


def _fitted(flow: Flow, prompts: list[str], samples: dict, language: str, limit: int) -> dict:
    """The samples with the largest list and details that fit, as the actions choose."""
    values = {k: v for k, v in samples.items() if not isinstance(v, list)}
    shrinking = [k for k, v in samples.items() if isinstance(v, list)]
    for i in range(max(len(samples[k]) for k in shrinking)):
        for key in shrinking:
            values[key] = samples[key][min(i, len(samples[key]) - 1)]
        if fits(flow, prompts, values, language, limit):
            break
    return values


# --- keywords -------------------------------------------------------------------------------


def _check_reserved(flow: Flow, language: str, report: Report) -> None:
    """No word of ours may, on its own, be a word Twilio acts on, unless it means the same."""
    for command in flow.commands.values():
        if not command.keyword:
            continue
        for word in i18n.keyword_words(language, command.keyword):
            key = normalise(word)
            same_meaning = command.name == "help" and key in TWILIO_HELP
            if key in RESERVED and not command.takes and not same_meaning:
                report.problems.append(
                    f"{flow.path.name}: command {command.name}: [{language}] {word!r} alone "
                    "is a Twilio opt-out/opt-in/help word"
                )


def _check_collisions(flow: Flow, languages: list[str], report: Report) -> None:
    """A word with two meanings: in one language, or across two (all are understood)."""
    words = vocabulary_words(flow, tuple(languages))
    for name in ("stop", "start"):  # opting out or in is decided before any command
        if name in flow.opt_out:
            words[f"opt-{name}"] = {
                lang: i18n.keyword_words(lang, flow.opt_out[name])
                for lang in dict.fromkeys((*languages, i18n.SOURCE_LANGUAGE))
            }
    meanings: dict[str, dict[str, set[str]]] = {}
    for command, by_language in words.items():
        for language, variants in by_language.items():
            for word in variants:
                if key := normalise(word):
                    meanings.setdefault(key, {}).setdefault(command, set()).add(language)
    enabled = {*languages, i18n.SOURCE_LANGUAGE}
    for key, commands in sorted(meanings.items()):
        if len(commands) < 2:
            continue
        shared = set.intersection(*commands.values())
        named = " and ".join(
            f"{_command_name(c)} [{', '.join(sorted(langs & enabled))}]"
            for c, langs in sorted(commands.items())
        )
        if shared:
            where = f"{flow.path.name}: [{', '.join(sorted(shared))}]"
            report.problems.append(f"{where} keyword {key!r} means {named}")
        else:  # everyone's words are understood in every language
            report.problems.append(f"{flow.path.name}: keyword {key!r} means {named} "
                                   "across languages")  # fmt: skip


def _command_name(command: str) -> str:
    if command.startswith(LANGUAGE_PREFIX):
        return "the language menu's choice " + command[len(LANGUAGE_PREFIX) :]
    return command


# --- structure ------------------------------------------------------------------------------


def _check_voice_menus(flow: Flow, languages: list[str], report: Report) -> None:
    """Few choices, the same two ways out everywhere: a listener cannot scroll back."""
    where = flow.path.name
    for key, meaning in (("0", "handoff"), ("*", "repeat")):
        command = flow.commands.get(flow.keys.get(key, ""))
        if command is None or not getattr(command, meaning):
            report.problems.append(f"{where}: key {key!r} must {meaning} in every state")
    for state in flow.states.values():
        if state.digits == LANGUAGE_CHOICE:
            per_step = state.per_step or len(languages)
            choices = min(per_step, len(languages)) + (1 if len(languages) > per_step else 0)
            if choices > MAX_VOICE_CHOICES:
                report.problems.append(
                    f"{where}: state {state.name} offers {choices} choices (at most "
                    f"{MAX_VOICE_CHOICES} besides 0 and *): set per_step to "
                    f"{MAX_VOICE_CHOICES - 1} or fewer"
                )
            continue
        choices = [k for k in state.digits if k not in VOICE_FIXED_KEYS]
        if len(choices) > MAX_VOICE_CHOICES:
            report.problems.append(
                f"{where}: state {state.name} offers {len(choices)} choices "
                f"(at most {MAX_VOICE_CHOICES} besides 0 and *)"
            )
        shadowed = [k for k in state.digits if k in VOICE_FIXED_KEYS]
        if shadowed:
            report.problems.append(f"{where}: state {state.name} takes {shadowed} for itself")


def _check_actions(flow: Flow, report: Report) -> None:
    for name, variant in flow.variants.items():
        if variant.when not in ACTIONS:
            report.problems.append(f"{flow.path.name}: variant of {name}: unknown action "
                                   f"{variant.when!r}")  # fmt: skip
    for command in [*flow.commands.values(), flow.stuck]:
        if not command.action:
            continue
        if command.action not in ACTIONS:
            report.problems.append(
                f"{flow.path.name}: command {command.name}: unknown action {command.action!r}"
            )
            continue
        if command.say:
            missing = ACTIONS[command.action][1] - set(command.say)
            for outcome in sorted(missing):
                report.problems.append(
                    f"{flow.path.name}: command {command.name}: nothing to say for {outcome!r}"
                )


def _commands_from(flow: Flow, name: str) -> list:
    """Every command a person can give in state `name`: its digits, the keys and
    keywords that work everywhere, and what the channel may start with."""
    state = flow.states[name]
    targets = ["choose_language"] if state.digits == LANGUAGE_CHOICE else state.digits.values()
    commands = [c for c in flow.commands.values() if c.keyword]
    commands += [flow.commands[t] for t in [*targets, *flow.keys.values()]]
    return commands + [flow.commands["choose_language"], flow.stuck]  # names of languages


def _check_reachable(flow: Flow, report: Report) -> None:
    reached, todo = set(), [flow.start]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        if name in flow.variants:
            todo.append(flow.variants[name].use)
        commands = _commands_from(flow, name) + [flow.commands[c] for c in flow.entry]
        todo += [target for c in commands for target in c.targets()]
    for name in flow.states:
        if name not in reached:
            report.problems.append(f"{flow.path.name}: state {name} cannot be reached")


def _check_way_out(flow: Flow, report: Report) -> None:
    """A state whose every command keeps the person there, and none hands over, traps them."""
    for name in flow.states:
        leaves = any(c.handoff or any(t != name for t in c.targets())
                     for c in _commands_from(flow, name))  # fmt: skip
        if not leaves:
            report.problems.append(f"{flow.path.name}: state {name} has no way out")

