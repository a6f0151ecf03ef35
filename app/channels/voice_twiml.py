"""The engine's prompts as TwiML: <Say> (slowed down) or <Play> inside a <Gather>.

A language with a TTS voice is spoken; one without is played from recorded prompts,
one file per prompt; a prompt with neither cannot be said (`Unspeakable`), and the
caller is then put through to a person instead of hearing the wrong language.

The language menu is the exception, since the caller has not chosen yet: each option
is said in its own language (its voice, else its recording, else the caller's voice
naming it: "For somali, press 2."), and what the caller's language cannot say is said
in the default language.
"""

import hashlib
import re
from urllib.parse import quote

from flask import current_app
from twilio.twiml.voice_response import Gather, VoiceResponse

from app import i18n
from app.channels import voice_language
from app.conversation.engine import OFFER, Prompt
from app.conversation.flow import LANGUAGE_CHOICE, Flow
from app.conversation.render import render
from app.i18n import N_

# The step URLs a TwiML answer names, by kind of step.
PATHS = {"step": "/twilio/voice/step", "dial": "/twilio/voice/dial-done",
         "recorded": "/twilio/voice/recorded"}  # fmt: skip
# Placeholders fixed by configuration, which a recorded prompt can contain.
_RECORDABLE = {"digit"}
_FIELD = re.compile(r"\{(\w+)\}")
# A language menu option for a language that can neither be spoken nor played: said in
# the caller's language (or the default one), with the language's name in that language.
OPTION_NAMED = N_("For {language}, press {digit}.")


class Unspeakable(Exception):
    """This prompt has no voice and no recording in this language."""


def url(kind: str, n: int | None) -> str:
    """The absolute URL of a step, as Twilio will call (and sign) it."""
    query = "" if n is None else f"?n={n}"
    return f"{current_app.config['PUBLIC_BASE_URL']}{PATHS[kind]}{query}"


def prompt_key(msgid: str) -> str:
    """The file name (without .mp3) of a prompt's recording: readable, and unique."""
    slug = re.sub(r"[^a-z0-9]+", "-", msgid.lower()).strip("-")[:48].rstrip("-")
    return f"{slug}-{hashlib.sha1(msgid.encode()).hexdigest()[:6]}"


def recording_url(language: str, msgid: str) -> str | None:
    """The public URL of a prompt's recording, if the file is there."""
    key = prompt_key(msgid)
    if not (current_app.config["VOICE_RECORDINGS_DIR"] / language / f"{key}.mp3").is_file():
        return None
    base = current_app.config["PUBLIC_BASE_URL"]
    return f"{base}/twilio/voice/prompts/{quote(language)}/{key}.mp3"


def recordable(flow: Flow) -> list[str]:
    """Every text of a voice flow that can be recorded, as its recording is keyed: the
    prompts without details, and the language menu's option for each key of a step
    ("For English, press 1." … "press 3.") and its "more" with the key after them."""
    texts, menu = [], set()
    for state in flow.states.values():
        if state.digits != LANGUAGE_CHOICE:
            continue
        per_step = state.per_step or len(current_app.config["LANGUAGES"])
        texts += [m.format(digit=k) for m in state.each_language for k in range(1, per_step + 1)]
        texts += [m.format(digit=per_step + 1) for m in state.more]
        menu |= {*state.each_language, *state.more}
    texts += [m for _, m in flow.prompts() if m not in menu and not _FIELD.findall(m)]
    return list(dict.fromkeys(texts))


def speak(parent, flow: Flow, prompts: list[Prompt], language: str) -> None:
    """Add each prompt to `parent` (a response or a Gather); raises Unspeakable."""
    offering = any(p.each_language for p in prompts)
    default = current_app.config["DEFAULT_LANGUAGE"]
    for prompt in prompts:
        if prompt.each_language:
            for digit, code in options(prompt):
                _offer(parent, flow, Prompt(prompt.msgid, {"digit": digit}), code, language)
            continue
        try:
            _speak_one(parent, flow, prompt, language)
        except Unspeakable:
            if not offering or language == default:
                raise
            _speak_one(parent, flow, prompt, default)


def options(prompt: Prompt) -> list[tuple[int, str]]:
    """(key, language) of each option of a language menu prompt: this step's, or all."""
    if OFFER in prompt.values:
        return [(int(digit), code) for digit, code in prompt.values[OFFER]]
    return list(enumerate(current_app.config["LANGUAGES"], 1))


def _offer(parent, flow: Flow, option: Prompt, code: str, caller: str) -> None:
    """One language's option: in its own voice or recording, else named by another."""
    try:
        _speak_one(parent, flow, option, code)
        return
    except Unspeakable:
        pass
    for speaker in dict.fromkeys((caller, current_app.config["DEFAULT_LANGUAGE"])):
        if voice_language.voice(speaker):
            text = i18n.gettext(speaker, OPTION_NAMED).format(
                language=i18n.name_in(code, speaker), digit=option.values["digit"]
            )
            say_text(parent, text, speaker)
            return
    # Nothing can name it: the key still chooses it.


def say_text(parent, text: str, language: str) -> None:
    """Speak a text with the language's voice, slowed down where the voice allows."""
    voice = voice_language.voice(language)
    if voice is None:
        raise Unspeakable(language)
    tag = voice_language.say_language(language)
    if voice_language.slows_down(voice):
        parent.say(voice=voice, language=tag).prosody(text, rate=current_app.config["VOICE_RATE"])
    else:
        parent.say(text, voice=voice, language=tag)


def _speak_one(parent, flow: Flow, prompt: Prompt, language: str) -> None:
    if voice_language.voice(language):
        for text in render(flow, [prompt], language):
            if text.strip():
                say_text(parent, text, language)
        return
    url = None
    if set(_FIELD.findall(prompt.msgid)) <= _RECORDABLE:
        key_msgid = prompt.msgid.format(**prompt.values) if prompt.values else prompt.msgid
        url = recording_url(language, key_msgid)
    if url is None:
        raise Unspeakable(f"{language}: {prompt_key(prompt.msgid)}")
    parent.play(url)


def gather(flow: Flow, prompts: list[Prompt], language: str, action: str) -> VoiceResponse:
    """Say the prompts and wait for one key, or a word where speech is understood."""
    config = current_app.config
    response = VoiceResponse()
    speech = voice_language.speech_language(language)
    options = {
        "input": "dtmf speech" if speech else "dtmf",
        "num_digits": 1,
        "timeout": config["GATHER_TIMEOUT"],
        "action": action,
        "method": "POST",
        "action_on_empty_result": True,
        "finish_on_key": "",  # `#` is a key of its own here: "back"
    }
    if speech:
        options.update(language=speech, speech_timeout="auto", hints=_hints(flow, language))
    listening = Gather(**options)
    speak(listening, flow, prompts, language)
    response.append(listening)
    # Twilio goes on here only if the Gather ended without calling its action.
    response.redirect(action, method="POST")
    return response


def _hints(flow: Flow, language: str) -> str:
    words = []
    for _, msgid in flow.keyword_msgids():
        words += i18n.keyword_words(language, msgid)
    return ", ".join(dict.fromkeys(w.lower() for w in words))
