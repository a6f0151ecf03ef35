"""A person's own data: the export holds everything, deletion erases it and tells others."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs.retention import delete_pending_recordings
from app.models import (
    Call,
    CallbackRequest,
    Conversation,
    Deletion,
    Message,
    Person,
    RecordingDeletion,
    SignUp,
    StaffCall,
    Task,
    TaskEvent,
    TaskOffer,
    Volunteer,
)
from app.services import callbacks, outbox, privacy, signups, tasks
from app.services.people import find_or_create
from app.timeutil import utcnow
from tests import factories
from tests.task_helpers import COORDINATOR, ask, outbox_bodies

ANNE, BJORN, CHRIS = "+4791100001", "+4791100002", "+4791100003"
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "a" * 32
SECOND = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "b" * 32


@pytest.fixture(autouse=True)
def settings(app):
    """Requests go out at any hour; the texts here are written in bokmål and English."""
    app.config["QUIET_HOURS"] = "0-0"
    app.config["LANGUAGES"] = ["nb", "en"]


def _person(phone: str, name: str, language: str = "nb") -> Person:
    person = find_or_create(phone)
    person.name, person.language = name, language
    db.session.commit()
    return person


def _reload(person_id: int) -> Person:
    db.session.expire_all()
    return db.session.get(Person, person_id)


def _message(person: Person, direction: str, body: str, **fields) -> Message:
    fields.setdefault("status", "received" if direction == "in" else "sent")
    message = Message(person_id=person.id, direction=direction, body=body,
                      kind=fields.pop("kind", "inbound" if direction == "in" else "reply"),
                      **fields)  # fmt: skip
    db.session.add(message)
    db.session.flush()
    return message


# --- export ------------------------------------------------------------------------------


def test_the_export_holds_everything_we_keep_as_json_with_offsets(ctx, run_jobs):
    anne = factories.volunteer(ANNE, "Anne Hansen", tags=("driver",), note="Has a car")
    person = anne.person
    occurrence = factories.occurrence("Strikkekafé")
    signups.join(person, occurrence, utcnow())
    _message(person, "in", "MELD 10", twilio_sid="SM" + "1" * 32)
    request, _ = callbacks.request_callback(person, "nb", "voice", "voice", recording_url=RECORDING)
    request.note = "Wants a lift on Tuesdays"
    db.session.add(Call(call_sid="CA" + "2" * 32, person_id=person.id, flow="voice",
                        state="menu", duration_seconds=40))  # fmt: skip
    db.session.commit()
    task = factories.task()
    ask(task, [anne])
    tasks.accept(person, task.code, utcnow())
    db.session.commit()

    data = privacy.export_person(person)
    assert json.loads(json.dumps(data)) == data  # plain JSON, nothing else
    assert (
        data["person"] | {"phone": ANNE, "name": "Anne Hansen", "language": "nb"} == data["person"]
    )
    assert data["exported_at"].endswith("+00:00")
    assert data["person"]["created_at"].endswith("+00:00")
    [signup] = data["signups"]
    assert (signup["activity"], signup["status"]) == ("Strikkekafé", "confirmed")
    assert signup["starts_at"].endswith("+00:00")
    assert data["volunteer"]["tags"] == ["driver"] and data["volunteer"]["note"] == "Has a car"
    [offer] = data["task_offers"]
    assert offer["task"]["title"] == "Kjøring til legen" and offer["status"] == "accepted"
    [callback] = data["callback_requests"]
    assert callback["recording_url"] == RECORDING
    assert callback["note"] == "Wants a lift on Tuesdays"
    assert "MELD 10" in [m["body"] for m in data["messages"]]
    assert any(m["kind"] == "task_request" for m in data["messages"])
    [call] = data["calls"]
    assert call["duration_seconds"] == 40
    assert data["coordinator"] is None


def test_a_message_blanked_by_retention_is_exported_as_null(ctx):
    person = _person(ANNE, "Anne")
    _message(person, "in", None)
    db.session.commit()
    [message] = privacy.export_person(person)["messages"]
    assert message["body"] is None and message["direction"] == "in"


# --- deleting ----------------------------------------------------------------------------


def test_deleting_frees_the_place_promotes_the_waiting_list_and_tells_the_organiser(
    ctx, run_jobs, fake_twilio
):
    factories.coordinator(COORDINATOR, "Kari")  # of the organisation running the activity
    anne, bjorn = _person(ANNE, "Anne"), _person(BJORN, "Bjørn")
    occurrence = factories.occurrence("Strikkekafé", capacity=1)
    signups.join(anne, occurrence, utcnow())
    signups.join(bjorn, occurrence, utcnow())
    db.session.commit()

    result = privacy.delete_person(anne, by="resident")
    db.session.commit()
    run_jobs()

    assert [(c.kind, c.title) for c in result.cancelled] == [("signup", "Strikkekafé")]
    db.session.expire_all()
    assert db.session.get(type(occurrence), occurrence.id).booked == 1
    assert signups.find(bjorn, occurrence).status == SignUp.CONFIRMED
    [promoted] = fake_twilio.bodies_to(BJORN)
    assert "Strikkekafé" in promoted
    [told] = fake_twilio.bodies_to(COORDINATOR)
    assert "En deltaker har gitt fra seg plassen sin på Strikkekafé" in told
    assert "Anne" not in told
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignUp)
                             .where(SignUp.person_id == anne.id)) == 0  # fmt: skip


def test_deleting_withdraws_from_a_task_and_the_coordinator_is_told_without_a_name(
    ctx, run_jobs, fake_twilio
):
    anne = factories.volunteer(ANNE, "Anne")
    task = factories.task(needed=1)
    ask(task, [anne])
    tasks.accept(anne.person, task.code, utcnow())
    db.session.commit()
    run_jobs()
    fake_twilio.reset()

    result = privacy.delete_person(anne.person, by="staff:1")
    db.session.commit()
    run_jobs()

    assert [c.kind for c in result.cancelled] == ["task"]
    db.session.expire_all()
    reloaded = db.session.get(Task, task.id)
    assert (reloaded.accepted, reloaded.status) == (0, Task.OPEN)
    [told] = fake_twilio.bodies_to(COORDINATOR)
    assert told.startswith("En frivillig kan likevel ikke hjelpe med oppdrag")
    assert "Anne" not in told
    assert db.session.scalars(sa.select(TaskOffer)).all() == []
    assert db.session.scalars(sa.select(Volunteer)).all() == []
    # The task's history keeps what happened, but no longer who.
    events = db.session.scalars(sa.select(TaskEvent).where(TaskEvent.task_id == task.id)).all()
    assert "withdrawn" in [e.kind for e in events]
    assert all(e.person_id is None for e in events)


def test_deleting_erases_content_and_keeps_only_anonymous_counts(ctx):
    anne = _person(ANNE, "Anne Hansen")
    anne.last_text_at, anne.last_text_digest = utcnow(), "0123456789abcdef"  # services.flood
    _message(anne, "in", "My address is Storgata 1", twilio_sid="SM" + "3" * 32)
    _message(anne, "out", "Thank you", twilio_sid="SM" + "4" * 32)
    request, _ = callbacks.request_callback(anne, "nb", "voice", "voice", recording_url=RECORDING)
    request.note = f"Another message: {SECOND}"
    db.session.add(StaffCall(request_id=request.id, staff_id=factories_staff_id(),
                             call_sid="CA" + "5" * 32, status="completed"))  # fmt: skip
    db.session.add(
        Call(
            call_sid="CA" + "6" * 32,
            person_id=anne.id,
            flow="voice",
            state="menu",
            data={"cursor": 2},
            last_response="<Response><Say>Anne</Say></Response>",
        )
    )
    db.session.add(Conversation(key=f"sms:{anne.id}", person_id=anne.id, flow="sms",
                                state="menu", data={"offset": 3}))  # fmt: skip
    db.session.commit()

    result = privacy.delete_person(anne, by="api:Fjordvik app")
    db.session.commit()

    person = _reload(anne.id)
    assert person.phone.startswith("deleted:") and ANNE not in person.phone
    assert person.name is None and person.deleted_at is not None and person.opted_out
    assert person.last_text_digest is None and person.last_text_at is None
    assert person.language == "nb"  # kept: counts per language
    messages = db.session.scalars(sa.select(Message).where(Message.person_id == anne.id)).all()
    assert len(messages) == 2
    assert all(m.body is None and m.twilio_sid is None for m in messages)
    request = db.session.get(CallbackRequest, request.id)
    assert request.status == CallbackRequest.DONE and request.closed_at is not None
    assert request.note is None and request.recording_url is None
    assert db.session.scalar(sa.select(StaffCall.call_sid)) is None
    call = db.session.scalar(sa.select(Call))
    assert call.data == {} and call.last_response is None and call.call_sid.startswith("deleted:")
    assert db.session.scalar(sa.select(Conversation.data)) == {}
    pending = set(db.session.scalars(sa.select(RecordingDeletion.recording_sid)))
    assert pending == {"RE" + "a" * 32, "RE" + "b" * 32}
    deletion = db.session.scalar(sa.select(Deletion))
    assert deletion.requested_by == "api:Fjordvik app" and deletion.person_id == anne.id
    assert deletion.counts == result.counts
    assert result.counts | {"messages": 2, "recordings": 2, "callbacks": 1, "calls": 1} == (
        result.counts
    )
    assert result.callbacks_closed == 1


def factories_staff_id() -> int:
    from tests.staff_helpers import make_staff

    return make_staff("staff").id


def test_twilio_is_asked_to_delete_the_recordings(ctx, fake_twilio):
    anne = _person(ANNE, "Anne")
    callbacks.request_callback(anne, "nb", "voice", "voice", recording_url=RECORDING)
    db.session.commit()
    privacy.delete_person(anne, by="resident")
    db.session.commit()
    assert delete_pending_recordings() == 1
    assert fake_twilio.deleted_recordings == ["RE" + "a" * 32]
    assert db.session.scalars(sa.select(RecordingDeletion)).all() == []


def test_a_recording_deletion_is_enqueued_when_the_deletion_commits(ctx, fake_twilio, run_jobs):
    anne = _person(ANNE, "Anne")
    callbacks.request_callback(anne, "nb", "voice", "voice", recording_url=RECORDING)
    db.session.commit()
    privacy.delete_person(anne, by="resident")
    db.session.commit()
    run_jobs()  # no scheduler here: the job came from the commit itself
    assert fake_twilio.deleted_recordings == ["RE" + "a" * 32]


def test_texts_waiting_to_be_sent_to_them_are_never_sent(ctx, run_jobs, fake_twilio):
    anne = _person(ANNE, "Anne")
    outbox.queue_sms(anne, "Reminder: Strikkekafé tomorrow", kind="reminder")
    callbacks.request_callback(anne, "nb", "asked")
    outbox.queue_sms(anne, "Spring party!", kind="broadcast")  # held: a callback is open
    db.session.commit()

    privacy.delete_person(anne, by="resident")
    db.session.commit()
    run_jobs()

    assert fake_twilio.messages == []
    statuses = db.session.scalars(sa.select(Message.status).where(Message.person_id == anne.id))
    assert set(statuses) == {"blocked"}
    assert outbox.queue_sms(_reload(anne.id), "Anything", kind="reply") is None


def test_someone_who_texts_again_is_a_brand_new_person(ctx, sms):
    anne = _person(ANNE, "Anne")
    privacy.delete_person(anne, by="resident")
    db.session.commit()
    assert privacy.find_person(ANNE) is None

    [welcome] = sms("Hei", phone=ANNE)
    assert welcome.startswith("Velkommen til Samtale!")
    db.session.expire_all()
    again = privacy.find_person(ANNE)
    assert again is not None and again.id != anne.id
    assert again.name is None and again.deleted_at is None and not again.opted_out


def test_deleting_twice_changes_nothing_the_second_time(ctx):
    anne = _person(ANNE, "Anne")
    privacy.delete_person(anne, by="resident")
    db.session.commit()
    result = privacy.delete_person(_reload(anne.id), by="staff:3")
    db.session.commit()
    assert result.already
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deletion)) == 1


@pytest.mark.parametrize("by", ["", "someone", "staff:", "staff:x", "api:"])
def test_who_asked_must_be_said_plainly(ctx, by):
    anne = _person(ANNE, "Anne")
    with pytest.raises(ValueError):
        privacy.delete_person(anne, by=by)


def test_a_coordinator_who_deletes_their_data_is_no_longer_told_anything(
    ctx, run_jobs, fake_twilio
):
    kari = factories.coordinator(COORDINATOR, "Kari")
    anne = factories.volunteer(ANNE, "Anne")
    task = factories.task(needed=1, by=kari)
    privacy.delete_person(kari.person, by="resident")
    db.session.commit()
    ask(task, [anne])
    tasks.accept(anne.person, task.code, utcnow())  # fills the task: normally Kari is told
    db.session.commit()
    run_jobs()
    assert fake_twilio.bodies_to(COORDINATOR) == []
    assert outbox_bodies(kari.person.id) == []


def test_what_deletion_cancels_lists_places_and_waiting_lists_soonest_first(ctx):
    anne = factories.volunteer(ANNE, "Anne")
    person = anne.person
    later_one = factories.occurrence("Trim", starts_in=timedelta(days=5))
    full = factories.occurrence("Quiz", starts_in=timedelta(days=3), capacity=0)
    past = factories.occurrence("Before", starts_in=timedelta(days=2))
    for occurrence in (later_one, full, past):
        signups.join(person, occurrence, utcnow())
    past.starts_at = utcnow() - timedelta(days=1)
    task = factories.task(needed=1, starts_in=timedelta(days=4))
    ask(task, [anne])
    tasks.accept(person, task.code, utcnow())
    db.session.commit()
    found = privacy.what_deletion_cancels(person, utcnow())
    assert [(c.kind, c.title) for c in found] == [
        ("signup", "Quiz"), ("task", "Kjøring til legen"), ("signup", "Trim"),
    ]  # fmt: skip
