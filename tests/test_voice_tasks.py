"""Volunteer requests on the phone: only volunteers hear the choice; 1 yes, 2 no, 3 next."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Message, Person, TaskOffer
from app.services import tasks
from tests import factories
from tests.task_helpers import ask

ANNE, BJORN = "+4791100001", "+4791100002"
LANDLINE = "+4722100003"
VOLUNTEER_CHOICE = "Trykk 3 for forespørsler om hjelp som frivillig."


@pytest.fixture(autouse=True)
def no_quiet_hours(app):
    app.config["QUIET_HOURS"] = "0-0"


def offer_status(phone: str) -> str:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(TaskOffer.status).join(Person, TaskOffer.person_id == Person.id)
        .where(Person.phone == phone)
    )  # fmt: skip


def texts(phone: str, kind: str) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(
        sa.select(Message.body).join(Person, Message.person_id == Person.id)
        .where(Person.phone == phone, Message.kind == kind)
    ))  # fmt: skip


def test_a_resident_who_is_no_volunteer_hears_no_volunteer_choice(ctx, voice_call):
    db.session.add(Person(phone=ANNE, language="nb"))
    db.session.commit()

    call = voice_call(ANNE)

    assert "frivillig" not in call.said
    assert call.press("3").said.startswith("Beklager, den tasten virker ikke her.")


def test_a_volunteer_hears_a_request_and_says_yes_with_one(ctx, voice_call, run_jobs,
                                                           fake_twilio):  # fmt: skip
    anne = factories.volunteer(ANNE, "Anne")
    task = factories.task(title="Kjøring til legen", contact="Kari 90000001")
    ask(task, [anne])

    call = voice_call(ANNE)
    assert VOLUNTEER_CHOICE in call.said
    call.press("3")
    assert call.said.startswith("En forespørsel om hjelp: Kjøring til legen. Fru Hansen trenger")
    assert "Sted: Fjordvik legekontor." in call.said
    assert "Trykk 1 for å si ja. Trykk 2 for å si nei." in call.said

    call.press("1")
    assert call.said.startswith("Tusen takk! Du har sagt ja til Kjøring til legen,")
    assert "Vi har også sendt deg en tekstmelding om det." in call.said
    assert VOLUNTEER_CHOICE in call.said  # back on the volunteer's menu
    assert offer_status(ANNE) == TaskOffer.ACCEPTED
    assert len(texts(ANNE, "task_confirmed")) == 1
    run_jobs()
    assert any("Kjøring til legen" in body for body in fake_twilio.bodies_to(ANNE))


def test_saying_yes_from_a_landline_sends_no_text(ctx, voice_call):
    volunteer = factories.volunteer(LANDLINE, "Lise")
    ask(factories.task(), [volunteer])

    call = voice_call(LANDLINE).press("3").press("1")

    assert call.said.startswith("Tusen takk!") and "tekstmelding" not in call.said
    assert offer_status(LANDLINE) == TaskOffer.ACCEPTED
    assert texts(LANDLINE, "task_confirmed") == []


def test_two_says_no(ctx, voice_call):
    anne = factories.volunteer(ANNE)
    ask(factories.task(), [anne])

    call = voice_call(ANNE).press("3").say("nei")

    assert call.said.startswith("Det er helt i orden. Takk for at du svarte.")
    assert offer_status(ANNE) == TaskOffer.DECLINED


def test_three_reads_the_next_request_and_hash_goes_back(ctx, voice_call):
    anne = factories.volunteer(ANNE)
    ask(factories.task(title="Handletur", starts_in=timedelta(days=1)), [anne])
    ask(factories.task(title="Følge til konsert", starts_in=timedelta(days=3)), [anne])

    call = voice_call(ANNE).press("3")
    assert "Handletur." in call.said
    assert "Følge til konsert." in call.press("3").said
    assert call.press("3").said.startswith("Det var den siste forespørselen.")
    assert call.press("#").said.startswith("Trykk 1 for å høre hva som skjer.")
    assert VOLUNTEER_CHOICE in call.said


def test_a_place_already_taken_is_said_kindly(ctx, voice_call):
    anne, bjorn = factories.volunteer(ANNE), factories.volunteer(BJORN)
    task = factories.task(needed=1)
    ask(task, [anne, bjorn])

    call = voice_call(ANNE).press("3")
    tasks.accept(db.session.get(Person, bjorn.person_id), task.code, task.created_at)
    db.session.commit()
    call.press("1")

    assert "har allerede fått nok folk" in call.said
    assert offer_status(ANNE) == TaskOffer.TAKEN


def test_no_open_requests_is_said_with_thanks(ctx, voice_call):
    factories.volunteer(ANNE)

    call = voice_call(ANNE).press("3")

    assert call.said.startswith("Det er ingen forespørsler til deg akkurat nå.")


def test_a_retried_yes_accepts_once(ctx, voice_call, post_signed):
    anne = factories.volunteer(ANNE)
    task = factories.task(needed=2)
    ask(task, [anne])
    call = voice_call(ANNE).press("3")
    action = call.gather.get("action")

    call.press("1")
    again = call.post(action, Digits="1")

    assert again.said.startswith("Tusen takk!")  # the same answer, not "already"
    db.session.expire_all()
    assert db.session.get(type(task), task.id).accepted == 1
