"""The engine: (state, what the person said) -> (prompts, actions done, next state).

Channel-neutral: it knows nothing of SMS, TwiML or Flask. Actions are called through
the `Actions` the caller hands in, so the engine never touches the database itself.
The phone line runs through here too: keys such as `*` and `#`, words spoken for a
key, silence, "say that again" and "put me through to a person" are flow data.
"""

import math
from dataclasses import dataclass, field
from typing import Protocol

from app.conversation.flow import LANGUAGE_CHOICE, STATE_PROMPT, Command, Flow, State
from app.conversation.keywords import Parsed, Vocabulary

# Conversation data keys the engine owns.
MISUNDERSTOOD = "misunderstood"
GREETED = "greeted"
SAID = "said"  # the last answer, kept only by flows that can repeat it
# Commands the vocabulary adds for words spoken instead of a key ("ja" for 1).
KEY_PREFIX = "key "
# Commands the vocabulary adds for a language's names ("polski", "Polish"): "language 4"
# chooses the 4th enabled language, in any state.
LANGUAGE_PREFIX = "language "
# A language menu in steps: which step the person hears, the order languages are
# offered in (codes), and the prompt value listing [key, code] of one step.
LANGUAGE_PAGE, LANGUAGE_ORDER, OFFER = "language_page", "language_order", "offer"


@dataclass(frozen=True)
class Prompt:
    msgid: str
    values: dict = field(default_factory=dict)
    each_language: bool = False  # said in every enabled language, each in its own


@dataclass(frozen=True)
class Outcome:
    name: str
    values: dict = field(default_factory=dict)


@dataclass
class Turn:
    prompts: list[Prompt]
    state: str
    data: dict
    handoff: bool = False  # the person asked for, or needs, a human now


class Actions(Protocol):
    def run(self, action: str, argument: int | None, data: dict) -> Outcome: ...

    def adopt_language(self, language: str) -> None: ...

    def languages(self, suggest: bool) -> list[str]:
        """The enabled languages' codes; with `suggest`, the one this person's number
        suggests first."""
        ...


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
    understood the message, as with Twilio's own HELP words, or a call just started).
    """
    data = dict(data)
    current = flow.states.get(state) or flow.states[flow.start]
    parsed = Parsed(command=command) if command else _parse(flow, vocabulary, text)
    first_contact = not data.get(GREETED)
    data[GREETED] = True

    if not first_contact and _asks_for_more(current, parsed, data):
        # The next step of a language menu: the same state, the next few languages.
        data[LANGUAGE_PAGE] = data.get(LANGUAGE_PAGE, 0) + 1
        data[MISUNDERSTOOD] = 0
        prompts = state_prompts(flow, current.name, data, actions)
        return _remember(flow, Turn(prompts, current.name, data))
    command, argument = _command_for(flow, current.name, parsed, data, actions)
    if command is None or (first_contact and _only_moves(command)):
        # A greeting or something we do not know on first contact: say who we are.
        if first_contact:
            data[MISUNDERSTOOD] = 0
            prompts = state_prompts(flow, flow.start, data, actions)
            return _remember(flow, Turn(prompts, flow.start, data))
        return _not_understood(flow, current.name, data, actions, silent=parsed.empty)

    if parsed.language and not _names_language(parsed):
        actions.adopt_language(parsed.language)
    data[MISUNDERSTOOD] = 0
    if command.repeat:
        return Turn(_said(flow, current.name, data, actions), current.name, data)
    return _remember(flow, _run(flow, command, argument, current.name, data, actions))


def _only_moves(command: Command) -> bool:
    """A command that neither acts nor answers (MENU): on first contact, a greeting."""
    return command.action is None and command.say == {} and not command.handoff


def state_prompts(
    flow: Flow, state: str, data: dict | None = None, actions: Actions | None = None
) -> list[Prompt]:
    """What a state says when a person arrives in it.

    A language menu offers the languages of its current step (`data`), in the order the
    person's `actions` give; without them, in the order last offered, or every enabled
    language in turn (the channel's default).
    """
    spec = flow.states[state]
    prompts = [Prompt(p) for p in spec.say]
    if not spec.each_language:
        return prompts
    offer, more_key = _offer(spec, data, actions)
    values = {OFFER: offer} if offer is not None else {}
    prompts += [Prompt(p, dict(values), each_language=True) for p in spec.each_language]
    if more_key is not None:
        prompts += [Prompt(p, {"digit": more_key}) for p in spec.more]
    return prompts


def _step_of(spec: State, data: dict, actions: Actions | None) -> tuple[list[str], int, bool]:
    """(the languages of the current step, keys taken per step, whether there are more)."""
    order = actions.languages(spec.suggest) if actions is not None else None
    if order:
        data[LANGUAGE_ORDER] = order
    else:
        order = data.get(LANGUAGE_ORDER) or []
    per_step = spec.per_step or max(len(order), 1)
    steps = max(math.ceil(len(order) / per_step), 1)
    page = data.get(LANGUAGE_PAGE, 0) % steps
    data[LANGUAGE_PAGE] = page
    return order[page * per_step : (page + 1) * per_step], per_step, steps > 1


def _offer(spec: State, data: dict | None, actions: Actions | None):
    """([[key, code], …] of the current step, the key for more languages or None)."""
    if data is None or (actions is None and not data.get(LANGUAGE_ORDER)):
        return None, None
    shown, per_step, more = _step_of(spec, data, actions)
    return [[i, code] for i, code in enumerate(shown, 1)], (per_step + 1 if more else None)


def _asks_for_more(spec: State, parsed: Parsed, data: dict) -> bool:
    """Whether the key for "more languages" was pressed (or said) in a stepped menu."""
    if spec.digits != LANGUAGE_CHOICE or spec.per_step is None:
        return False
    order = data.get(LANGUAGE_ORDER) or []
    if len(order) <= spec.per_step:
        return False
    more = str(spec.per_step + 1)
    if parsed.command and parsed.command.startswith(KEY_PREFIX):
        return parsed.command[len(KEY_PREFIX) :] == more
    return parsed.command is None and str(parsed.number) == more


def _names_language(parsed: Parsed) -> bool:
    return bool(parsed.command and parsed.command.startswith(LANGUAGE_PREFIX))


def _chosen(spec: State, data: dict, actions: Actions, number: int | None) -> int | None:
    """The enabled language (1-based) that `number` picks in a language menu, or None.

    A menu in steps numbers each step's languages from 1; a plain one numbers them all
    in the configured order, as the SMS menu lists them (10 and 11 included).
    """
    if spec.per_step is None or number is None:
        return number
    shown, _, _ = _step_of(spec, data, actions)
    if not 1 <= number <= len(shown):
        return None
    return actions.languages(False).index(shown[number - 1]) + 1


def _parse(flow: Flow, vocabulary: Vocabulary, text: str) -> Parsed:
    key = text.strip()
    if key in flow.keys or key in flow.spoken_keys:
        return Parsed(command=KEY_PREFIX + key)  # a key pressed: `*` and `#` are no words
    return vocabulary.parse(text)


def _command_for(
    flow: Flow, state: str, parsed: Parsed, data: dict, actions: Actions
) -> tuple[Command | None, int | None]:
    spec = flow.states[state]
    digits = spec.digits
    if _names_language(parsed):  # "polski", "العربية": in any state
        return flow.commands["choose_language"], int(parsed.command[len(LANGUAGE_PREFIX) :])
    if parsed.command and parsed.command.startswith(KEY_PREFIX):
        key = parsed.command[len(KEY_PREFIX) :]
        if digits == LANGUAGE_CHOICE and key.isdigit() and key not in flow.keys:
            return flow.commands["choose_language"], _chosen(spec, data, actions, int(key))
        keys = {**flow.keys, **(digits if isinstance(digits, dict) else {})}
        return (flow.commands[keys[key]], None) if key in keys else (None, None)
    if parsed.command:
        return flow.commands[parsed.command], parsed.number
    if parsed.number is None:
        return None, None
    if digits == LANGUAGE_CHOICE:
        if str(parsed.number) in flow.keys:
            return flow.commands[flow.keys[str(parsed.number)]], None
        return flow.commands["choose_language"], _chosen(spec, data, actions, parsed.number)
    keys = {**flow.keys, **digits}
    if str(parsed.number) in keys:
        return flow.commands[keys[str(parsed.number)]], None
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
    if command.handoff:
        prompts = [Prompt(p, values) for p in command.say.get(outcome, [])]
        return Turn(prompts, state, data, handoff=True)
    choosing_language = flow.states[state].digits == LANGUAGE_CHOICE
    if isinstance(command.next, dict):
        next_state = command.next.get(outcome, state)
    else:
        next_state = command.next or (flow.home if choosing_language else state)
    next_state = _variant(flow, next_state, actions, data)
    if next_state != state:
        data.pop(LANGUAGE_PAGE, None)  # a language menu starts from its first step
    if not command.say:
        return Turn(state_prompts(flow, next_state, data, actions), next_state, data)
    prompts = command.say.get(outcome)
    if prompts is None:
        raise KeyError(f"{flow.name}: command {command.name} says nothing for outcome {outcome!r}")
    return Turn(_expand(flow, prompts, values, next_state, data, actions), next_state, data)


def _variant(flow: Flow, state: str, actions: Actions, data: dict) -> str:
    """The state itself, or its variant for this person (a volunteer's own menu)."""
    variant = flow.variants.get(state)
    if variant and actions.run(variant.when, None, data).name == "yes":
        return variant.use
    return state


def _expand(
    flow: Flow, msgids: list[str], values: dict, state: str, data: dict, actions: Actions
) -> list[Prompt]:
    prompts = []
    for msgid in msgids:
        if msgid == STATE_PROMPT:
            prompts += state_prompts(flow, state, data, actions)
        else:
            prompts.append(Prompt(msgid, values))
    return prompts


def _remember(flow: Flow, turn: Turn) -> Turn:
    """Keep what was said where `*` can ask for it again (values are plain JSON)."""
    if any(c.repeat for c in flow.commands.values()):
        turn.data[SAID] = [[p.msgid, p.values, p.each_language] for p in turn.prompts]
    return turn


def _said(flow: Flow, state: str, data: dict, actions: Actions) -> list[Prompt]:
    said = data.get(SAID)
    if not said:
        return state_prompts(flow, state, data, actions)
    return [Prompt(msgid, dict(values), bool(each)) for msgid, values, each in said]


def _not_understood(
    flow: Flow, state: str, data: dict, actions: Actions, silent: bool = False
) -> Turn:
    count = data.get(MISUNDERSTOOD, 0) + 1
    data[MISUNDERSTOOD] = count
    if count > len(flow.unknown):
        # Stuck: the way to a person opens by itself.
        turn = _run(flow, flow.stuck, None, state, data, actions)
        data[MISUNDERSTOOD] = 0
        return Turn(turn.prompts, state, data, handoff=turn.handoff)
    own = flow.states[state].unknown
    if silent and flow.silence:
        prompts = flow.silence[min(count, len(flow.silence)) - 1]
    else:
        prompts = own if own and count == 1 else flow.unknown[count - 1]
    return Turn(_expand(flow, prompts, {}, state, data, actions), state, data)
