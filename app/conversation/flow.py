"""Load a flow file from `flows/` and check that it holds together."""

import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from app.config import ROOT

FLOWS_DIR = ROOT / "flows"
LANGUAGE_CHOICE = "languages"  # a state whose digits pick the nth language
# A prompt that stands for the prompts of the state the turn ends in: a voice answer is
# "what happened" followed by the choices of where the caller now is.
STATE_PROMPT = "{state}"


class FlowError(ValueError):
    """The flow file is inconsistent; the message names the file and the place."""


@dataclass(frozen=True)
class Command:
    name: str
    keyword: str | None  # msgid in the "keyword" context; None for digit-only commands
    action: str | None
    takes: str | None  # the argument that may follow the keyword ("code")
    say: dict[str, list[str]]  # outcome -> prompts
    # The state to go to, or outcome -> state (an outcome not named stays where it is).
    next: str | dict[str, str] | None
    repeat: bool = False  # say again what was said last
    handoff: bool = False  # the conversation ends here: the channel connects a person

    def targets(self) -> list[str]:
        """Every state this command can lead to."""
        if isinstance(self.next, dict):
            return list(self.next.values())
        return [self.next] if self.next else []


@dataclass(frozen=True)
class State:
    name: str
    say: list[str]
    digits: dict[str, str] | str  # digit or key -> command, or LANGUAGE_CHOICE
    unknown: list[str] = field(default_factory=list)
    # Said once for each enabled language, in that language, with {digit} its number.
    each_language: list[str] = field(default_factory=list)
    # A language menu in steps: this many languages at a time, then `more` with {digit}
    # the key that offers the next ones (the phone: a listener cannot take eleven).
    per_step: int | None = None
    more: list[str] = field(default_factory=list)
    # Offer first the language the person's phone number suggests (+48: Polski).
    suggest: bool = False


@dataclass(frozen=True)
class Variant:
    """Instead of `state`, people for whom action `when` answers "yes" get state `use`."""

    when: str
    use: str


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: loaded once
class Flow:
    name: str
    path: Path
    start: str
    home: str
    bare_number: str | None
    commands: dict[str, Command]
    states: dict[str, State]
    unknown: list[list[str]]
    stuck: Command
    opt_out: dict
    notices: dict[str, str]
    channel: str = "sms"
    keys: dict[str, str] = field(default_factory=dict)  # key -> command, in every state
    spoken_keys: dict[str, str] = field(default_factory=dict)  # key -> keyword msgid
    silence: list[list[str]] = field(default_factory=list)  # like unknown, for no answer
    variants: dict[str, Variant] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # said by the channel itself
    entry: list[str] = field(default_factory=list)  # commands a channel may start with

    def prompts(self) -> list[tuple[str, str]]:
        """Every prompt msgid with where it is used, for checks and extraction."""
        found = []
        for command in [*self.commands.values(), self.stuck]:
            for outcome, prompts in command.say.items():
                found += [(f"command {command.name}, {outcome}", p) for p in prompts]
        for state in self.states.values():
            prompts = state.say + state.unknown + state.each_language + state.more
            found += [(f"state {state.name}", p) for p in prompts]
        for i, prompts in enumerate(self.unknown, 1):
            found += [(f"unknown #{i}", p) for p in prompts]
        for i, prompts in enumerate(self.silence, 1):
            found += [(f"silence #{i}", p) for p in prompts]
        for key in ("stopped", "started"):
            found += [(f"opt_out {key}", p) for p in self.opt_out.get(key, [])]
        found += [(f"notice {name}", p) for name, p in self.notices.items()]
        found += [(f"text {name}", p) for name, p in self.texts.items()]
        return [(where, p) for where, p in found if p != STATE_PROMPT]

    def keyword_msgids(self) -> list[tuple[str, str]]:
        """(name, msgid) of every word list in the "keyword" context."""
        words = [(c.name, c.keyword) for c in self.commands.values() if c.keyword]
        words += [(name, self.opt_out[name]) for name in ("stop", "start") if name in self.opt_out]
        words += [(f"key {key}", msgid) for key, msgid in self.spoken_keys.items()]
        return words


def _command(name: str, spec: dict) -> Command:
    return Command(
        name=name,
        keyword=spec.get("keyword"),
        action=spec.get("action"),
        takes=spec.get("takes"),
        say={k: list(v) for k, v in (spec.get("say") or {}).items()},
        next=spec.get("next"),
        repeat=bool(spec.get("repeat", False)),
        handoff=bool(spec.get("handoff", False)),
    )


def load_flow(path: Path) -> Flow:
    """Parse and validate one flow file; raises FlowError naming what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        commands = {name: _command(name, spec) for name, spec in raw["commands"].items()}
        states = {
            name: State(
                name=name,
                say=list(spec.get("say", [])),
                digits=spec.get("digits", {}),
                unknown=list(spec.get("unknown", [])),
                each_language=list(spec.get("each_language", [])),
                per_step=spec.get("per_step"),
                more=list(spec.get("more", [])),
                suggest=bool(spec.get("suggest", False)),
            )
            for name, spec in raw["states"].items()
        }
        flow = Flow(
            name=raw["flow"],
            path=path,
            start=raw["start"],
            home=raw["home"],
            bare_number=raw.get("bare_number"),
            commands=commands,
            states=states,
            unknown=[list(p) for p in raw["unknown"]],
            stuck=_command("stuck", raw["stuck"]),
            opt_out=dict(raw.get("opt_out") or {}),
            notices=dict(raw.get("notices") or {}),
            channel=raw.get("channel", "sms"),
            keys={str(k): v for k, v in (raw.get("keys") or {}).items()},
            spoken_keys={str(k): v for k, v in (raw.get("spoken_keys") or {}).items()},
            silence=[list(p) for p in raw.get("silence") or []],
            variants={
                name: Variant(spec["when"], spec["use"])
                for name, spec in (raw.get("variants") or {}).items()
            },
            texts=dict(raw.get("texts") or {}),
            entry=list(raw.get("entry") or []),
        )
    except (KeyError, TypeError, AttributeError, yaml.YAMLError) as error:
        raise FlowError(f"{path.name}: malformed flow ({error!r})") from error
    _check(flow)
    return flow


def _check(flow: Flow) -> None:
    where = flow.path.name
    for role, name in (("start", flow.start), ("home", flow.home)):
        if name not in flow.states:
            raise FlowError(f"{where}: {role} state {name!r} does not exist")
    if flow.bare_number and flow.bare_number not in flow.commands:
        raise FlowError(f"{where}: bare_number names no command {flow.bare_number!r}")
    for command in [*flow.commands.values(), flow.stuck]:
        for target in command.targets():
            if target not in flow.states:
                raise FlowError(f"{where}: command {command.name} goes to no state {target!r}")
        if not (command.say or command.next or command.repeat or command.handoff):
            raise FlowError(f"{where}: command {command.name} says nothing and goes nowhere")
    for name in flow.entry:
        if name not in flow.commands:
            raise FlowError(f"{where}: entry names no command {name!r}")
    for key, target in flow.keys.items():
        if target not in flow.commands:
            raise FlowError(f"{where}: key {key!r} leads to unknown {target!r}")
    for name, variant in flow.variants.items():
        if name not in flow.states or variant.use not in flow.states:
            raise FlowError(f"{where}: variant of {name!r} names a state that does not exist")
    for state in flow.states.values():
        targets = [] if state.digits == LANGUAGE_CHOICE else list(state.digits.values())
        for target in targets:
            if target not in flow.commands:
                raise FlowError(f"{where}: state {state.name} digit leads to unknown {target!r}")
        if not state.say and not state.each_language:
            raise FlowError(f"{where}: state {state.name} has no prompt")
        if state.per_step is not None and (
            state.digits != LANGUAGE_CHOICE or not isinstance(state.per_step, int)
            or state.per_step < 1 or not state.more
        ):  # fmt: skip
            raise FlowError(f"{where}: state {state.name}: per_step needs a language menu, "
                            "a number of 1 or more and a `more` prompt")  # fmt: skip
    if "choose_language" not in flow.commands:
        raise FlowError(f"{where}: a flow must say how a language is chosen")
    for location, prompt in flow.prompts():
        try:
            list(string.Formatter().parse(prompt))
        except ValueError as error:
            raise FlowError(f"{where}: {location}: bad placeholder in {prompt!r}") from error


@lru_cache(maxsize=8)
def get_flow(name: str) -> Flow:
    """The flow `flows/<name>.yaml`, loaded once per process."""
    return load_flow(FLOWS_DIR / f"{name}.yaml")
