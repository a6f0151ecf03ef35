"""Retention: bodies, call transcripts, notes and recordings go after their time, in batches."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.jobs import retention
from app.jobs.cron import PERIODIC
from app.jobs.retention import apply_retention, delete_pending_recordings
from app.models import Call, CallbackRequest, Message, RecordingDeletion
from app.services import callbacks
from app.services.people import find_or_create
from app.timeutil import utcnow

ANNE = "+4791100001"
ACCOUNT = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/"
OLD_SID, NEW_SID, EXTRA_SID = "RE" + "1" * 32, "RE" + "2" * 32, "RE" + "3" * 32


def _message(body: str, age: timedelta, **fields) -> int:
    person = find_or_create(ANNE)
    db.session.flush()
    fields.setdefault("direction", "in")
    fields.setdefault("status", "received")
    message = Message(person_id=person.id, kind="inbound", body=body,
                      created_at=utcnow() - age, **fields)  # fmt: skip
    db.session.add(message)
    db.session.commit()
    return message.id


def _body(message_id: int) -> str | None:
    db.session.expire_all()
    return db.session.get(Message, message_id).body


def _request(age: timedelta, recording: str | None = None, **fields) -> CallbackRequest:
    request, _ = callbacks.request_callback(find_or_create(ANNE), "nb", "voice", "voice",
                                            recording_url=recording)  # fmt: skip
    request.created_at = utcnow() - age
    for name, value in fields.items():
        setattr(request, name, value)
    db.session.commit()
    return request


def test_message_bodies_older_than_the_retention_are_blanked_and_newer_kept(app, ctx):
    app.config["MESSAGE_RETENTION_DAYS"] = 90
    old = _message("MELD 12", timedelta(days=91))
    old_out = _message("You are signed up", timedelta(days=200), direction="out")
    recent = _message("INFO 12", timedelta(days=89))
    done = apply_retention()
    assert done["message_bodies"] == 2
    assert _body(old) is None and _body(old_out) is None
    assert _body(recent) == "INFO 12"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 3  # rows stay


def test_the_digest_of_a_last_text_that_old_is_blanked_too(app, ctx):
    app.config["MESSAGE_RETENTION_DAYS"] = 90
    old, recent = find_or_create(ANNE), find_or_create("+4791100002")
    old.last_text_at, old.last_text_digest = utcnow() - timedelta(days=91), "0123456789abcdef"
    recent.last_text_at, recent.last_text_digest = utcnow() - timedelta(days=89), "fedcba9876543210"
    db.session.commit()
    assert apply_retention()["text_digests"] == 1
    db.session.expire_all()
    assert (old.last_text_digest, recent.last_text_digest) == (None, "fedcba9876543210")


def test_the_retention_is_configurable(app, ctx):
    app.config["MESSAGE_RETENTION_DAYS"] = 7
    week_old = _message("MELD 12", timedelta(days=8))
    apply_retention()
    assert _body(week_old) is None


def test_bodies_are_blanked_in_batches_across_runs(app, ctx, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    monkeypatch.setattr(retention, "MAX_BATCHES", 2)
    ids = [_message(f"message {n}", timedelta(days=100 + n)) for n in range(5)]
    assert apply_retention()["message_bodies"] == 4  # two batches of two, then the run ends
    kept = [i for i in ids if _body(i) is not None]
    assert kept == [ids[0]]  # oldest first: the youngest of them waits for the next run
    assert apply_retention()["message_bodies"] == 1
    assert _body(ids[0]) is None


def test_old_recordings_are_forgotten_and_twilio_deletes_the_files(app, ctx, fake_twilio):
    app.config["RECORDING_RETENTION_DAYS"] = 30
    old = _request(timedelta(days=31), ACCOUNT + OLD_SID,
                   note=f"Another message: {ACCOUNT}{EXTRA_SID}")  # fmt: skip
    db.session.expire_all()
    done = apply_retention()
    assert done["recordings"] == 1 and done["recordings_deleted_at_twilio"] == 2
    assert sorted(fake_twilio.deleted_recordings) == [OLD_SID, EXTRA_SID]
    request = db.session.get(CallbackRequest, old.id)
    assert request.recording_url is None
    assert request.note == "Another message: (recording deleted)"
    assert db.session.scalars(sa.select(RecordingDeletion)).all() == []


def test_a_recent_recording_is_kept(app, ctx, fake_twilio):
    app.config["RECORDING_RETENTION_DAYS"] = 30
    request = _request(timedelta(days=29), ACCOUNT + NEW_SID)
    apply_retention()
    db.session.expire_all()
    assert db.session.get(CallbackRequest, request.id).recording_url == ACCOUNT + NEW_SID
    assert fake_twilio.deleted_recordings == []


def test_a_deletion_twilio_cannot_do_now_is_tried_again(app, ctx, fake_twilio):
    db.session.add(RecordingDeletion(recording_sid=OLD_SID))
    db.session.commit()
    fake_twilio.fail_next(1, status=503, code=20503)
    assert delete_pending_recordings() == 0
    row = db.session.scalar(sa.select(RecordingDeletion))
    assert (row.attempts, row.last_error_code) == (1, 20503)
    assert delete_pending_recordings() == 1
    assert fake_twilio.deleted_recordings == [OLD_SID]


def test_a_recording_twilio_no_longer_has_counts_as_deleted(app, ctx, fake_twilio):
    fake_twilio.deleted_recordings.append(OLD_SID)  # deleted before: Twilio answers 404
    db.session.add(RecordingDeletion(recording_sid=OLD_SID))
    db.session.commit()
    assert delete_pending_recordings() == 1
    assert db.session.scalars(sa.select(RecordingDeletion)).all() == []


def test_in_simulator_mode_nothing_is_asked_of_twilio(app, ctx, fake_twilio):
    app.config["SIMULATOR_MODE"] = True
    db.session.add(RecordingDeletion(recording_sid=OLD_SID))
    db.session.commit()
    assert delete_pending_recordings() == 1
    assert fake_twilio.deleted_recordings == []


def test_notes_of_long_closed_requests_and_old_call_transcripts_are_blanked(app, ctx):
    app.config["MESSAGE_RETENTION_DAYS"] = 90
    closed = _request(
        timedelta(days=120),
        note="Lives alone, hard of hearing",
        status=CallbackRequest.DONE,
        closed_at=utcnow() - timedelta(days=91),
    )
    recent = _request(
        timedelta(days=120),
        note="Call after 12",
        status=CallbackRequest.DONE,
        closed_at=utcnow() - timedelta(days=10),
    )
    person = find_or_create(ANNE)
    call = Call(call_sid="CA" + "9" * 32, person_id=person.id, flow="voice", state="menu",
                data={"cursor": 1}, last_response="<Response><Say>Strikkekafé</Say></Response>",
                updated_at=utcnow() - timedelta(days=91))  # fmt: skip
    db.session.add(call)
    db.session.commit()
    done = apply_retention()
    assert (done["callback_notes"], done["calls"]) == (1, 1)
    db.session.expire_all()
    assert db.session.get(CallbackRequest, closed.id).note is None
    assert db.session.get(CallbackRequest, recent.id).note == "Call after 12"
    call = db.session.get(Call, call.id)
    assert call.last_response is None and call.data == {}


def test_an_open_request_keeps_its_note(app, ctx):
    app.config["MESSAGE_RETENTION_DAYS"] = 1
    request = _request(timedelta(days=10), note="Still trying")
    apply_retention()
    db.session.expire_all()
    assert db.session.get(CallbackRequest, request.id).note == "Still trying"


def test_the_scheduler_runs_retention_every_hour():
    assert (apply_retention, 3600) in PERIODIC


def test_a_text_blanked_by_retention_before_it_went_is_never_sent(app, ctx, run_jobs, fake_twilio):
    message_id = _message("Old reminder", timedelta(days=100), direction="out", status="held")
    apply_retention()
    db.session.execute(sa.update(Message).where(Message.id == message_id).values(status="queued"))
    db.session.commit()
    from app.services.outbox import enqueue_sends

    enqueue_sends([message_id])
    run_jobs()
    assert fake_twilio.messages == []
    db.session.expire_all()
    assert db.session.get(Message, message_id).status == "failed"
