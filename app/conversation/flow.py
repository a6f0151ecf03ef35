"""Load a flow file from `flows/` and check that it holds together."""

import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from app.config import ROOT

FLOWS_DIR = ROOT / "flows"
LANGUAGE_CHOICE = "languages"  # a state whose digits pick the nth language


class FlowError(ValueError):
    """The flow file is inconsistent; the message names the file and the place."""


@dataclass(frozen=True)
class Command:
    name: str
    keyword: str | None  # msgid in the "keyword" context; None for digit-only commands
    action: str | None
    takes: str | None  # the argument that may follow the keyword ("code")
    say: dict[str, list[str]]  # outcome -> prompts
    next: str | None


@dataclass(frozen=True)
class State:
    name: str
    say: list[str]
    digits: dict[str, str] | str  # digit -> command, or LANGUAGE_CHOICE
    unknown: list[str] = field(default_factory=list)


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

    def prompts(self) -> list[tuple[str, str]]:
        """Every prompt msgid with where it is used, for checks and extraction."""
        found = []
        for command in [*self.commands.values(), self.stuck]:
            for outcome, prompts in command.say.items():
                found += [(f"command {command.name}, {outcome}", p) for p in prompts]
        for state in self.states.values():
            found += [(f"state {state.name}", p) for p in state.say + state.unknown]
        for i, prompts in enumerate(self.unknown, 1):
            found += [(f"unknown #{i}", p) for p in prompts]
        for key in ("stopped", "started"):
            found += [(f"opt_out {key}", p) for p in self.opt_out[key]]
        found += [(f"notice {name}", p) for name, p in self.notices.items()]
        return found


def load_flow(path: Path) -> Flow:
    """Parse and validate one flow file; raises FlowError naming what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        commands = {
            name: Command(
                name=name,
                keyword=spec.get("keyword"),
                action=spec.get("action"),
                takes=spec.get("takes"),
                say={k: list(v) for k, v in (spec.get("say") or {}).items()},
                next=spec.get("next"),
            )
            for name, spec in raw["commands"].items()
        }
        states = {
            name: State(
                name=name,
                say=list(spec.get("say", [])),
                digits=spec.get("digits", {}),
                unknown=list(spec.get("unknown", [])),
            )
            for name, spec in raw["states"].items()
        }
        stuck = raw["stuck"]
        flow = Flow(
            name=raw["flow"],
            path=path,
            start=raw["start"],
            home=raw["home"],
            bare_number=raw.get("bare_number"),
            commands=commands,
            states=states,
            unknown=[list(p) for p in raw["unknown"]],
            stuck=Command("stuck", None, stuck["action"], None, stuck["say"], None),
            opt_out=raw["opt_out"],
            notices=dict(raw.get("notices") or {}),
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
    for command in flow.commands.values():
        if command.next and command.next not in flow.states:
            raise FlowError(f"{where}: command {command.name} goes to no state {command.next!r}")
        if not command.say and not command.next:
            raise FlowError(f"{where}: command {command.name} says nothing and goes nowhere")
    for state in flow.states.values():
        targets = [] if state.digits == LANGUAGE_CHOICE else list(state.digits.values())
        for target in targets:
            if target not in flow.commands:
                raise FlowError(f"{where}: state {state.name} digit leads to unknown {target!r}")
        if not state.say:
            raise FlowError(f"{where}: state {state.name} has no prompt")
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
