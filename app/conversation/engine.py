"""The engine: (state, what the person said) -> (prompts, actions done, next state).

Channel-neutral: it knows nothing of SMS, TwiML or Flask. Actions are called through
the `Actions` the caller hands in, so the engine never touches the database itself.
"""

from dataclasses import dataclass, field
from typing import Protocol

from app.conversation.flow import LANGUAGE_CHOICE, Command, Flow
from app.conversation.keywords import Parsed, Vocabulary

# Conversation data keys the engine owns.
MISUNDERSTOOD = "misunderstood"
GREETED = "greeted"


@dataclass(frozen=True)
class Prompt:
    msgid: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    name: str
    values: dict = field(default_factory=dict)


@dataclass
class Turn:
    prompts: list[Prompt]
    state: str
    data: dict


class Actions(Protocol):
    def run(self, action: str, argument: int | None, data: dict) -> Outcome: ...

    def adopt_language(self, language: str) -> None: ...


def step(
    flow: Flow,
    vocabulary: Vocabulary,
    state: str,
    data: dict,
    text: str,
    actions: Actions,
    command: str | None = None,
) -> Turn:
    """Answer one message in `state`; `data` is the conversation's memory (not mutated).

    `command` names a command to run whatever the text says (the caller has already
    understood the message, as with Twilio's own HELP words).
    """
    data = dict(data)
    current = flow.states.get(state) or flow.states[flow.start]
    parsed = Parsed(command=command) if command else vocabulary.parse(text)
    first_contact = not data.get(GREETED)
    data[GREETED] = True

    command, argument = _command_for(flow, current.name, parsed, data)
    if command is None or (first_contact and command.action is None and command.say == {}):
        # A greeting or something we do not know on first contact: say who we are.
        if first_contact:
            data[MISUNDERSTOOD] = 0
            return Turn([Prompt(p) for p in flow.states[flow.start].say], flow.start, data)
        return _not_understood(flow, current.name, data, actions)

    if parsed.language:
        actions.adopt_language(parsed.language)
    data[MISUNDERSTOOD] = 0
    return _run(flow, command, argument, current.name, data, actions)


def _command_for(
    flow: Flow, state: str, parsed: Parsed, data: dict
) -> tuple[Command | None, int | None]:
    if parsed.command:
        return flow.commands[parsed.command], parsed.number
    if parsed.number is None:
        return None, None
    digits = flow.states[state].digits
    if digits == LANGUAGE_CHOICE:
        return flow.commands["choose_language"], parsed.number
    if str(parsed.number) in digits:
        return flow.commands[digits[str(parsed.number)]], None
    if flow.bare_number and parsed.number >= 10:  # menu choices are single digits
        return flow.commands[flow.bare_number], parsed.number
    return None, None


def _run(
    flow: Flow, command: Command, argument: int | None, state: str, data: dict, actions: Actions
) -> Turn:
    values: dict = {}
    outcome = "ok"
    if command.action:
        result = actions.run(command.action, argument, data)
        outcome, values = result.name, result.values
    choosing_language = flow.states[state].digits == LANGUAGE_CHOICE
    next_state = command.next or (flow.home if choosing_language else state)
    prompts = command.say.get(outcome) if command.say else flow.states[next_state].say
    if prompts is None:
        raise KeyError(f"{flow.name}: command {command.name} says nothing for outcome {outcome!r}")
    return Turn([Prompt(p, values) for p in prompts], next_state, data)


def _not_understood(flow: Flow, state: str, data: dict, actions: Actions) -> Turn:
    count = data.get(MISUNDERSTOOD, 0) + 1
    data[MISUNDERSTOOD] = count
    if count > len(flow.unknown):
        # Stuck: the way to a person opens by itself.
        turn = _run(flow, flow.stuck, None, state, data, actions)
        data[MISUNDERSTOOD] = 0
        return Turn(turn.prompts, state, data)
    own = flow.states[state].unknown
    prompts = own if own and count == 1 else flow.unknown[count - 1]
    return Turn([Prompt(p) for p in prompts], state, data)
