"""Volunteer tasks through the API: create, choose a wave, send it, follow the answers."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs.tasks import send_due_waves
from app.models import AuditEntry, Task, TaskOffer
from app.services import tasks
from app.timeutil import utcnow
from tests import factories
from tests.api.conftest import ApiClient


@pytest.fixture(autouse=True)
def _no_quiet_hours(app):
    app.config["QUIET_HOURS"] = "0-0"  # waves go out whenever the test runs


def _task_body(coordinator_id: int, **extra) -> dict:
    starts = (utcnow() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    return {"coordinator_id": coordinator_id, "title": "Kjøring til legen",
            "description": "Fru Hansen trenger skyss.", "place": "Fjordvik legekontor",
            "starts_at": starts.isoformat(), "tags": ["driver"], **extra}  # fmt: skip


def test_create_choose_send_and_follow_a_task(api, ctx):
    coordinator = factories.coordinator()
    anne = factories.volunteer("+4791234501", "Anne")
    berit = factories.volunteer("+4791234502", "Berit")
    created = api.post("/api/v1/tasks", json=_task_body(coordinator.id))
    assert created.status_code == 201, created.get_json()
    task = created.get_json()
    assert task["status"] == "open" and task["code"] >= 10 and task["waves"] == []
    path = f"/api/v1/tasks/{task['id']}"

    candidates = api.get(f"{path}/candidates").get_json()
    assert [c["name"] for c in candidates["data"]] == ["Anne", "Berit"]
    assert "phone" not in candidates["data"][0]

    wave = api.post(f"{path}/waves", json={"volunteer_ids": [anne.id], "send": "after",
                                           "after_minutes": 30})  # fmt: skip
    assert wave.status_code == 201, wave.get_json()
    assert wave.get_json()["added"] == [anne.id] and wave.get_json()["wave"]["number"] == 1
    again = api.post(f"{path}/waves", json={"volunteer_ids": [anne.id, berit.id]}).get_json()
    assert again["added"] == [berit.id]
    assert again["refused"] == [{"volunteer_id": anne.id, "reason": "is on this task already"}]

    sent = api.post(f"{path}/send")
    assert sent.status_code == 200
    assert sent.get_json()["waves"][0]["send_at"] is not None
    assert send_due_waves() >= 1  # what the scheduler does every minute
    db.session.expire_all()
    offers = api.get(f"{path}/offers").get_json()["data"]
    assert {o["name"]: o["status"] for o in offers}["Anne"] == "asked"
    assert all(o["phone"] is None for o in offers)

    person = db.session.get(TaskOffer, offers[0]["id"]).person
    tasks.accept(person, task["code"], utcnow())
    db.session.commit()
    offers = api.get(f"{path}/offers").get_json()["data"]
    accepted = [o for o in offers if o["status"] == "accepted"]
    assert accepted[0]["phone"] == "+4791234501"
    detail = api.get(path).get_json()
    assert detail["status"] == "filled" and detail["accepted"] == 1
    assert detail["offers"]["accepted"] == 1
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "api.view_task_offers" in actions and "api.plan_wave" in actions


def test_take_the_next_fair_candidates(api, ctx):
    coordinator = factories.coordinator()
    for n in range(3):
        factories.volunteer(f"+479123450{n}", f"V{n}")
    task = api.post("/api/v1/tasks", json=_task_body(coordinator.id)).get_json()
    wave = api.post(f"/api/v1/tasks/{task['id']}/waves", json={"take": 2}).get_json()
    assert len(wave["added"]) == 2
    both = {"take": 1, "volunteer_ids": [1]}
    assert api.post(f"/api/v1/tasks/{task['id']}/waves", json=both).status_code == 422


def test_the_service_s_reasons_are_422_on_their_field(api, ctx):
    coordinator = factories.coordinator()
    past = (utcnow() - timedelta(days=1)).isoformat()
    response = api.post("/api/v1/tasks", json=_task_body(coordinator.id, starts_at=past))
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "starts_at", "message": "The task must start in the future."}
    ]
    missing = api.post("/api/v1/tasks", json=_task_body(999))
    assert missing.get_json()["errors"][0]["field"] == "coordinator_id"
    task = api.post("/api/v1/tasks", json=_task_body(coordinator.id)).get_json()
    nothing = api.post(f"/api/v1/tasks/{task['id']}/send")
    assert nothing.status_code == 422


def test_cancel_and_list(api, ctx):
    coordinator = factories.coordinator()
    task = api.post("/api/v1/tasks", json=_task_body(coordinator.id)).get_json()
    assert api.get("/api/v1/tasks").get_json()["total"] == 1
    assert api.post(f"/api/v1/tasks/{task['id']}/cancel").get_json()["status"] == "cancelled"
    assert api.post(f"/api/v1/tasks/{task['id']}/cancel").status_code == 409
    assert api.get("/api/v1/tasks?status=open").get_json()["total"] == 0
    assert db.session.get(Task, task["id"]).status == "cancelled"


def test_a_bound_token_works_only_with_its_organisation_s_coordinators(api, make_token, ctx):
    library = ApiClient(api.client, make_token("read", "tasks", organisation="Biblioteket"))
    theirs = factories.coordinator()  # of Fjordvik frivilligsentral
    task = api.post("/api/v1/tasks", json=_task_body(theirs.id)).get_json()
    assert library.get(f"/api/v1/tasks/{task['id']}").status_code == 404
    assert library.get("/api/v1/tasks").get_json()["total"] == 0
    refused = library.post("/api/v1/tasks", json=_task_body(theirs.id))
    assert refused.get_json()["errors"][0]["field"] == "coordinator_id"
