"""A resident's whole conversation by SMS, through signed webhook requests."""

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import CallbackRequest, Conversation, Message, Person, SignUp
from app.sms_length import segments
from app.timeutil import local_zone, utcnow
from tests import factories
from tests.conftest import RESIDENT

OTHER = "+4792345678"


def person(phone=RESIDENT) -> Person:
    db.session.expire_all()
    return db.session.scalar(sa.select(Person).where(Person.phone == phone))


def test_first_contact_welcomes_and_offers_numbered_languages(ctx, sms):
    [reply] = sms("Hei")
    assert reply.startswith("Velkommen til Samtale")
    assert "\n1 Norsk bokmål\n2 Norsk nynorsk\n3 English\n" in reply
    assert person().language is None


def test_the_chosen_language_is_remembered_and_can_be_changed(ctx, sms):
    sms("Hei")
    [reply] = sms("3")
    assert reply.startswith("We will write to you in English.")
    assert person().language == "en"
    assert sms("hjelp")[0].startswith("ACTIVITIES: what is on")  # any language's word works
    assert "\n1 Norsk bokmål\n" in sms("LANGUAGE")[0]
    assert sms("1")[0].startswith("Vi skriver til deg på Norsk bokmål.")
    assert person().language == "nb"
    assert "1 Norsk bokmål" in sms("SPRÅK")[0]


def test_a_number_not_on_the_language_menu_is_answered_kindly(ctx, sms):
    sms("Hei")
    assert sms("12")[0].startswith("Det tallet står ikke på listen.")
    assert person().language is None


def test_a_command_on_first_contact_is_answered_in_its_language(ctx, sms):
    occurrence = factories.occurrence(capacity=5)
    [reply] = sms(f"JOIN {occurrence.code}")
    assert reply.startswith("You are signed up for Strikkekafé")
    assert person().language == "en"


def test_activities_are_listed_three_at_a_time_with_code_day_time_and_place(ctx, sms):
    codes = [factories.occurrence(f"Aktivitet {i}", timedelta(days=1 + i)).code for i in range(5)]
    sms("Hei")
    sms("1")
    [first] = sms("AKTIVITETER")
    lines = first.splitlines()
    assert [int(line.split()[0]) for line in lines[:3]] == codes[:3]
    assert all(" kl. " in line and line.endswith("Biblioteket") for line in lines[:3])
    assert "MER for flere" in lines[3]
    [second] = sms("mer")
    assert [int(line.split()[0]) for line in second.splitlines()[:2]] == codes[3:]
    assert "MER" not in second.splitlines()[-1]
    assert sms("MER")[0].startswith("Det var alt for nå.")
    assert segments(first) <= 2


def test_one_from_the_menu_lists_activities(ctx, sms):
    code = factories.occurrence().code
    sms("Hei")
    sms("1")
    assert sms("1")[0].startswith(f"{code} Strikkekafé")


def test_nothing_planned_offers_a_person(ctx, sms):
    sms("Hei"), sms("1")
    assert "RING" in sms("AKTIVITETER")[0]


def test_info_gives_place_organiser_cost_contact_and_directions(ctx, sms):
    code = factories.occurrence(
        address="Storgata 1", cost="50 kr", contact="Kari, 912 34 567",
        directions="Buss 2 til Torget, inngang fra parken.",
    ).code  # fmt: skip
    sms("Hei"), sms("1")
    [reply] = sms(f"INFO {code}")
    for part in ("Biblioteket, Storgata 1", "Fjordvik frivilligsentral", "50 kr",
                 "Kari, 912 34 567", "Buss 2 til Torget", f"MELD {code}"):  # fmt: skip
        assert part in reply
    assert segments(reply) <= 2
    assert sms("INFO 999")[0].startswith("Vi finner ikke aktivitet 999.")


def test_a_bare_code_tells_about_the_activity(ctx, sms):
    code = factories.occurrence().code
    sms("Hei"), sms("1")
    assert "Arrangør: Fjordvik frivilligsentral" in sms(str(code))[0]


def test_signing_up_respects_capacity_and_the_waiting_list(ctx, sms):
    code = factories.occurrence(capacity=1).code
    sms("Hei"), sms("1")
    sms("Hei", phone=OTHER), sms("1", phone=OTHER)
    assert sms(f"MELD {code}")[0].startswith("Du er påmeldt Strikkekafé")
    [waiting] = sms(f"meld {code}", phone=OTHER)
    assert "er full. Du er nummer 1 på ventelisten" in waiting
    assert sms(f"MELD {code}")[0].startswith("Du er allerede påmeldt")
    assert "som nummer 1" in sms(f"Meld{code}", phone=OTHER)[0]
    db.session.expire_all()
    statuses = sorted(db.session.scalars(sa.select(SignUp.status)))
    assert statuses == ["confirmed", "waiting"]


def test_my_sign_ups_lists_places_and_waiting_list(ctx, sms):
    first = factories.occurrence("Seniortrim", capacity=1)
    second = factories.occurrence("Konsert", timedelta(days=3), capacity=0)
    sms("Hei"), sms("1")
    assert sms("MINE")[0].startswith("Du er ikke påmeldt noe.")
    sms(f"MELD {first.code}"), sms(f"MELD {second.code}")
    [reply] = sms("MINE")
    assert f"{first.code} Seniortrim" in reply
    assert f"{second.code} Konsert" in reply and "(venteliste, nummer 1)" in reply


def test_cancelling_moves_the_waiting_list_up_and_tells_them_by_sms(
    ctx, sms, run_jobs, fake_twilio
):
    code = factories.occurrence(capacity=1).code
    sms("Hei"), sms("1")
    sms("Hei", phone=OTHER), sms("3", phone=OTHER)
    sms(f"MELD {code}")
    sms(f"JOIN {code}", phone=OTHER)
    assert sms(f"AVMELD {code}")[0].startswith("Du er meldt av Strikkekafé")
    run_jobs()
    [notice] = fake_twilio.bodies_to(OTHER)
    assert notice.startswith("Good news! A place opened up: you are now signed up for Strikkekafé")
    assert fake_twilio.bodies_to(RESIDENT) == []
    db.session.expire_all()
    assert db.session.scalar(sa.select(SignUp.status).join(SignUp.person)
                             .where(Person.phone == OTHER)) == "confirmed"  # fmt: skip
    assert sms(f"AVMELD {code}")[0].startswith("Du er ikke påmeldt aktivitet")


def test_cancel_with_a_code_cancels_but_cancel_alone_opts_out(ctx, sms):
    code = factories.occurrence(capacity=3).code
    sms("Hei"), sms("3")
    sms(f"JOIN {code}")
    assert sms(f"CANCEL {code}")[0].startswith("You are no longer signed up")
    assert not person().opted_out
    assert sms("CANCEL")[0].startswith("You will get no more messages")
    assert person().opted_out


def test_help_fits_two_segments_in_every_language(ctx, sms):
    sms("Hei"), sms("1")
    [norwegian] = sms("HJELP")
    assert "MELD 12: meld deg på" in norwegian and segments(norwegian) <= 2
    sms("SPRÅK"), sms("3")
    [english] = sms("help me")
    assert "JOIN 12: sign up" in english and segments(english) <= 2


def test_call_records_a_callback_request_with_the_language(ctx, sms):
    sms("Hei"), sms("3")
    assert sms("CALL")[0].startswith("Thank you. A person will call you")
    assert sms("ring meg")[0].startswith("We have your request")
    db.session.expire_all()
    [request] = db.session.scalars(sa.select(CallbackRequest)).all()
    assert (request.language, request.reason, request.status) == ("en", "asked", "open")


def test_three_from_the_menu_asks_for_a_person(ctx, sms):
    sms("Hei"), sms("1")
    assert sms("3")[0].startswith("Takk. En person ringer deg")


def test_not_understood_hints_then_offers_a_person_then_asks_one(ctx, sms):
    sms("Hei"), sms("1")
    [first] = sms("blablabla")
    assert first.startswith("Beklager, det forsto vi ikke.") and "RING" not in first
    [second] = sms("hva?")
    assert "Svar RING, så ringer en person deg" in second
    [third] = sms("???")
    assert third.startswith("Det er visst vanskelig å få til på SMS.")
    db.session.expire_all()
    [request] = db.session.scalars(sa.select(CallbackRequest)).all()
    assert request.reason == "stuck" and request.language == "nb"


def test_understood_input_resets_the_count(ctx, sms):
    sms("Hei"), sms("1")
    sms("blabla")
    sms("MENY")
    assert "RING" not in sms("blabla")[0]


def test_thanks_gets_a_short_kind_answer(ctx, sms):
    sms("Hei"), sms("1")
    assert sms("Tusen takk!")[0].startswith("Bare hyggelig!")


def test_conversation_state_is_kept_per_person(ctx, sms):
    sms("Hei"), sms("1")
    sms("AKTIVITETER")
    db.session.expire_all()
    conversation = db.session.scalar(sa.select(Conversation))
    assert conversation.key == f"sms:{person().id}" and conversation.state == "listing"


def test_every_message_in_and_out_is_stored(ctx, sms):
    sms("Hei")
    db.session.expire_all()
    kinds = [(m.direction, m.status) for m in db.session.scalars(sa.select(Message))]
    assert kinds == [("in", "received"), ("out", "replied")]


def test_signing_up_on_the_day_itself_promises_no_reminder_the_day_before(ctx, sms):
    now = utcnow()
    zone = local_zone()
    midnight = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(), zone)
    later_today = now + (midnight - now) / 2
    today = factories.occurrence(title="Kveldstur", starts_at=later_today).code
    tomorrow = factories.occurrence(title="Formiddagstreff", starts_in=timedelta(days=1)).code
    sms("Hei"), sms("1")
    [same_day] = sms(f"MELD {today}")
    assert "i dag kl." in same_day and "dagen før" not in same_day
    assert "dagen før" in sms(f"MELD {tomorrow}")[0]
