"""STOP and START, mirroring Twilio's own opt-out words, checked before anything else."""

import pytest
import sqlalchemy as sa

from app.conversation.notices import send_signup_notice
from app.extensions import db
from app.models import Person, SignUp
from tests import factories
from tests.conftest import RESIDENT


def person() -> Person:
    db.session.expire_all()
    return db.session.scalar(sa.select(Person).where(Person.phone == RESIDENT))


def test_stopp_opts_out_and_is_confirmed_once(ctx, sms):
    sms("Hei"), sms("1")
    assert sms("STOPP") == ["Du får ikke flere meldinger fra oss. Svar START for å begynne igjen."]
    assert person().opted_out
    assert sms("stopp") == []


@pytest.mark.parametrize(
    "word", ["STOP", "unsubscribe", "End", "QUIT", "STOPALL", "REVOKE", "OPTOUT", "CANCEL"]
)
def test_every_twilio_opt_out_word_opts_out(ctx, sms, word):
    sms("Hei")
    sms(word)
    assert person().opted_out


@pytest.mark.parametrize("word", ["START", "yes", "UNSTOP"])
def test_every_twilio_opt_in_word_opts_back_in(ctx, sms, word):
    sms("Hei"), sms("3"), sms("STOP")
    [reply] = sms(word)
    assert reply.startswith("Welcome back!")
    assert not person().opted_out


def test_opt_out_words_come_before_conversation_state(ctx, sms):
    sms("Hei")  # now in the language menu, where digits pick a language
    sms("STOP")
    assert person().opted_out and person().language is None


def test_an_opted_out_person_is_sent_nothing(ctx, sms, run_jobs, fake_twilio):
    occurrence = factories.occurrence(capacity=2)
    sms("Hei"), sms("1"), sms(f"MELD {occurrence.code}")
    sms("STOPP")
    assert sms("AKTIVITETER") == []
    send_signup_notice("reminder", db.session.scalar(sa.select(SignUp)), "reminder:test")
    db.session.commit()
    run_jobs()
    assert fake_twilio.messages == []


def test_an_opted_out_person_asking_for_a_person_is_still_noted(ctx, sms):
    from app.models import CallbackRequest

    sms("Hei"), sms("1"), sms("STOPP")
    assert sms("RING") == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CallbackRequest)) == 1


def test_start_when_not_opted_out_shows_the_menu(ctx, sms):
    sms("Hei"), sms("3")
    assert sms("START")[0].startswith("Reply with a number: 1 What is on.")


@pytest.mark.parametrize("word", ["HELP", "info"])
def test_twilio_help_words_alone_get_our_help(ctx, sms, word):
    sms("Hei"), sms("3")
    assert sms(word)[0].startswith("ACTIVITIES: what is on.")


def test_a_21610_on_sending_marks_the_person_opted_out(ctx, sms, run_jobs, fake_twilio):
    unsubscribed = "+15005550004"
    occurrence = factories.occurrence(capacity=2)
    sms("Hei", phone=unsubscribed), sms("2", phone=unsubscribed)
    sms(f"JOIN {occurrence.code}", phone=unsubscribed)
    send_signup_notice("reminder", db.session.scalar(sa.select(SignUp)), "reminder:x")
    db.session.commit()
    run_jobs()
    db.session.expire_all()
    assert db.session.scalar(sa.select(Person.opted_out).where(Person.phone == unsubscribed))
