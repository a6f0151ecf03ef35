"""Voices per language: slowed-down TTS where there is a voice, recorded prompts where
there is none, and a person when neither can speak to the caller."""

import pytest
import sqlalchemy as sa

from app.channels.voice_twiml import prompt_key
from app.extensions import db
from app.models import CallbackRequest, Person
from tests.conftest import PUBLIC_BASE_URL, RESIDENT

WELCOME = "Welcome to Samtale."
MENU = ("To hear what is on, press 1. To hear your sign-ups, press 2. To talk to a person, "
        "press 0. To hear this again, press star.")  # fmt: skip


@pytest.fixture
def somali(app, tmp_path):
    """Somali enabled: no TTS voice and no speech recognition; recordings in tmp_path."""
    app.config.update(LANGUAGES=["nb", "en", "so"], VOICE_RECORDINGS_DIR=tmp_path)
    app.config["VOICES"] = {**app.config["VOICES"], "so": ""}
    return tmp_path


def record(folder, language: str, msgid: str) -> str:
    (folder / language).mkdir(exist_ok=True)
    (folder / language / f"{prompt_key(msgid)}.mp3").write_bytes(b"ID3 fake mp3")
    return f"{PUBLIC_BASE_URL}/twilio/voice/prompts/{language}/{prompt_key(msgid)}.mp3"


def caller(language: str) -> None:
    db.session.add(Person(phone=RESIDENT, language=language))
    db.session.commit()


def test_prompt_keys_are_readable_stable_file_names():
    assert prompt_key(WELCOME) == prompt_key(WELCOME)
    assert prompt_key(WELCOME).startswith("welcome-to-samtale-")
    assert prompt_key(MENU) != prompt_key(MENU + " ")
    assert len(prompt_key(MENU)) <= 55


def test_a_language_without_a_voice_plays_recorded_prompts(ctx, voice_call, somali):
    welcome, menu = record(somali, "so", WELCOME), record(somali, "so", MENU)
    caller("so")

    call = voice_call()

    assert [p.text for p in call.gather.iter("Play")] == [welcome, menu]
    assert call.gather.find("Say") is None
    # No speech recognition for Somali: the keypad only, and no `language` to mislead it.
    assert call.gather.get("input") == "dtmf" and call.gather.get("language") is None


def test_a_language_with_neither_voice_nor_recording_goes_to_a_person(ctx, voice_call, somali):
    caller("so")

    call = voice_call()

    assert call.gather is None
    assert call.verb("Record") is not None
    db.session.expire_all()
    [request] = db.session.scalars(sa.select(CallbackRequest)).all()
    assert request.language == "so" and request.channel == "voice"


def test_a_prompt_with_details_cannot_be_recorded_so_a_person_takes_over(ctx, voice_call,
                                                                        somali):  # fmt: skip
    from tests import factories

    factories.occurrence()
    record(somali, "so", WELCOME), record(somali, "so", MENU)
    caller("so")

    call = voice_call().press("1")  # an activity's title and time cannot be pre-recorded

    assert call.verb("Record") is not None


def test_the_language_menu_plays_a_recorded_option_for_a_language_without_voice(
    ctx, voice_call, somali
):
    option = record(somali, "so", "For English, press 3.")

    call = voice_call()

    assert [p.text for p in call.gather.iter("Play")] == [option]
    assert "For English, press 2." in call.said


def test_the_language_menu_leaves_out_an_option_it_cannot_say(ctx, voice_call, somali):
    call = voice_call()

    assert call.gather.find("Play") is None
    assert "press 3" not in call.said
    call.press("3")  # the key still chooses Somali; nothing more can be said in it
    assert db.session.scalar(sa.select(Person.language)) == "so"
    assert call.verb("Record") is not None


def test_a_basic_voice_is_not_sent_ssml(ctx, app, voice_call):
    app.config["VOICES"] = {**app.config["VOICES"], "en": "alice"}
    caller("en")

    say = voice_call().gather.find("Say")

    assert say.get("voice") == "alice" and say.find("prosody") is None
    assert say.text.startswith(WELCOME)


def test_the_voice_comes_from_configuration(ctx, app, voice_call):
    app.config["VOICES"] = {**app.config["VOICES"], "nb": "Google.nb-NO-Wavenet-A"}
    caller("nb")

    assert voice_call().gather.find("Say").get("voice") == "Google.nb-NO-Wavenet-A"


def test_recorded_prompts_are_served(client, somali):
    url = record(somali, "so", WELCOME)

    response = client.get(url.removeprefix(PUBLIC_BASE_URL))

    assert response.status_code == 200 and response.mimetype == "audio/mpeg"
    assert response.data == b"ID3 fake mp3"


@pytest.mark.parametrize("path", ["so/..%2F..%2Fsecret.mp3", "so/missing.mp3", "so/x.txt",
                                  "..%2F/x.mp3"])  # fmt: skip
def test_nothing_else_is_served_as_a_prompt(client, somali, path):
    (somali / "secret.mp3").write_bytes(b"no")

    response = client.get(f"/twilio/voice/prompts/{path}", follow_redirects=True)

    assert response.status_code == 404
