"""One phone call, step by step, from Twilio's webhook form to the TwiML answer.

Every answer names the next step in its action URL (`?n=<step>`). The call's record
(`calls`, by CallSid) holds the step last answered and its TwiML: step n again is
answered from the record without acting, step n+1 acts once (a conditional UPDATE
decides between two deliveries), anything else hears the current prompt again.
Both the webhook routes and the simulator come through here.
"""

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from twilio.twiml.voice_response import VoiceResponse

from app.channels import voice_handoff, voice_language, voice_twiml
from app.channels.sms import where
from app.channels.voice_handoff import PHASE
from app.channels.voice_twiml import Unspeakable, url
from app.conversation import engine, voice_actions, voice_task_actions  # noqa: F401 - register
from app.conversation.actions import PersonActions
from app.conversation.flow import get_flow
from app.conversation.vocabulary import vocabulary
from app.extensions import db
from app.models import Call, Person
from app.services import calls, people
from app.timeutil import utcnow

log = logging.getLogger(__name__)
FLOW = "voice"
PATHS = voice_twiml.PATHS


@dataclass(frozen=True)
class CallRequest:
    """What one voice webhook says, from Twilio's form (or the simulator's)."""

    call_sid: str
    phone: str | None  # E.164; None for a hidden or unusable number
    text: str = ""  # the key pressed, or else the words recognised; "" is silence
    dial_status: str = ""
    recording_url: str = ""

    @classmethod
    def from_form(cls, form) -> "CallRequest":
        raw = form.get("From", "")
        return cls(
            call_sid=form.get("CallSid", "")[:64],
            phone=people.normalise_phone(raw) if raw else None,
            text=(form.get("Digits") or form.get("SpeechResult") or "")[:200],
            dial_status=form.get("DialCallStatus", "").lower(),
            recording_url=form.get("RecordingUrl", ""),
        )


def handle(req: CallRequest, kind: str, n: int | None = None) -> str:
    """Any voice request ("answer", "step", "dial", "recorded"); never raises.

    On any failure the transaction is rolled back, the log gets the error's type and
    place only (never a number or words), and the caller an apology and a person.
    """
    try:
        return answer(req) if kind == "answer" else step(req, kind, n)
    except Exception as error:
        db.session.rollback()
        log.error("call %s (%s) failed: %s", req.call_sid or "-", kind, where(error))
        try:
            return voice_handoff.apology(_language_of(req.phone), kind)
        except Exception as second:  # even the apology failed: a plain one, still TwiML
            db.session.rollback()
            log.error("call %s apology failed: %s", req.call_sid or "-", where(second))
            response = VoiceResponse()
            response.hangup()
            return str(response)


def answer(req: CallRequest) -> str:
    """A call comes in (`/twilio/voice`), or a step of a call we have no record of."""
    if not req.call_sid or req.phone is None:
        log.info("call %s without a usable number", req.call_sid or "-")
        return voice_handoff.no_number()
    call = calls.find(req.call_sid)
    if call is not None:
        return _replay(call, 0)
    person = people.touched(req.phone)
    flow = get_flow(FLOW)
    call = calls.start(req.call_sid, person, FLOW, flow.start)
    if call is None:  # the same call delivered twice at once: the other one answers
        db.session.rollback()
        return _replay(calls.find(req.call_sid), 0)
    command = "greet" if person.language else "welcome"
    turn = engine.step(flow, _vocabulary(), flow.start, {}, "", _actions(person), command)
    response = _respond(call, person, turn, 1)
    calls.save(call, turn.state, turn.data, response)
    db.session.commit()
    log.info("call %s answered", req.call_sid)
    return response


def step(req: CallRequest, kind: str, n: int | None) -> str:
    """Step `n` of a call: a key or silence ("step"), a <Dial> or a <Record> ended."""
    if kind != "step" and n is None and req.phone is not None:
        return _stateless(req, kind)  # the apology's handoff, outside the step count
    call = calls.find(req.call_sid) if req.call_sid else None
    if call is None:
        return answer(req) if kind == "step" or req.phone is None else _stateless(req, kind)
    if n is None or n != call.step + 1:
        return _replay(call, n)
    if not calls.claim_step(call, n):
        db.session.rollback()  # another delivery of this step acted; answer as it did
        return _replay(calls.find(req.call_sid), n)
    person = call.person
    if kind == "step":
        turn = engine.step(get_flow(FLOW), _vocabulary(), call.state, call.data or {},
                           req.text, _actions(person))  # fmt: skip
        state, data = turn.state, turn.data
        response = _respond(call, person, turn, n + 1)
    else:
        state, data = call.state, dict(call.data or {})
        response = voice_handoff.after(kind, req, person, data, n + 1)
    calls.save(call, state, data, response)
    db.session.commit()
    log.info("call %s step %d (%s)", req.call_sid, n, kind)
    return response


def _replay(call: Call, n: int | None) -> str:
    if n == call.step and call.last_response:
        return call.last_response
    language = people.language_of(call.person)
    if (call.data or {}).get(PHASE) or not call.last_response:
        return call.last_response or voice_handoff.goodbye(language)
    # An old or unexpected step: the current prompt again, acting on nothing.
    flow = get_flow(FLOW)
    prompts = engine.state_prompts(flow, call.state, dict(call.data or {}))
    try:
        return str(voice_twiml.gather(flow, prompts, language, url("step", call.step + 1)))
    except Unspeakable:
        return call.last_response


def _respond(call: Call, person: Person, turn: engine.Turn, n: int) -> str:
    """The turn as TwiML; on a handoff (or where nothing can be said) the way to a person."""
    language = people.language_of(person)
    prompts = turn.prompts
    interpreter = False
    if not turn.handoff:
        try:
            return str(voice_twiml.gather(get_flow(FLOW), prompts, language, url("step", n)))
        except Unspeakable as missing:
            log.warning("call %s: no voice or recording (%s): to a person", call.call_sid, missing)
            prompts = []
            # No voice at all: whoever calls back needs an interpreter, and staff see so.
            interpreter = voice_language.voice(language) is None
    response = VoiceResponse()
    voice_handoff.speak(response, prompts, language)
    voice_handoff.hand_over(response, person, turn.data, n, interpreter=interpreter)
    return str(response)


def _stateless(req: CallRequest, kind: str) -> str:
    """A <Dial> or <Record> from an apology, whose call record may not exist."""
    person = people.find_or_create(req.phone)
    response = voice_handoff.after(kind, req, person, {}, None)
    db.session.commit()
    return response


def _language_of(phone: str | None) -> str:
    """The caller's language for an apology, if the database can still tell us."""
    try:
        person = phone and db.session.scalar(sa.select(Person).where(Person.phone == phone))
        if person:
            return people.language_of(person)
    except Exception:  # the database may be what failed
        db.session.rollback()
    return current_app.config["DEFAULT_LANGUAGE"]


def _actions(person: Person) -> PersonActions:
    return PersonActions(person, utcnow(), channel="voice")


def _vocabulary():
    return vocabulary(get_flow(FLOW), tuple(current_app.config["LANGUAGES"]))
