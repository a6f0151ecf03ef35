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


def test_the_language_menu_names_an_option_it_cannot_play(ctx, voice_call, somali):
    call = voice_call()

    assert call.gather.find("Play") is None
    assert "For somali, trykk 3." in call.said  # in the caller's voice, by its Norwegian name
    call.press("3")  # Somali; nothing more can be said in it: a person, with an interpreter
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


# --- the language menu in steps --------------------------------------------------------------


def options(call) -> list[tuple[str, str]]:
    """(<Say> language, text) of each thing the current <Gather> says or plays."""
    found = []
    for verb in call.gather:
        text = "".join(verb.itertext()).strip()
        found.append((verb.get("language") or "play", text))
    return found


def test_no_step_of_the_language_menu_offers_more_than_four_keys(ctx, voice_call):
    call = voice_call()  # a Norwegian number: the usual order
    steps = []
    for _ in range(5):
        said = call.said
        keys = {k for k in "123456789" if f"press {k}" in said or f"trykk {k}" in said}
        steps.append((said, keys))
        call.press("4")
    assert all(keys <= {"1", "2", "3", "4"} for _, keys in steps)
    first, second, third, fourth, again = (said for said, _ in steps)
    assert "For norsk, trykk 1." in first and "For English, press 3." in first
    assert "For flere språk, trykk 4." in first
    assert "For English" not in second and "For flere språk, trykk 4." in second
    assert first.endswith(again)  # after the last step, the first again (no welcome)


def test_a_language_on_a_later_step_is_chosen_by_its_key_there(ctx, voice_call):
    call = voice_call().press("4")  # pl, lt, uk
    assert [lang for lang, _ in options(call)][1:4] == ["pl-PL", "lt-LT", "uk-UA"]

    call.press("1")

    assert db.session.scalar(sa.select(Person.language)) == "pl"
    assert call.gather.get("language") == "pl-PL"


def test_star_and_a_wrong_key_keep_the_step_the_caller_is_on(ctx, voice_call):
    call = voice_call().press("4")
    second = call.said
    assert call.press("*").said == second
    call.press("8")
    assert "For flere språk, trykk 4." in call.said
    assert "pl-PL" in {language for language, _ in options(call)}


@pytest.mark.parametrize(
    "phone, voice, language",
    [("+48601234567", "pl-PL", "pl"), ("+380501234567", "uk-UA", "uk"),
     ("+963944123456", "ar-AE", "ar"), ("+9647701234567", "ar-AE", "ar"),
     ("+201001234567", "ar-AE", "ar"), ("+4791234567", "nb-NO", "nb")],
)  # fmt: skip
def test_the_language_of_the_callers_country_is_offered_first(ctx, voice_call, phone, voice,
                                                              language):  # fmt: skip
    call = voice_call(phone)

    welcome, choose, first = options(call)[:3]
    assert first[0] == voice and "1" in first[1]
    call.press("1")
    assert db.session.scalar(sa.select(Person.language)) == language


@pytest.mark.parametrize("phone, name, language",
                         [("+252612345678", "somali", "so"), ("+2917123456", "tigrinja", "ti"),
                          ("+923001234567", "urdu", "ur"), ("+989121234567", "persisk", "fa"),
                          ("+93701234567", "persisk", "fa")])  # fmt: skip
def test_a_language_without_a_voice_is_offered_first_by_its_name(ctx, voice_call, phone, name,
                                                                 language):  # fmt: skip
    call = voice_call(phone)

    # Neither a voice nor a recording: the caller hears it named, in the default voice.
    assert f"For {name}, trykk 1." in call.said
    call.press("1")
    assert db.session.scalar(sa.select(Person.language)) == language


def test_saying_a_languages_name_chooses_it(ctx, voice_call):
    call = voice_call().say("polski")

    assert db.session.scalar(sa.select(Person.language)) == "pl"
    assert call.gather.get("language") == "pl-PL"


def test_choosing_a_language_nobody_can_speak_asks_a_person_with_an_interpreter(ctx, voice_call):
    call = voice_call().press("4").press("4")  # ar, so, ti
    call.press("2")  # Soomaali: no voice, and no recordings here

    assert db.session.scalar(sa.select(Person.language)) == "so"
    assert call.gather is None and call.verb("Record") is not None
    # Said in the default language rather than not at all, before the tone.
    assert "Vi finner en person som kan snakke med deg gjennom en tolk." in call.said
    db.session.expire_all()
    [request] = db.session.scalars(sa.select(CallbackRequest)).all()
    assert request.language == "so" and request.channel == "voice"
    assert "Trenger tolk: ringte på somali" in request.note
    call.record("https://api.twilio.com/rec/RE1")
    db.session.expire_all()
    [request] = db.session.scalars(sa.select(CallbackRequest)).all()
    assert request.note.count("Trenger tolk") == 1 and request.recording_url.endswith("RE1")


def test_a_recording_of_an_option_is_keyed_by_its_key_on_the_step(ctx, app, voice_call, tmp_path):
    app.config["VOICE_RECORDINGS_DIR"] = tmp_path
    played = record(tmp_path, "so", "For English, press 2.")  # Soomaali is 2nd on step 3

    call = voice_call().press("4").press("4")

    assert [p.text for p in call.gather.iter("Play")] == [played]
    assert "For somali" not in call.said


def test_flows_recordings_lists_each_file_a_language_needs(app, runner, tmp_path):
    app.config["VOICE_RECORDINGS_DIR"] = tmp_path
    with app.app_context():
        record(tmp_path, "so", WELCOME)

    output = runner.invoke(args=["flows", "recordings", "so"]).output

    assert f"ok      {tmp_path}/so/{prompt_key(WELCOME)}.mp3" in output
    for text in ("For English, press 1.", "For English, press 3.", "For more languages, press 4.",
                 MENU):  # fmt: skip
        assert f"missing {tmp_path}/so/{prompt_key(text)}.mp3" in output
    assert prompt_key("For English, press 4.") not in output  # key 4 is "more languages"
    assert "{" not in output  # prompts with an activity's details cannot be recorded


def test_a_spoken_arabic_indic_digit_is_a_key(ctx, voice_call):
    voice_call().say("٣")  # speech recognition writes digits in the language's own script

    assert db.session.scalar(sa.select(Person.language)) == "en"
