"""Volunteer tasks by SMS: requests, JA/NEI/AVBRYT, filling, waves, expiry, reminders."""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs.sweep import sweep_outbox
from app.jobs.tasks import send_due_waves, send_task_reminders, send_wave, settle_tasks
from app.models import Message, Task, TaskEvent, TaskOffer, TaskWave
from app.services import tasks, volunteers
from app.services.people import find_or_create
from app.services.task_lifecycle import UNANSWERED_GRACE, release_codes
from app.services.task_planning import TaskError, create_task, request_send
from app.timeutil import utcnow
from tests import factories
from tests.conftest import PUBLIC_BASE_URL, sign
from tests.task_helpers import (
    COORDINATOR,
    ask,
    assert_each_sent_once,
    outbox_bodies,
    plan,
    reload,
    statuses,
)

OSLO = ZoneInfo("Europe/Oslo")
ANNE, BJORN, CHRIS, DINA = "+4791100001", "+4791100002", "+4791100003", "+4791100004"


@pytest.fixture(autouse=True)
def no_quiet_hours(app):
    """Requests go out whatever the hour the suite runs at; quiet hours have their own test."""
    app.config["QUIET_HOURS"] = "0-0"


def later(seconds: int = 0) -> datetime:
    """After the grace for telling the unanswered (and `seconds` more)."""
    return utcnow() + UNANSWERED_GRACE + timedelta(seconds=1 + seconds)


def coordinator_texts() -> list[str]:
    return outbox_bodies(find_or_create(COORDINATOR).id)


def test_a_request_goes_to_each_volunteer_in_their_language_and_never_reads_as_an_order(
    ctx, runner, run_jobs, fake_twilio
):
    anne = factories.volunteer(ANNE, "Anne", "nb")
    bjorn = factories.volunteer(BJORN, "Bjorn", "en")
    task = factories.task(needed=1)
    plan(task, [anne, bjorn])
    result = runner.invoke(args=["task", "send", str(task.code)])
    assert result.exit_code == 0, result.output
    run_jobs()  # the fan-out job, then the send jobs it queued
    [nb] = fake_twilio.bodies_to(ANNE)
    [en] = fake_twilio.bodies_to(BJORN)
    code = task.code
    assert nb.startswith("Kari spør: kan du hjelpe som frivillig? Kjøring til legen.")
    assert f"Svar JA {code} eller NEI {code}. Det er helt greit å si nei." in nb
    assert "Fjordvik legekontor" in nb and "kl. " in nb
    assert en.startswith("Kari asks: can you help as a volunteer?")
    assert f"Reply YES {code} or NO {code}. Saying no is fine." in en
    assert statuses(task) == {"asked": 2}
    assert_each_sent_once(fake_twilio)


def test_a_fan_out_run_twice_and_a_sweep_never_send_twice(ctx, run_jobs, fake_twilio):
    people = [factories.volunteer(f"+47911000{n:02d}") for n in range(5)]
    task = factories.task(needed=2)
    ask(task, people)
    wave = db.session.scalar(sa.select(TaskWave).where(TaskWave.task_id == task.id))
    assert send_wave(wave.id) == "already sent"
    run_jobs()
    sweep_outbox(utcnow() + timedelta(hours=1))
    run_jobs()
    assert len(fake_twilio.messages) == 5
    assert_each_sent_once(fake_twilio)


def test_yes_with_the_number_accepts_and_confirms_time_place_and_contact(ctx, sms):
    anne = factories.volunteer(ANNE, "Anne")
    task = factories.task(needed=2, contact="Kari, 912 34 567")
    ask(task, [anne])
    [reply] = sms(f"ja {task.code}", phone=ANNE)
    assert reply.startswith("Tusen takk! Du hjelper med Kjøring til legen")
    assert "Fjordvik legekontor" in reply and "Kontakt: Kari, 912 34 567" in reply
    assert f"svar AVBRYT {task.code}" in reply
    assert reload(task).accepted == 1 and statuses(task) == {"accepted": 1}
    assert sms(f"JA {task.code}", phone=ANNE)[0].startswith("Du hjelper allerede med")
    assert reload(task).accepted == 1


def test_plain_yes_is_enough_with_exactly_one_open_request(ctx, sms):
    anne = factories.volunteer(ANNE)
    task = factories.task()
    ask(task, [anne])
    assert sms("Ja", phone=ANNE)[0].startswith("Tusen takk!")
    assert reload(task).status == Task.FILLED


def test_plain_yes_with_several_open_requests_asks_which(ctx, sms):
    anne = factories.volunteer(ANNE)
    first = factories.task(title="Kjøring til legen")
    second = factories.task(title="Lunsj på Sjøbua", starts_in=timedelta(days=3))
    ask(first, [anne])
    ask(second, [anne])
    [reply] = sms("JA", phone=ANNE)
    assert reply.startswith("Du har mer enn én forespørsel. Svar JA og nummeret")
    assert f"{first.code} Kjøring til legen" in reply and f"{second.code} Lunsj" in reply
    assert statuses(first) == {"asked": 1} and statuses(second) == {"asked": 1}
    assert sms(f"JA {second.code}", phone=ANNE)[0].startswith("Tusen takk!")
    assert sms("JA", phone=ANNE)[0].startswith("Tusen takk! Du hjelper med Kjøring")


def test_english_yes_alone_answers_the_request_not_twilio_opt_in(ctx, sms):
    bjorn = factories.volunteer(BJORN, language="en")
    task = factories.task()
    ask(task, [bjorn])
    assert sms("YES", phone=BJORN)[0].startswith("Thank you! You are helping with")
    assert reload(task).accepted == 1


def test_no_is_thanked_and_is_always_fine(ctx, sms):
    anne, bjorn = factories.volunteer(ANNE), factories.volunteer(BJORN, language="en")
    task = factories.task(needed=2)
    ask(task, [anne, bjorn])
    assert sms(f"NEI {task.code}", phone=ANNE) == ["Takk for svaret! Det er helt greit å si nei."]
    assert sms("no", phone=BJORN) == ["Thank you for answering! It is fine to say no."]
    assert statuses(task) == {"declined": 2}
    assert reload(task).accepted == 0
    # Changing one's mind is fine too.
    assert sms(f"JA {task.code}", phone=ANNE)[0].startswith("Tusen takk!")


def test_answers_about_nothing_or_an_unknown_number_get_a_kind_answer(ctx, sms):
    factories.volunteer(ANNE)
    assert sms("JA", phone=ANNE)[0].startswith("Vi har ingen forespørsel som venter")
    assert sms("JA 77", phone=ANNE)[0].startswith("Vi finner ikke forespørsel 77")
    assert sms("JA 123456789012345", phone=ANNE)[0].startswith("Vi har ingen forespørsel")
    assert sms("AVBRYT", phone=ANNE) == ["Du har ikke sagt ja til noe oppdrag nå."]


def test_a_volunteer_who_was_not_asked_cannot_take_the_task(ctx, sms):
    anne = factories.volunteer(ANNE)
    factories.volunteer(BJORN)
    task = factories.task()
    ask(task, [anne])
    assert sms(f"JA {task.code}", phone=BJORN)[0].startswith("Vi finner ikke forespørsel")
    assert reload(task).accepted == 0


def test_when_filled_the_coordinator_is_told_once_late_ones_hear_it_is_taken_and_the_rest_are_told(
    ctx, sms, run_jobs, fake_twilio
):
    people = [factories.volunteer(f"+47911000{n:02d}", name=f"V{n}") for n in range(4)]
    task = factories.task(needed=2)
    ask(task, people)
    sms(f"JA {task.code}", phone=people[0].person.phone)
    sms(f"JA {task.code}", phone=people[1].person.phone)
    [late] = sms(f"JA {task.code}", phone=people[2].person.phone)
    assert late.startswith("Takk for at du ville hjelpe! Kjøring til legen har fått all hjelpen")
    task = reload(task)
    assert (task.status, task.accepted) == (Task.FILLED, 2)
    [filled] = coordinator_texts()
    assert filled.startswith(f"Oppdrag {task.code} Kjøring til legen") and "V0, V1" in filled
    assert settle_tasks(utcnow())["told_not_needed"] == 0  # not yet: answers may be on the way
    assert settle_tasks(later())["told_not_needed"] == 1
    assert settle_tasks(later(60))["told_not_needed"] == 0
    assert statuses(task) == {"accepted": 2, "taken": 1, "no_longer_needed": 1}
    run_jobs()
    [not_needed] = fake_twilio.bodies_to(people[3].person.phone)[1:]
    assert "trengs ikke lenger" in not_needed
    assert len(fake_twilio.bodies_to(COORDINATOR)) == 1
    assert_each_sent_once(fake_twilio)


def test_the_unanswered_are_not_told_when_the_task_says_so(ctx, sms):
    anne, bjorn = factories.volunteer(ANNE), factories.volunteer(BJORN)
    task = factories.task(needed=1, notify_unanswered=False)
    ask(task, [anne, bjorn])
    sms(f"JA {task.code}", phone=ANNE)
    assert settle_tasks(later())["told_not_needed"] == 0
    assert outbox_bodies(bjorn.person_id, "task_not_needed") == []


def test_withdrawing_reopens_the_place_tells_the_coordinator_and_someone_else_can_take_it(ctx, sms):
    anne, bjorn = factories.volunteer(ANNE, "Anne"), factories.volunteer(BJORN)
    task = factories.task(needed=1)
    ask(task, [anne, bjorn])
    sms(f"JA {task.code}", phone=ANNE)
    assert reload(task).status == Task.FILLED
    [reply] = sms(f"avbryt {task.code}", phone=ANNE)
    assert reply.startswith("Takk for at du sa fra. Du hjelper ikke lenger med Kjøring til legen")
    assert "gitt beskjed til Kari" in reply
    task = reload(task)
    assert (task.status, task.accepted) == (Task.OPEN, 0)
    withdrawn = coordinator_texts()[-1]
    assert withdrawn.startswith("Anne kan likevel ikke hjelpe med oppdrag")
    assert "Nå er 0 av 1 plasser fylt." in withdrawn
    assert sms(f"JA {task.code}", phone=BJORN)[0].startswith("Tusen takk!")
    assert reload(task).status == Task.FILLED
    assert len(coordinator_texts()) == 3  # filled, withdrawn, filled again
    kinds = db.session.scalars(sa.select(TaskEvent.kind).where(TaskEvent.task_id == task.id))
    assert [k for k in kinds if k in ("filled", "withdrawn")] == ["filled", "withdrawn", "filled"]


def test_no_after_yes_means_cannot_come_after_all(ctx, sms):
    anne = factories.volunteer(ANNE)
    task = factories.task()
    ask(task, [anne])
    sms(f"JA {task.code}", phone=ANNE)
    assert sms(f"NEI {task.code}", phone=ANNE)[0].startswith("Takk for at du sa fra.")
    assert reload(task).accepted == 0 and statuses(task) == {"withdrawn": 1}


def test_english_cancel_with_a_task_number_withdraws_but_still_cancels_activities(ctx, sms):
    bjorn = factories.volunteer(BJORN, language="en")
    task = factories.task()
    ask(task, [bjorn])
    sms(f"YES {task.code}", phone=BJORN)
    occurrence = factories.occurrence(capacity=5)
    sms(f"JOIN {occurrence.code}", phone=BJORN)
    assert sms(f"CANCEL {task.code}", phone=BJORN)[0].startswith("Thank you for telling us.")
    assert reload(task).accepted == 0
    [reply] = sms(f"CANCEL {occurrence.code}", phone=BJORN)
    assert reply.startswith("You are no longer signed up for Strikkekafé")


def test_the_next_wave_goes_out_only_when_due_and_only_if_still_unfilled(ctx, sms):
    first = [factories.volunteer(f"+47911000{n:02d}") for n in range(2)]
    second = [factories.volunteer(f"+47911001{n:02d}") for n in range(2)]
    third = [factories.volunteer(f"+47911002{n:02d}") for n in range(2)]
    task = factories.task(needed=2)
    plan(task, first)
    plan(task, second, wave=2, after=120)
    plan(task, third, wave=3, after=60)
    start = utcnow()
    request_send(task, start)
    db.session.commit()
    assert send_due_waves(start) == 1
    assert statuses(task) == {"asked": 2, "planned": 4}
    assert send_due_waves(start + timedelta(minutes=119)) == 0
    sms(f"JA {task.code}", phone=first[0].person.phone)
    assert send_due_waves(start + timedelta(minutes=121)) == 1  # still one place open
    assert statuses(task) == {"asked": 3, "accepted": 1, "planned": 2}
    for volunteer in second:
        assert outbox_bodies(volunteer.person_id, "task_request")
    sms(f"JA {task.code}", phone=second[0].person.phone)
    assert reload(task).status == Task.FILLED
    assert send_due_waves(start + timedelta(minutes=200)) == 0  # filled: wave 3 waits
    # Someone withdraws: the task is open again, and the due wave goes out.
    sms(f"AVBRYT {task.code}", phone=first[0].person.phone)
    assert send_due_waves(start + timedelta(minutes=201)) == 1
    for volunteer in third:
        assert outbox_bodies(volunteer.person_id, "task_request")


def test_paused_volunteers_are_never_messaged(ctx, sms, run_jobs, fake_twilio):
    anne, bjorn, chris = (factories.volunteer(p) for p in (ANNE, BJORN, CHRIS))
    task = factories.task(needed=2)
    assert sms("PAUSE", phone=ANNE)[0].startswith("Du får ingen forespørsler om frivillig hjelp")
    # Paused before: not a candidate, and cannot be put on a wave.
    assert ANNE not in [c.person.phone for c in volunteers.candidates(task, utcnow())]
    wave = plan(task, [anne, bjorn, chris])
    # Paused after being chosen, before the wave goes: skipped when it goes.
    sms("pause", phone=BJORN)
    request_send(task, utcnow())
    db.session.commit()
    send_wave(wave.id)
    run_jobs()
    assert statuses(task) == {"skipped": 1, "asked": 1}
    assert fake_twilio.bodies_to(CHRIS)
    assert [b for b in fake_twilio.bodies_to(ANNE) + fake_twilio.bodies_to(BJORN)] == []


def test_the_weekly_cap_stops_requests_even_to_chosen_volunteers(ctx, app):
    app.config["VOLUNTEER_WEEKLY_CAP"] = 2
    anne = factories.volunteer(ANNE)
    for day in range(3):
        task = factories.task(starts_in=timedelta(days=2 + day), title=f"Oppdrag {day}")
        ask(task, [anne])
    asked = db.session.scalars(sa.select(TaskOffer.status).order_by(TaskOffer.id)).all()
    assert asked == ["asked", "asked", "skipped"]


def test_an_unfilled_task_expires_once_and_the_coordinator_is_told(ctx, sms):
    anne, bjorn = factories.volunteer(ANNE, "Anne"), factories.volunteer(BJORN)
    task = factories.task(needed=2, starts_in=timedelta(hours=5))
    ask(task, [anne, bjorn])
    sms(f"JA {task.code}", phone=ANNE)
    expires = reload(task).expires_at
    assert expires == task.starts_at - timedelta(hours=2)
    assert settle_tasks(expires - timedelta(minutes=1))["expired"] == 0
    assert settle_tasks(expires) == {"expired": 1, "told_not_needed": 0, "codes_released": 0}
    assert settle_tasks(expires + UNANSWERED_GRACE) == {
        "expired": 0, "told_not_needed": 1, "codes_released": 0}  # fmt: skip
    task = reload(task)
    assert task.status == Task.EXPIRED
    expired = coordinator_texts()[-1]
    assert expired.startswith(f"Oppdrag {task.code} Kjøring til legen")
    assert "gikk ut med 1 av 2 frivillige" in expired
    assert outbox_bodies(bjorn.person_id, "task_not_needed")
    assert sms(f"JA {task.code}", phone=BJORN)[0].startswith("Kjøring til legen trengs ikke lenger")
    assert send_due_waves(expires + timedelta(hours=1)) == 0


def test_accepted_volunteers_are_reminded_the_day_before_once(ctx, sms, run_jobs, fake_twilio):
    anne = factories.volunteer(ANNE)
    tomorrow_ten = (datetime.now(OSLO) + timedelta(days=1)).replace(hour=10, minute=0)
    task = factories.task(starts_in=tomorrow_ten - datetime.now(OSLO))
    ask(task, [anne])
    sms(f"JA {task.code}", phone=ANNE)
    offer = db.session.scalar(sa.select(TaskOffer))
    offer.answered_at = tomorrow_ten - timedelta(days=3)
    db.session.commit()
    today = tomorrow_ten - timedelta(days=1)
    assert send_task_reminders(today.replace(hour=16, minute=59)) == 0
    assert send_task_reminders(today.replace(hour=17, minute=5)) == 1
    assert send_task_reminders(today.replace(hour=18)) == 0  # once
    assert send_task_reminders(today.replace(hour=21, minute=30)) == 0
    run_jobs()
    reminder = fake_twilio.bodies_to(ANNE)[-1]
    assert reminder.startswith("Påminnelse: du hjelper med Kjøring til legen i morgen")
    assert f"svar AVBRYT {task.code}" in reminder


def test_requests_wait_for_the_morning_in_quiet_hours(ctx, app):
    app.config["QUIET_HOURS"] = "21-08"
    anne = factories.volunteer(ANNE)
    evening = (datetime.now(OSLO) + timedelta(days=1)).replace(hour=22, minute=0)
    task = factories.task(starts_in=timedelta(days=3), now=evening)
    assert ask(task, [anne], now=evening) == "held until the quiet hours end"
    assert statuses(task) == {"planned": 1}
    assert send_due_waves(evening + timedelta(hours=9, minutes=59)) == 0  # 07:59
    morning = (evening + timedelta(days=1)).replace(hour=8, minute=1)
    assert send_due_waves(morning) == 1
    assert statuses(task) == {"asked": 1}


def test_cancelling_a_task_tells_those_who_said_yes(ctx, sms, runner):
    anne, bjorn = factories.volunteer(ANNE), factories.volunteer(BJORN)
    task = factories.task(needed=2)
    ask(task, [anne, bjorn])
    sms(f"JA {task.code}", phone=ANNE)
    result = runner.invoke(args=["task", "cancel", str(task.code)])
    assert result.exit_code == 0, result.output
    [cancelled] = outbox_bodies(anne.person_id, "task_cancelled")
    assert cancelled.endswith("er avlyst. Du trenger ikke gjøre noe. Takk for at du ville hjelpe!")
    settle_tasks(later())
    assert outbox_bodies(bjorn.person_id, "task_not_needed")


def test_progress_per_task_follows_twilio_status_callbacks(ctx, client, run_jobs, runner):
    people = [factories.volunteer(f"+47911000{n:02d}") for n in range(3)]
    task = factories.task()
    ask(task, people)
    shown = runner.invoke(args=["task", "show", str(task.code)]).output
    assert "Requests: 3 queued, 0 sent, 0 delivered, 0 failed" in shown
    run_jobs()
    db.session.commit()
    sids = db.session.scalars(
        sa.select(Message.twilio_sid).join(TaskOffer, TaskOffer.message_id == Message.id)
    ).all()
    for sid, status in zip(sids, ["delivered", "delivered", "undelivered"], strict=True):
        params = {"MessageSid": sid, "MessageStatus": status}
        signature = sign(PUBLIC_BASE_URL + "/twilio/status", params)
        client.post("/twilio/status", data=params, headers={"X-Twilio-Signature": signature})
    shown = runner.invoke(args=["task", "show", str(task.code)]).output
    assert "Requests: 0 queued, 0 sent, 2 delivered, 1 failed" in shown


def test_a_task_too_long_for_two_messages_is_refused_on_creation(ctx):
    coordinator = factories.coordinator()
    with pytest.raises(TaskError, match="too long for two text messages"):
        create_task(
            coordinator, title="Kjøring til legen og hjem igjen etterpå", now=utcnow(),
            description="D" * 160, place="P" * 80, starts_at=utcnow() + timedelta(days=2),
        )  # fmt: skip
    with pytest.raises(TaskError, match="title"):
        create_task(coordinator, title="T" * 61, place="Her", now=utcnow(),
                    starts_at=utcnow() + timedelta(days=1))  # fmt: skip
    now = utcnow()
    with pytest.raises(TaskError, match="future"):
        create_task(coordinator, title="T", place="Her", now=now, starts_at=now)


def test_task_numbers_are_small_and_never_those_of_current_activities(ctx):
    occurrence = factories.occurrence()
    first, second = factories.task(), factories.task()
    assert occurrence.code == 10
    assert (first.code, second.code) == (11, 12)
    assert release_codes(utcnow() + timedelta(days=4)) == 2
    assert factories.task().code == 11


def test_the_service_functions_for_the_phone_line(ctx):
    anne = factories.volunteer(ANNE)
    person = anne.person
    assert volunteers.is_active_volunteer(person)
    first, second = factories.task(needed=1), factories.task(starts_in=timedelta(days=3))
    now = utcnow()
    assert tasks.accept(person, None, now).outcome == "none"
    ask(first, [anne])
    ask(second, [anne])
    [a, b] = tasks.open_requests(person, utcnow())
    assert (a.task.code, b.task.code) == (first.code, second.code)
    assert a.task.title and a.task.place and a.task.starts_at and a.task.description
    result = tasks.accept(person, None, utcnow())
    assert result.outcome == "choose" and [t.code for t in result.choices] == [
        first.code, second.code]  # fmt: skip
    result = tasks.accept(person, first.code, utcnow(), confirm_by_sms=True)
    assert (result.outcome, result.task.code) == ("accepted", first.code)
    assert outbox_bodies(person.id, "task_confirmed")  # by phone, the details come by SMS
    assert tasks.decline(person, None, utcnow()).outcome == "declined"  # the one left open
    assert tasks.accept(person, 99, utcnow()).outcome == "not_found"
    db.session.commit()
    anne.paused_at = utcnow()
    assert not volunteers.is_active_volunteer(person)


def test_the_demo_town_has_a_coordinator_volunteers_and_an_open_task_asked_of_two(ctx, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    db.session.commit()
    [task] = db.session.scalars(sa.select(Task)).all()
    assert task.status == Task.OPEN and task.coordinator.person.name == "Kari"
    assert statuses(task) == {"asked": 2, "planned": 1}  # Berit is wave 2; Ola is paused
    assert len(volunteers.candidates(task, utcnow(), any_area=True)) == 0  # Ola paused


def test_logs_hold_neither_numbers_nor_bodies(ctx, sms, run_jobs, caplog, monkeypatch):
    # Alembic's fileConfig in conftest disabled the app's loggers: switch them back on.
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.split(".")[0] in ("app", "rq") and isinstance(logger, logging.Logger):
            monkeypatch.setattr(logger, "disabled", False)
    with caplog.at_level(logging.DEBUG):
        anne, bjorn = factories.volunteer(ANNE, "Anne"), factories.volunteer(BJORN)
        task = factories.task(needed=1)
        ask(task, [anne, bjorn])
        sms(f"JA {task.code}", phone=ANNE)
        sms(f"AVBRYT {task.code}", phone=ANNE)
        settle_tasks(later())
        run_jobs()
    assert "task 1 wave 1: 2 asked" in caplog.text
    for secret in ("91100001", "91100002", "90000001", "Fru Hansen", "Kjøring"):
        assert secret not in caplog.text


def test_someone_told_it_was_not_needed_can_take_a_place_that_opens_again(ctx, sms):
    anne, bjorn = factories.volunteer(ANNE), factories.volunteer(BJORN)
    task = factories.task(needed=1)
    ask(task, [anne, bjorn])
    sms(f"JA {task.code}", phone=ANNE)
    settle_tasks(later())
    assert statuses(task) == {"accepted": 1, "no_longer_needed": 1}
    sms(f"AVBRYT {task.code}", phone=ANNE)
    assert sms(f"JA {task.code}", phone=BJORN)[0].startswith("Tusen takk!")
    assert statuses(task) == {"withdrawn": 1, "accepted": 1}
    assert reload(task).status == Task.FILLED


def test_a_request_without_a_description_reads_cleanly(ctx):
    anne = factories.volunteer(ANNE)
    task = factories.task(description="")
    ask(task, [anne])
    [request] = outbox_bodies(anne.person_id, "task_request")
    assert "Kjøring til legen. " in request and "  " not in request
