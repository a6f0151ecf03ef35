"""`flask --app app flows check`: every flow complete and within budget in every language.

Text flows are held to two SMS segments per reply; voice flows to short menus instead:
at most four choices besides `0` (a person) and `*` (say that again).
"""

import string
from dataclasses import dataclass, field

from app import i18n
from app.conversation import voice_actions, voice_task_actions  # noqa: F401 - register actions
from app.conversation.actions import ACTIONS, DETAILS_BUDGET, PLACE_LIMIT, TITLE_LIMIT
from app.conversation.engine import Prompt
from app.conversation.flow import LANGUAGE_CHOICE, Flow
from app.conversation.keywords import normalise
from app.conversation.render import render
from app.conversation.vocabulary import vocabulary
from app.services.optout import RESERVED, TWILIO_HELP
from app.services.task_texts import NAME_LIMIT, NAMES_BUDGET
from app.sms_length import segments

MAX_SEGMENTS = 2
MAX_VOICE_CHOICES = 4
VOICE_FIXED_KEYS = ("0", "*")  # a person, and say that again: in every voice menu
# Content as long as an answer can carry, so that the budget holds for real data too.
# A task's own texts are longer than this allows; each task is measured when it is made.
_SAMPLE = {
    "title": "T" * TITLE_LIMIT, "place": "P" * PLACE_LIMIT, "day": "ons. 25. nov.", "time": "11:00",
    "code": 99, "position": 12, "language": "Norsk bokmål",
    "name": "N" * 20, "description": "D" * 40, "contact": "C" * 24,
    "names": "N" * NAMES_BUDGET, "volunteer": "V" * NAME_LIMIT, "accepted": 2, "needed": 3,
}  # fmt: skip


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    # language -> (translated, total, longest reply in segments)
    summary: dict[str, tuple[int, int, int]] = field(default_factory=dict)


def check(flow: Flow, languages: list[str]) -> Report:
    """Everything wrong with `flow` in `languages`, each problem naming file, place, language."""
    report = Report()
    where = flow.path.name
    _check_actions(flow, report)
    _check_reachable(flow, report)
    if flow.channel == "voice":
        _check_voice_menus(flow, report)
    msgids = {m for _, m in flow.prompts() if not _only_placeholder(m)}
    for language in languages:
        catalog = i18n.translations(language)
        translated = 0
        for location, msgid in flow.prompts():
            if _only_placeholder(msgid):
                continue
            text = catalog.gettext(msgid)
            if language != i18n.SOURCE_LANGUAGE and text == msgid:
                report.problems.append(f"{where}: {location}: [{language}] not translated")
                continue
            if _fields(text) != _fields(msgid):
                report.problems.append(
                    f"{where}: {location}: [{language}] placeholders differ: "
                    f"{sorted(_fields(msgid))} vs {sorted(_fields(text))}"
                )
        translated = sum(
            1 for m in msgids
            if language == i18n.SOURCE_LANGUAGE or catalog.gettext(m) != m
        )  # fmt: skip
        longest = _check_lengths(flow, language, report) if flow.channel == "sms" else 0
        report.summary[language] = (translated, len(msgids), longest)
        _check_keywords(flow, language, report)
    collisions = vocabulary(flow, tuple(languages)).collisions
    for word, commands in collisions:
        report.problems.append(f"{where}: keyword {word!r} means {sorted(commands)}")
    return report


def _only_placeholder(msgid: str) -> bool:
    return msgid.startswith("{") and msgid.endswith("}") and msgid.count("{") == 1


def _fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return {"<malformed>"}


def _samples(language: str) -> dict:
    line = i18n.gettext(language, "{code} {title}, {day} {time}, {place}")
    items = "\n".join([line.format(**_SAMPLE)] * 3)
    return {**_SAMPLE, "items": items, "details": "D" * DETAILS_BUDGET}


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


def _check_lengths(flow: Flow, language: str, report: Report) -> int:
    longest = 0
    values = _samples(language)
    for location, prompts in _replies(flow):
        text = "\n".join(render(flow, [Prompt(p, values) for p in prompts], language))
        count = segments(text)
        longest = max(longest, count)
        if count > MAX_SEGMENTS:
            report.problems.append(
                f"{flow.path.name}: {location}: [{language}] {count} SMS segments "
                f"(at most {MAX_SEGMENTS})"
            )
    return longest


def _check_keywords(flow: Flow, language: str, report: Report) -> None:
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


def _check_voice_menus(flow: Flow, report: Report) -> None:
    """Few choices, the same two ways out everywhere: a listener cannot scroll back."""
    where = flow.path.name
    for key, meaning in (("0", "handoff"), ("*", "repeat")):
        command = flow.commands.get(flow.keys.get(key, ""))
        if command is None or not getattr(command, meaning):
            report.problems.append(f"{where}: key {key!r} must {meaning} in every state")
    for state in flow.states.values():
        if state.digits == LANGUAGE_CHOICE:
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


def _check_reachable(flow: Flow, report: Report) -> None:
    reached, todo = set(), [flow.start]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        state = flow.states[name]
        if name in flow.variants:
            todo.append(flow.variants[name].use)
        targets = ["choose_language"] if state.digits == LANGUAGE_CHOICE else state.digits.values()
        # Keyword commands and keys work from every state; digits only from their own.
        commands = [c for c in flow.commands.values() if c.keyword] + [
            flow.commands[t] for t in [*targets, *flow.keys.values()]
        ]
        commands += [flow.commands[c] for c in flow.entry]  # what the channel may start with
        todo += [target for c in [*commands, flow.stuck] for target in c.targets()]
    for name in flow.states:
        if name not in reached:
            report.problems.append(f"{flow.path.name}: state {name} cannot be reached")
