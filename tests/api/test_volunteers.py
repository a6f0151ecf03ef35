"""Volunteers through the API: phone numbers in any form, E.164 out, every look audited."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Volunteer
from tests import factories
from tests.api.conftest import ApiClient


@pytest.mark.parametrize("typed", ["912 34 567", "91234567", "+47 912 34 567", "0047 91234567",
                                   "+4791234567"])  # fmt: skip
def test_phone_numbers_in_national_or_international_form_come_back_in_e164(api, typed):
    response = api.post("/api/v1/volunteers", json={"phone": typed, "name": "Ingrid"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["phone"] == "+4791234567"


def test_a_number_that_is_no_number_is_422_on_phone(api):
    for typed in ("12", "abc", "+47 1"):
        response = api.post("/api/v1/volunteers", json={"phone": typed, "name": "Ingrid"})
        assert response.status_code == 422
        assert response.get_json()["errors"][0]["field"] == "phone"


def test_register_then_again_updates(api, ctx):
    body = {"phone": "+4791234567", "name": "Ingrid", "language": "nb",
            "tags": ["Driver", "pl", "driver"], "area": "Sentrum"}  # fmt: skip
    made = api.post("/api/v1/volunteers", json=body).get_json()
    assert made["status"] == "active" and made["tags"] == ["driver", "pl"]
    again = api.post("/api/v1/volunteers", json={**body, "name": "Ingrid H."})
    assert again.status_code == 200 and again.get_json()["id"] == made["id"]
    assert api.post("/api/v1/volunteers", json={**body, "language": "xx"}).status_code == 422


def test_update_tags_pause_resume(api, ctx):
    made = api.post(
        "/api/v1/volunteers",
        json={"phone": "91234567", "name": "Ola", "area": "Sentrum", "note": "Har bil"},
    ).get_json()
    path = f"/api/v1/volunteers/{made['id']}"
    changed = api.patch(path, json={"name": "Ola N."}).get_json()
    assert changed["name"] == "Ola N." and changed["area"] == "Sentrum" and changed["note"]
    assert api.patch(path, json={"area": None}).get_json()["area"] is None
    assert api.put(f"{path}/tags", json={"tags": ["Visiting"]}).get_json()["tags"] == ["visiting"]
    paused = api.post(f"{path}/pause").get_json()
    assert paused["status"] == "paused" and paused["paused_at"]
    assert api.get("/api/v1/volunteers?status=paused").get_json()["total"] == 1
    assert api.post(f"{path}/resume").get_json()["status"] == "active"
    assert api.patch(path, json={"status": "inactive"}).get_json()["status"] == "inactive"
    assert api.patch(path, json={"name": None}).status_code == 422


def test_list_filters_by_tag_and_pages(api, ctx):
    factories.volunteer("+4791234501", "Anne", tags=("driver",))
    factories.volunteer("+4791234502", "Berit", tags=("visiting",))
    body = api.get("/api/v1/volunteers?tag=driver").get_json()
    assert [v["name"] for v in body["data"]] == ["Anne"] and body["total"] == 1
    assert api.get("/api/v1/volunteers?per_page=1").get_json()["next"]


def test_every_look_at_a_volunteer_is_audited_with_the_token(api, ctx):
    volunteer = factories.volunteer("+4791234501", "Anne")
    api.get(f"/api/v1/volunteers/{volunteer.id}")
    api.get("/api/v1/volunteers")
    api.post(f"/api/v1/volunteers/{volunteer.id}/pause")
    db.session.expire_all()
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == [
        "api.view_volunteer", "api.list_volunteers", "api.pause_volunteer"
    ]  # fmt: skip
    assert entries[0].person_id == volunteer.person_id
    assert all(e.api_token_id and e.staff_id is None for e in entries)


def test_scopes_and_organisation_bound_tokens(api, make_token, ctx):
    reader = ApiClient(api.client, make_token("read"))
    assert reader.get("/api/v1/volunteers").status_code == 200
    assert reader.post("/api/v1/volunteers", json={}).status_code == 403
    bound = ApiClient(api.client, make_token("read", organisation="Biblioteket"))
    response = bound.get("/api/v1/volunteers")
    assert response.status_code == 403
    assert response.get_json()["error"] == "organisation_token"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Volunteer)) == 0
