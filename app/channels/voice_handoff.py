"""The way to a person on the phone: staff on duty (<Dial>), or a message (<Record>)
that becomes a callback request, and the words said around them.

A callback request is made as soon as the caller is offered the tone, not when the
recording arrives: a caller who hangs up first still gets a call.
"""

import logging

from flask import current_app
from twilio.twiml.voice_response import VoiceResponse

from app.channels import voice_twiml
from app.channels.voice_twiml import Unspeakable, url
from app.conversation.engine import Prompt
from app.conversation.flow import get_flow
from app.models import Person
from app.services import callbacks, opening_hours, people, voice_callbacks
from app.timeutil import local_zone, utcnow

log = logging.getLogger(__name__)
FLOW = "voice"
PHASE = "phase"  # call data: "dial" or "record" once the engine has handed over
INTERPRETER = "interpreter"  # call data: the caller needs an interpreter
TALKED = {"completed", "answered"}  # DialCallStatus when staff picked up
_RECORD_SILENCE = 10  # seconds of silence that end a message: people pause to think


def staff_on_duty(now=None) -> bool:
    """Whether a call can be put through now: a staff number, within opening hours."""
    config = current_app.config
    if not config["STAFF_PHONE"]:
        return False
    try:
        hours = opening_hours.parse(config["OPENING_HOURS"])
    except opening_hours.OpeningHoursError as error:
        log.error("OPENING_HOURS cannot be read (%s): taking messages instead", error)
        return False
    return hours.is_open(now or utcnow(), local_zone())


def speak(response, prompts: list[Prompt], language: str) -> None:
    """Say what can be said; a handoff goes ahead even where nothing can be.

    What the caller's language can neither speak nor play is said in the default
    language: before a tone or a transfer, words the caller may half understand are
    kinder than silence.
    """
    default = current_app.config["DEFAULT_LANGUAGE"]
    for prompt in prompts:
        for speaker in dict.fromkeys((language, default)):
            try:
                voice_twiml.speak(response, get_flow(FLOW), [prompt], speaker)
                break
            except Unspeakable:
                continue


def say(response, name: str, language: str) -> None:
    """One of the flow's `texts` ("connect", "promise" …)."""
    speak(response, [Prompt(get_flow(FLOW).texts[name])], language)


def hand_over(
    response: VoiceResponse, person: Person, data: dict, n: int | None, interpreter: bool = False
) -> None:
    """Put the caller through to staff on duty, or take a message when there is none.

    `interpreter`: the caller's language has no voice and the prompts no recording, so
    whoever helps will need an interpreter. A callback request says so (and the
    language) at once, even when the call is put through: a call without a shared
    language usually ends in arranging one.
    """
    if interpreter:
        language = people.language_of(person)
        request = voice_callbacks.ask_for_person(person, language)
        callbacks.note_interpreter(request, language)
        data[INTERPRETER] = True
        say(response, "interpreter", language)
    if staff_on_duty():
        data[PHASE] = "dial"
        dial(response, people.language_of(person), n)
    else:
        take_message(response, person, data, "closed", n)


def dial(response: VoiceResponse, language: str, n: int | None) -> None:
    config = current_app.config
    say(response, "connect", language)
    call = response.dial(action=url("dial", n), method="POST",
                         caller_id=config["TWILIO_FROM_NUMBER"] or None,
                         timeout=config["DIAL_TIMEOUT"])  # fmt: skip
    call.number(config["STAFF_PHONE"])


def take_message(response, person: Person, data: dict, text: str, n: int | None) -> None:
    request = voice_callbacks.ask_for_person(person, people.language_of(person))
    data[PHASE], data["callback"] = "record", request.id
    record(response, text, people.language_of(person), n)


def record(response: VoiceResponse, text: str, language: str, n: int | None) -> None:
    say(response, text, language)
    response.record(action=url("recorded", n), method="POST", play_beep=True,
                    max_length=current_app.config["RECORD_MAX_SECONDS"],
                    timeout=_RECORD_SILENCE, finish_on_key="#")  # fmt: skip
    # Twilio goes on here when nothing was recorded, without calling the action.
    response.redirect(url("recorded", n), method="POST")


def after(kind: str, req, person: Person, data: dict, n: int | None) -> str:
    """A <Dial> ended ("dial") or a message was left ("recorded")."""
    response = VoiceResponse()
    language = people.language_of(person)
    if kind == "dial" and req.dial_status not in TALKED:
        take_message(response, person, data, "busy", n)
    elif kind == "recorded":
        request = voice_callbacks.ask_for_person(person, language)
        voice_callbacks.attach_recording(request, req.recording_url)
        say(response, "promise", language)
        response.hangup()
    else:
        return goodbye(language)
    return str(response)


def goodbye(language: str) -> str:
    response = VoiceResponse()
    say(response, "goodbye", language)
    response.hangup()
    return str(response)


def apology(language: str, kind: str) -> str:
    """Something broke on our side: say so, and go to a person without the database.

    The <Dial>/<Record> it names carry no step number: what follows acts by itself.
    """
    response = VoiceResponse()
    say(response, "sorry", language)
    if staff_on_duty():
        dial(response, language, None)
    elif kind == "recorded":  # the message could not be kept: do not ask for it again
        say(response, "try_later", language)
        response.hangup()
    else:
        record(response, "closed", language, None)
    return str(response)


def no_number() -> str:
    """A hidden number: we cannot call back, so connect if we can, else say so kindly."""
    language = current_app.config["DEFAULT_LANGUAGE"]
    response = VoiceResponse()
    if staff_on_duty():
        say(response, "connect", language)
        response.dial(current_app.config["STAFF_PHONE"],
                      timeout=current_app.config["DIAL_TIMEOUT"],
                      caller_id=current_app.config["TWILIO_FROM_NUMBER"] or None)  # fmt: skip
    else:
        say(response, "no_number", language)
    response.hangup()
    return str(response)
