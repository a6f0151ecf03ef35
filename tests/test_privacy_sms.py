"""PERSONVERN and SLETT by text message: the notice, the question, and the last reply."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.conversation.engine import Prompt
from app.conversation.flow import get_flow
from app.conversation.render import render
from app.extensions import db
from app.models import Conversation, Message, Person, SignUp
from app.services import signups
from app.services.privacy import find_person
from app.sms_length import segments
from app.timeutil import utcnow
from tests import factories
from tests.conftest import RESIDENT

OTHER = "+4792345678"


@pytest.fixture(autouse=True)
def settings(app):
    """The texts here are written in bokmål and English; requests go out at any hour."""
    app.config["LANGUAGES"] = ["nb", "en"]
    app.config["QUIET_HOURS"] = "0-0"


def person(phone: str = RESIDENT) -> Person | None:
    db.session.expire_all()
    return find_person(phone)


def test_the_first_reply_says_how_to_read_about_privacy_within_two_segments(ctx, sms):
    [welcome] = sms("Hei")
    assert "Om personvern: svar PERSONVERN." in welcome
    assert segments(welcome) <= 2


def test_personvern_tells_what_we_keep_how_long_and_how_to_delete(app, ctx, sms):
    app.config["MESSAGE_RETENTION_DAYS"] = 60
    [notice] = sms("PERSONVERN")
    assert notice.startswith("Vi lagrer nummeret, språket, påmeldingene og meldingene dine")
    assert "Meldinger slettes etter 60 dager." in notice
    assert "svar RING" in notice and "svar SLETT." in notice
    [english] = sms("privacy", phone=OTHER)
    assert "Messages are deleted after 60 days." in english
    assert "reply CALL" in english and "reply DELETE." in english


@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_privacy_notice_fits_two_segments_with_any_retention(app, ctx, language):
    flow = get_flow("sms")
    prompt = Prompt(flow.texts["privacy_notice"], {"days": 3650})
    [text] = render(flow, [prompt], language)
    assert segments(text) <= 2, text


def test_slett_asks_first_and_anything_else_keeps_the_data(ctx, sms):
    sms("Hei")
    sms("1")
    [question] = sms("SLETT")
    assert question.startswith("Vil du at vi sletter nummeret ditt, meldingene dine")
    assert "Svar SLETT JA for å slette. Svar noe annet for å beholde det." in question
    [kept] = sms("jeg må tenke på det")
    assert kept.startswith("Ingenting er slettet.")
    assert person() is not None and person().deleted_at is None


def test_a_digit_after_the_question_is_the_menu_and_deletes_nothing(ctx, sms):
    sms("Hei")
    sms("1")
    sms("SLETT")
    [reply] = sms("2")
    assert reply.startswith("Du er ikke påmeldt noe")
    assert person().deleted_at is None


def test_slett_ja_after_the_question_deletes_and_says_goodbye(ctx, sms):
    sms("Hei")
    sms("1")
    sms("SLETT MEG")
    [goodbye] = sms("slett ja")
    assert goodbye.startswith("Ferdig: Vi har slettet opplysningene dine")
    assert person() is None
    old = db.session.scalar(sa.select(Person).where(Person.deleted_at.is_not(None)))
    bodies = db.session.scalars(
        sa.select(Message.body).where(Message.person_id == old.id, Message.direction == "in")
    ).all()
    assert bodies and all(body is None for body in bodies)  # "SLETT JA" itself too


def test_delete_in_english_works_the_same(ctx, sms):
    [question] = sms("DELETE MY DATA")
    assert "Reply DELETE YES to delete. Reply anything else to keep it." in question
    assert sms("DELETE YES")[0].startswith("Done: we have deleted your data")
    assert person() is None


def test_slett_ja_without_the_question_only_asks(ctx, sms):
    sms("Hei")
    sms("1")
    [question] = sms("SLETT JA")
    assert question.startswith("Vil du at vi sletter")
    assert person() is not None


def test_a_question_older_than_a_day_is_asked_again(ctx, sms):
    sms("Hei")
    sms("1")
    sms("SLETT")
    conversation = db.session.scalar(sa.select(Conversation))
    asked = utcnow() - timedelta(days=1, minutes=1)
    conversation.data = {**conversation.data, "delete_asked_at": asked.isoformat()}
    db.session.commit()
    assert sms("SLETT JA")[0].startswith("Vil du at vi sletter")
    assert person() is not None


def test_the_question_names_what_deleting_cancels(ctx, sms):
    strikk = factories.occurrence("Strikkekafé", starts_in=timedelta(days=2))
    trim = factories.occurrence("Trim", starts_in=timedelta(days=4))
    sms("Hei")
    sms("1")
    sms(f"MELD {strikk.code}")
    [one] = sms("SLETT")
    assert "Da avmeldes du også fra Strikkekafé (" in one
    assert "andre påmeldinger" not in one
    sms(f"MELD {trim.code}")
    [more] = sms("SLETT")
    assert "Da avmeldes du også fra Strikkekafé (" in more
    assert "og dine andre påmeldinger og oppdrag" in more
    assert segments(more) <= 2
    sms("SLETT JA")
    db.session.expire_all()
    assert db.session.scalars(sa.select(SignUp)).all() == []
    assert db.session.get(type(strikk), strikk.id).booked == 0


def test_after_deleting_a_new_text_starts_a_new_person(ctx, sms):
    sms("Hei")
    sms("1")
    sms("SLETT")
    sms("SLETT JA")
    [welcome] = sms("Hei")
    assert welcome.startswith("Velkommen til Samtale!")
    new = person()
    assert new is not None and new.language is None
    assert signups.upcoming_for(new, utcnow()) == []


def test_a_plain_ja_or_nei_just_after_the_question_answers_it(ctx, sms):
    sms("Hei")
    sms("1")
    sms("SLETT")
    [kept] = sms("Nei")
    assert kept.startswith("Ingenting er slettet.\nSvar med et tall")
    assert sms("JA")[0].startswith("Vi har ingen forespørsel")  # the question was answered
    assert person().deleted_at is None
    sms("SLETT")
    assert sms("ja")[0].startswith("Ferdig: Vi har slettet opplysningene dine")
    assert person() is None


def test_a_plain_ja_still_answers_a_waiting_task_request(ctx, sms):
    from tests.task_helpers import ask

    anne = factories.volunteer(RESIDENT, "Anne")
    task = factories.task(needed=1)
    ask(task, [anne])
    sms("SLETT")
    assert sms("JA")[0].startswith("Tusen takk!")
    assert person().deleted_at is None


def test_a_plain_ja_an_hour_after_the_question_deletes_nothing(ctx, sms):
    sms("Hei")
    sms("1")
    sms("SLETT")
    conversation = db.session.scalar(sa.select(Conversation))
    asked = utcnow() - timedelta(hours=1, minutes=1)
    conversation.data = {**conversation.data, "delete_asked_at": asked.isoformat()}
    db.session.commit()
    assert sms("JA")[0].startswith("Vi har ingen forespørsel")
    assert person().deleted_at is None
