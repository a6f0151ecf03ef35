"""Whole phone calls, walked the way Twilio walks them: post, read the TwiML, follow it."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Call, CallbackRequest, Message, Person, SignUp
from tests import factories
from tests.conftest import RESIDENT, SERVICE_NUMBER

LANDLINE = "+4722123456"  # an Oslo number: no text messages
STAFF = "+4791999999"
ALWAYS_OPEN = "mon-sun 00:00-24:00"
NEVER_OPEN = "2000-01-01 09:00-10:00"  # one day long ago: closed every day now
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE123"


def person(phone=RESIDENT) -> Person:
    db.session.expire_all()
    return db.session.scalar(sa.select(Person).where(Person.phone == phone))


def known(phone=RESIDENT, language="nb") -> Person:
    """A caller who chose a language before (by SMS or on an earlier call)."""
    db.session.add(Person(phone=phone, language=language))
    db.session.commit()
    return person(phone)


def signups(phone=RESIDENT) -> list[SignUp]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SignUp).join(Person).where(Person.phone == phone)))


def callbacks() -> list[CallbackRequest]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(CallbackRequest)))


@pytest.fixture
def staff(app):
    """Staff on duty: a number to put callers through to, open all day."""
    app.config.update(STAFF_PHONE=STAFF, OPENING_HOURS=ALWAYS_OPEN)


@pytest.fixture
def closed(app):
    app.config.update(STAFF_PHONE=STAFF, OPENING_HOURS=NEVER_OPEN)


# Languages


def test_a_new_caller_hears_each_language_offered_in_itself(ctx, voice_call):
    call = voice_call()

    says = call.gather.findall("Say")
    spoken = [(s.get("language"), s.get("voice"), "".join(s.itertext())) for s in says]
    assert ("nb-NO", "Polly.Ida-Neural", "For norsk, trykk 1.") in spoken
    assert ("en-GB", "Polly.Amy-Neural", "For English, press 3.") in spoken
    assert call.gather.get("input") == "dtmf speech" and call.gather.get("numDigits") == "1"
    assert int(call.gather.get("timeout")) > 5  # longer than Twilio's default, for elderly callers
    assert call.gather.get("actionOnEmptyResult") == "true"


def test_choosing_a_language_keeps_it_and_the_menu_follows_in_it(ctx, voice_call):
    call = voice_call().press("3")

    assert person().language == "en"
    assert "To hear what is on, press 1." in call.said
    assert call.gather.get("language") == "en-GB"
    assert {s.get("voice") for s in call.gather.iter("Say")} == {"Polly.Amy-Neural"}


def test_a_known_caller_is_greeted_in_their_language_without_the_language_menu(ctx, voice_call):
    known(language="en")

    call = voice_call()

    assert call.said.startswith("Welcome to Samtale. To hear what is on, press 1.")
    assert "norsk" not in call.said


def test_speech_is_slowed_down_with_ssml_prosody(ctx, voice_call):
    known()

    call = voice_call()

    prosody = call.gather.find("Say/prosody")
    assert prosody is not None and prosody.get("rate") == "85%"
    assert prosody.text.startswith("Velkommen til Samtale.")


def test_a_key_not_on_the_language_menu_asks_again(ctx, voice_call):
    call = voice_call().press("5")

    assert call.said.startswith("Den tasten står ikke på listen.")
    assert "For English, press 3." in call.said
    assert person().language is None


# Activities


def test_activities_are_read_one_at_a_time_and_one_signs_up(ctx, voice_call, run_jobs,
                                                            fake_twilio):  # fmt: skip
    occurrence = factories.occurrence("Strikkekafé", place="Biblioteket", capacity=5)
    known()

    call = voice_call().press("1")
    assert call.said.startswith("Strikkekafé. ")
    assert "klokken" in call.said and "Sted: Biblioteket." in call.said
    assert "Trykk 1 eller si ja for å melde deg på." in call.said

    call.press("1")
    assert call.said.startswith("Du er påmeldt Strikkekafé,")
    assert "Vi har også sendt deg en tekstmelding om det." in call.said
    [signup] = signups()
    assert signup.status == "confirmed" and signup.occurrence_id == occurrence.id

    run_jobs()
    [text] = fake_twilio.bodies_to(RESIDENT)
    assert text.startswith("Du er påmeldt Strikkekafé")  # the same words as a text sign-up
    assert f"AVMELD {occurrence.code}" in text


def test_a_landline_caller_is_signed_up_without_a_text(ctx, voice_call, run_jobs, fake_twilio):
    factories.occurrence(capacity=5)
    known(LANDLINE)

    call = voice_call(LANDLINE).press("1").press("1")

    assert call.said.startswith("Du er påmeldt Strikkekafé,")
    assert "tekstmelding" not in call.said
    assert len(signups(LANDLINE)) == 1
    run_jobs()
    assert fake_twilio.messages == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_a_full_activity_puts_the_caller_on_the_waiting_list(ctx, voice_call):
    occurrence = factories.occurrence(capacity=0)
    known()

    call = voice_call().press("1").press("1")

    assert "er fullt. Du er nummer 1 på ventelisten." in call.said
    assert [s.status for s in signups()] == ["waiting"]
    assert occurrence.booked == 0


def test_next_previous_and_back(ctx, voice_call):
    factories.occurrence("Kafé", starts_in=timedelta(days=1))
    factories.occurrence("Turgruppe", starts_in=timedelta(days=2))
    known()

    call = voice_call().press("1")
    assert call.said.startswith("Kafé.")
    assert call.press("2").said.startswith("Turgruppe.")
    assert call.press("2").said.startswith("Det var den siste.")
    assert call.press("3").said.startswith("Kafé.")
    assert call.press("3").said.startswith("Dette er den første.")
    call.press("#")
    assert call.said.startswith("Trykk 1 for å høre hva som skjer.")
    assert signups() == []


def test_signing_up_takes_the_activity_that_was_read(ctx, voice_call):
    factories.occurrence("Kafé", starts_in=timedelta(days=1))
    second = factories.occurrence("Turgruppe", starts_in=timedelta(days=2))
    known()

    voice_call().press("1").press("2").press("1")

    assert [s.occurrence_id for s in signups()] == [second.id]


def test_nothing_planned_is_said_and_the_menu_follows(ctx, voice_call):
    known()

    call = voice_call().press("1")

    assert call.said.startswith("Det er ikke planlagt noe de neste ukene. Trykk 1")


def test_star_repeats_what_was_said_without_doing_it_again(ctx, voice_call):
    factories.occurrence(capacity=5)
    known()
    call = voice_call().press("1").press("1")
    first = call.said

    assert call.press("*").said == first
    assert len(signups()) == 1
    assert call.press("*").said == first


def test_star_on_the_menu_repeats_the_menu(ctx, voice_call):
    known()
    call = voice_call()

    assert (
        call.press("*").said
        == call.said
        == (
            "Velkommen til Samtale. Trykk 1 for å høre hva som skjer. Trykk 2 for å høre "
            "påmeldingene dine. Trykk 0 for å snakke med en person. Trykk stjerne for å høre "
            "dette en gang til."
        )
    )


# Speech


def test_saying_yes_works_like_pressing_one(ctx, voice_call):
    factories.occurrence(capacity=5)
    known()

    call = voice_call().press("1").say("Ja.")

    assert call.said.startswith("Du er påmeldt")
    assert len(signups()) == 1


def test_saying_a_number_word_chooses_like_the_key(ctx, voice_call):
    call = voice_call().say("en")

    assert person().language == "nb"
    assert call.said.startswith("Trykk 1 for å høre hva som skjer.")


def test_saying_a_keyword_works_from_the_menu(ctx, voice_call):
    factories.occurrence("Strikkekafé")
    known()

    assert voice_call().say("aktiviteter").said.startswith("Strikkekafé.")


def test_speech_hints_are_the_words_of_the_callers_language(ctx, voice_call):
    known()

    hints = voice_call().gather.get("hints").split(", ")

    assert {"ja", "nei", "en", "to", "stjerne", "aktiviteter"} <= set(hints)


# My sign-ups


def test_my_sign_ups_are_read_and_one_is_cancelled_after_a_yes(ctx, voice_call):
    kafe = factories.occurrence("Kafé", starts_in=timedelta(days=1), capacity=5)
    tur = factories.occurrence("Turgruppe", starts_in=timedelta(days=2), capacity=5)
    known()
    voice_call().press("1").press("1").press("2").press("1")
    assert len(signups()) == 2

    call = voice_call().press("2")
    assert call.said.startswith("Du er påmeldt Kafé.")
    assert call.press("2").said.startswith("Du er påmeldt Turgruppe.")
    assert call.press("1").said.startswith("Vil du melde deg av Turgruppe,")
    call.say("ja")

    assert call.said.startswith("Du er ikke lenger påmeldt Turgruppe,")
    assert {s.occurrence_id: s.status for s in signups()} == {
        kafe.id: "confirmed",
        tur.id: "cancelled",
    }


def test_saying_no_keeps_the_place(ctx, voice_call):
    factories.occurrence("Kafé", capacity=5)
    known()
    voice_call().press("1").press("1")

    call = voice_call().press("2").press("1").press("2")

    assert call.said.startswith("Du beholder plassen din.")
    assert [s.status for s in signups()] == ["confirmed"]


def test_no_sign_ups_is_said_plainly(ctx, voice_call):
    known()

    assert voice_call().press("2").said.startswith("Du er ikke påmeldt noe.")


# Wrong keys and silence


def test_a_wrong_key_once_gets_a_hint_and_the_choices_again(ctx, voice_call):
    known()

    call = voice_call().press("9")

    assert call.said.startswith("Beklager, den tasten virker ikke her. Trykk 1 for å høre")
    assert callbacks() == []


def test_silence_once_asks_again(ctx, voice_call):
    known()

    call = voice_call().silence()

    assert call.said.startswith("Jeg hørte ikke noe. Trykk 1 for å høre")


def test_a_right_key_in_between_starts_the_count_again(ctx, voice_call, closed):
    known()

    call = voice_call().press("9").press("*").press("9")

    assert call.gather is not None and call.verb("Record") is None


@pytest.mark.parametrize("first, second", [("9", "9"), ("", ""), ("9", ""), ("", "7")])
def test_twice_in_a_row_leads_to_a_person(ctx, voice_call, closed, first, second):
    known()
    call = voice_call()

    for key in (first, second):
        call.press(key) if key else call.silence()

    assert call.said.startswith("Jeg skal finne en person som kan hjelpe deg.")
    assert call.verb("Record") is not None
    [request] = callbacks()
    assert (request.reason, request.channel, request.language) == ("voice", "voice", "nb")


# The way to a person


def test_zero_in_opening_hours_puts_the_caller_through_to_staff(ctx, voice_call, staff):
    known()

    call = voice_call().press("0")

    assert call.said == "Vent litt, så setter jeg deg over til en person."
    dial = call.verb("Dial")
    assert dial.find("Number").text == STAFF
    assert dial.get("callerId") == SERVICE_NUMBER
    assert dial.get("timeout") == "25"
    assert callbacks() == []


def test_when_staff_answer_the_call_ends_kindly_without_a_callback(ctx, voice_call, staff):
    known()

    call = voice_call().press("0").dial_done("completed")

    assert call.said == "Takk for at du ringte. Ha det bra."
    assert call.hung_up
    assert callbacks() == []


def test_when_nobody_answers_a_message_becomes_a_callback_request(ctx, voice_call, staff):
    known(language="en")

    call = voice_call().press("0").dial_done("no-answer")
    assert call.said.startswith("Nobody could answer right now. After the tone")
    record = call.verb("Record")
    assert record.get("playBeep") == "true" and record.get("maxLength") == "120"

    call.record(RECORDING)
    assert call.said == ("Thank you. A person will call you on this number, usually within "
                         "one working day. Goodbye.")  # fmt: skip
    assert call.hung_up
    [request] = callbacks()
    assert (request.reason, request.channel) == ("voice", "voice")
    assert request.recording_url == RECORDING and request.language == "en"
    assert request.person.phone == RESIDENT


def test_outside_opening_hours_the_caller_leaves_a_message_at_once(ctx, voice_call, closed):
    known()

    call = voice_call().press("0")

    assert call.verb("Dial") is None
    assert call.said.startswith("Det er ingen her som kan svare akkurat nå.")
    call.record(RECORDING)
    assert call.said.startswith("Takk. En person ringer deg på dette nummeret")
    assert [r.recording_url for r in callbacks()] == [RECORDING]


def test_without_a_staff_number_there_is_never_a_dial(ctx, app, voice_call):
    app.config.update(STAFF_PHONE="", OPENING_HOURS=ALWAYS_OPEN)
    known()

    call = voice_call().press("0")

    assert call.verb("Dial") is None and call.verb("Record") is not None


def test_a_caller_who_records_nothing_still_gets_a_callback(ctx, voice_call, closed):
    known()

    call = voice_call().press("0").record(None)

    assert call.said.startswith("Takk. En person ringer deg")
    [request] = callbacks()
    assert request.recording_url is None and request.status == "open"


def test_a_caller_who_hangs_up_before_the_tone_still_gets_a_callback(ctx, voice_call, closed):
    known()

    voice_call().press("0")  # and then no more requests: the caller has hung up

    assert len(callbacks()) == 1


def test_saying_a_word_for_a_person_works_like_zero(ctx, voice_call, staff):
    known()

    assert voice_call().say("snakke").verb("Dial") is not None


def test_a_second_call_adds_its_message_to_the_open_request(ctx, voice_call, closed):
    known()
    voice_call().press("0").record(RECORDING)

    voice_call().press("0").record(RECORDING + "2")

    [request] = callbacks()
    assert request.recording_url == RECORDING
    assert RECORDING + "2" in request.note


def test_a_bad_opening_hours_setting_takes_a_message_rather_than_failing(ctx, app, voice_call,
                                                                         caplog):  # fmt: skip
    app.config.update(STAFF_PHONE=STAFF, OPENING_HOURS="weekdays 9 to 3")
    known()

    call = voice_call().press("0")

    assert call.verb("Record") is not None
    assert "OPENING_HOURS cannot be read" in caplog.text


def test_the_call_is_kept_server_side_by_call_sid(ctx, voice_call):
    known()
    call = voice_call().press("1")

    db.session.expire_all()
    row = db.session.scalar(sa.select(Call).where(Call.call_sid == call.sid))
    assert (row.flow, row.state, row.step) == ("voice", "menu", 1)
    assert row.last_response == call.responses[-1].decode()
