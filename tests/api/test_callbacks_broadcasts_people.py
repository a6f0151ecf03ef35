"""Callback requests, broadcasts and a person's data through the API."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs.broadcasts import send_due_broadcasts
from app.models import AuditEntry, Broadcast, CallbackRequest, Message, Person
from app.services import callbacks, people, signups
from app.timeutil import utcnow
from tests import factories
from tests.api.conftest import ApiClient
from tests.staff_helpers import make_staff


@pytest.fixture(autouse=True)
def _no_quiet_hours(app):
    app.config["QUIET_HOURS"] = "0-0"


def _callback(phone: str = "+4791234567") -> CallbackRequest:
    person = people.find_or_create(phone)
    person.name = "Fru Hansen"
    request, _ = callbacks.request_callback(person, "nb", "asked")
    db.session.commit()
    return request


# --- callbacks ---------------------------------------------------------------------------


def test_list_claim_and_resolve_a_callback(api, ctx):
    staff = make_staff("staff", email="kari@example.org")
    request = _callback()
    queue = api.get("/api/v1/callbacks").get_json()
    assert queue["total"] == 1
    assert queue["data"][0]["phone"] == "+4791234567" and queue["data"][0]["status"] == "open"
    claimed = api.post(f"/api/v1/callbacks/{request.id}/claim",
                       json={"staff_email": "kari@example.org"})  # fmt: skip
    assert claimed.status_code == 200, claimed.get_json()
    assert claimed.get_json()["claimed_by"] == "kari@example.org"
    resolved = api.post(
        f"/api/v1/callbacks/{request.id}/resolve",
        json={"staff_email": "kari@example.org", "outcome": "no_answer"},
    )
    body = resolved.get_json()
    assert body["status"] == "done" and body["outcome"] == "no_answer"
    db.session.expire_all()
    assert db.session.scalar(sa.select(Message.kind).where(Message.kind == "tried_to_call"))
    assert api.get("/api/v1/callbacks").get_json()["total"] == 0
    assert api.get("/api/v1/callbacks?status=done").get_json()["total"] == 1
    assert staff.id == db.session.get(CallbackRequest, request.id).claimed_by_id
    again = api.post(
        f"/api/v1/callbacks/{request.id}/resolve",
        json={"staff_email": "kari@example.org", "outcome": "reached"},
    )
    assert again.status_code == 409


def test_only_one_can_have_a_request(api, ctx):
    make_staff("staff", email="kari@example.org")
    make_staff("staff", email="ola@example.org")
    request = _callback()
    path = f"/api/v1/callbacks/{request.id}/claim"
    assert api.post(path, json={"staff_email": "kari@example.org"}).status_code == 200
    taken = api.post(path, json={"staff_email": "ola@example.org"})
    assert taken.status_code == 409 and "kari@example.org" in taken.get_json()["message"]
    assert api.post(path, json={"staff_email": "kari@example.org"}).status_code == 200


def test_a_token_without_a_maker_must_name_the_staff_member(api, ctx):
    request = _callback()
    response = api.post(f"/api/v1/callbacks/{request.id}/claim", json={})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "staff_email"


def test_callback_reads_are_audited(api, ctx):
    request = _callback()
    api.get(f"/api/v1/callbacks/{request.id}")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "api.view_callback"))
    assert entry.person_id == request.person_id and entry.api_token_id


# --- broadcasts --------------------------------------------------------------------------


def test_write_send_and_count_a_broadcast(api, ctx):
    factories.volunteer("+4791234501", "Anne", tags=("driver",))
    factories.volunteer("+4791234502", "Berit", tags=("visiting",))
    made = api.post("/api/v1/broadcasts", json={
        "body": "Vi trenger sjåfører i desember.", "audience": "volunteers", "tags": ["driver"],
        "translations": {"en": "We need drivers in December."},
    })  # fmt: skip
    assert made.status_code == 201, made.get_json()
    draft = made.get_json()
    assert draft["status"] == "draft" and draft["recipients"] == 1
    assert draft["translations"] == {"en": "We need drivers in December."}
    path = f"/api/v1/broadcasts/{draft['id']}"
    assert api.post(f"{path}/send").get_json()["status"] == "sending"
    assert api.post(f"{path}/send").status_code == 409
    assert send_due_broadcasts() == 1  # what the scheduler does every minute
    db.session.expire_all()
    sent = api.get(path).get_json()
    assert sent["status"] == "sent" and sent["progress"]["total"] == 1
    assert sum(sent["progress"]["counts"].values()) == 1
    assert api.get("/api/v1/broadcasts").get_json()["total"] == 1


def test_broadcast_to_an_activity_and_bound_tokens(api, make_token, ctx):
    library = ApiClient(api.client, make_token("broadcasts", "read", organisation="Biblioteket"))
    theirs = factories.occurrence()
    signups.join(people.find_or_create("+4791234567"), theirs, utcnow())
    db.session.commit()
    body = {"body": "Husk kaffe!", "audience": "activity", "occurrence_id": theirs.id,
            "send": True}  # fmt: skip
    made = api.post("/api/v1/broadcasts", json=body).get_json()
    assert made["status"] == "sending" and made["recipients"] == 1
    assert library.post("/api/v1/broadcasts", json=body).status_code == 422
    assert (
        library.post("/api/v1/broadcasts", json={**body, "audience": "volunteers"}).status_code
        == 422
    )
    assert library.get(f"/api/v1/broadcasts/{made['id']}").status_code == 404
    assert library.get("/api/v1/broadcasts").get_json()["total"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 1
    missing = api.post("/api/v1/broadcasts", json={**body, "occurrence_id": 99999})
    assert missing.get_json()["errors"][0]["field"] == "occurrence_id"


# --- people ------------------------------------------------------------------------------


def test_export_by_id_or_number_needs_the_people_scope(api, make_token, ctx):
    reader = ApiClient(api.client, make_token("read", "volunteers", "callbacks"))
    person = people.find_or_create("+4791234567")
    db.session.commit()
    assert reader.get(f"/api/v1/people/{person.id}/export").status_code == 403
    by_id = api.get(f"/api/v1/people/{person.id}/export")
    assert by_id.status_code == 200
    assert by_id.get_json()["person"]["phone"] == "+4791234567"
    by_number = api.get("/api/v1/people/912 34 567/export")
    assert by_number.status_code == 200 and by_number.get_json()["person"]["id"] == person.id
    assert api.get("/api/v1/people/+4791234567/export").status_code == 200
    assert api.get("/api/v1/people/+4799999999/export").status_code == 404
    entries = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert entries.count("api.export_person") == 3


def test_delete_a_person_through_the_api(api, ctx):
    occurrence = factories.occurrence(capacity=1)
    person = people.find_or_create("+4791234567")
    signups.join(person, occurrence, utcnow())
    db.session.commit()
    response = api.delete("/api/v1/people/+47 912 34 567")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["already"] is False and body["cancelled"][0]["kind"] == "signup"
    db.session.expire_all()
    assert db.session.get(Person, person.id).deleted_at is not None
    assert api.delete("/api/v1/people/+4791234567").status_code == 404
    assert api.delete(f"/api/v1/people/{person.id}").get_json()["already"] is True
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "api.delete_person"))
    assert entry.api_token_id is not None
