"""What the phone can do in each language: a voice to speak it, recognising speech.

The facts about Twilio (speech recognition, <Say> language) are in the languages
table (`app/languages.py`); the voice itself is configuration (VOICE_<LANG>).
"""

from flask import current_app

from app import languages

# Only these voices read SSML <prosody>; Twilio's basic man/woman/alice do not.
_PROSODY_PREFIXES = ("Polly.", "Google.")


def voice(language: str) -> str | None:
    """The configured TTS voice for a language, or None where there is none."""
    return current_app.config["VOICES"].get(language) or None


def speech_language(language: str) -> str | None:
    """Twilio's speech recognition language (<Gather language>); None: keypad only."""
    row = languages.get(language)
    return row.speech if row else None


def say_language(language: str) -> str | None:
    """The `language` of <Say> for the language's voice."""
    row = languages.get(language)
    return row.say if row else None


def slows_down(voice_name: str) -> bool:
    return voice_name.startswith(_PROSODY_PREFIXES)
