"""What the phone can do in each language: a voice to speak it, recognising speech.

A table in code, since it is a fact about Twilio rather than a choice of ours
(TWILIO_NOTES.md); the voice itself is configuration (VOICE_<LANG>).
"""

from flask import current_app

# Twilio speech recognition: the `language` of <Gather input="dtmf speech">.
# None for Somali and Tigrinya, so callers in those languages use the keypad.
SPEECH = {
    "nb": "nb-NO", "en": "en-GB", "pl": "pl-PL", "lt": "lt-LT", "uk": "uk-UA",
    "ar": "ar-EG", "ur": "ur-PK", "fa": "fa-IR",
}  # fmt: skip
# The `language` of <Say> for each language that has a voice.
SAY = {
    "nb": "nb-NO", "en": "en-GB", "pl": "pl-PL", "lt": "lt-LT", "uk": "uk-UA", "ar": "ar-EG",
}  # fmt: skip
# Only these voices read SSML <prosody>; Twilio's basic man/woman/alice do not.
_PROSODY_PREFIXES = ("Polly.", "Google.")


def voice(language: str) -> str | None:
    """The configured TTS voice for a language, or None where there is none."""
    return current_app.config["VOICES"].get(language) or None


def speech_language(language: str) -> str | None:
    return SPEECH.get(language)


def say_language(language: str) -> str | None:
    return SAY.get(language)


def slows_down(voice_name: str) -> bool:
    return voice_name.startswith(_PROSODY_PREFIXES)
