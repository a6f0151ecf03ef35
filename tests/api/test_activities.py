"""Activities through the API: list, filters, pages, create, change, cancel, organisations."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Activity, Message, Occurrence, SignUp
from app.services import signups
from app.timeutil import utcnow
from tests import factories
from tests.api.conftest import ApiClient

NEW = {
    "title": "Strikkekafé",
    "place": "Biblioteket",
    "organisation": "Fjordvik bibliotek",
    "starts_at": "2099-03-03T18:00:00+01:00",
    "duration_minutes": 90,
    "capacity": 12,
}


def _soon(days: int = 3) -> str:
    return (utcnow() + timedelta(days=days)).replace(microsecond=0).isoformat()


def test_create_answers_201_in_local_time_with_an_offset(api):
    response = api.post("/api/v1/activities", json=NEW)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["title"] == "Strikkekafé" and body["organisation"] == "Fjordvik bibliotek"
    assert body["starts_at"] == "2099-03-03T18:00:00+01:00"
    assert datetime.fromisoformat(body["created_at"]).utcoffset() is not None


def test_create_makes_the_dates_people_text(api, ctx):
    response = api.post("/api/v1/activities", json={**NEW, "starts_at": _soon()})
    activity_id = response.get_json()["id"]
    dates = api.get(f"/api/v1/activities/{activity_id}/occurrences").get_json()
    assert dates["total"] == 1
    assert dates["data"][0]["code"] >= 10 and dates["data"][0]["capacity"] == 12


def test_invalid_fields_are_422_naming_each_field(api):
    response = api.post(
        "/api/v1/activities",
        json={"title": "", "place": "Huset", "starts_at": "2099-03-03 18:00", "capacity": 0,
              "colour": "red"},
    )  # fmt: skip
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid"
    fields = {e["field"] for e in body["errors"]}
    assert {"title", "starts_at", "capacity", "colour"} <= fields
    assert all(e["message"] for e in body["errors"])


def test_a_time_without_offset_is_refused(api):
    response = api.post("/api/v1/activities", json={**NEW, "starts_at": "2099-03-03T18:00:00"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "starts_at"


def test_repeat_until_before_the_start_is_refused(api):
    response = api.post("/api/v1/activities", json={**NEW, "repeat_weekly": True,
                                                    "repeat_until": "2099-01-01"})  # fmt: skip
    assert response.status_code == 422


def test_a_body_that_is_not_json_is_415_and_broken_json_422(api):
    assert api.post("/api/v1/activities", data="title=x").status_code == 415
    broken = api.post("/api/v1/activities", data="{", content_type="application/json")
    assert broken.status_code == 422
    assert broken.get_json()["errors"][0]["field"] == "body"
    listed = api.post("/api/v1/activities", json=[NEW])
    assert listed.status_code == 422


def test_list_is_paged_with_a_next_link(api, ctx):
    for n in range(5):
        api.post("/api/v1/activities", json={**NEW, "title": f"Kafé {n}"})
    first = api.get("/api/v1/activities?per_page=2&q=kaf").get_json()
    assert first["total"] == 5 and len(first["data"]) == 2 and first["page"] == 1
    assert "page=2" in first["next"] and "per_page=2" in first["next"]
    second = api.get(first["next"].split("localhost", 1)[1]).get_json()
    assert second["page"] == 2 and second["data"][0]["title"] == "Kafé 2"
    last = api.get("/api/v1/activities?per_page=2&page=3").get_json()
    assert last["next"] is None and len(last["data"]) == 1
    assert api.get("/api/v1/activities?per_page=500").status_code == 422


def test_list_filters(api, ctx):
    api.post("/api/v1/activities", json=NEW)
    api.post("/api/v1/activities", json={**NEW, "title": "Bingo", "organisation": "Huset",
                                         "starts_at": "2099-05-01T12:00:00+02:00"})  # fmt: skip

    def titles(query: str) -> list[str]:
        return [a["title"] for a in api.get(f"/api/v1/activities?{query}").get_json()["data"]]

    assert titles("q=BINGO") == ["Bingo"]
    org = db.session.scalar(sa.select(Activity.organisation_id).where(Activity.title == "Bingo"))
    assert titles(f"organisation_id={org}") == ["Bingo"]
    assert titles("starts_after=2099-04-01T00:00:00%2B02:00") == ["Bingo"]
    assert titles("starts_before=2099-04-01T00:00:00Z") == ["Strikkekafé"]
    assert titles("cancelled=true") == []


def test_update_changes_only_what_is_sent_and_tells_people(api, ctx):
    from app.services import people

    occurrence = factories.occurrence(capacity=5)

    resident = people.find_or_create("+4791234567")
    signups.join(resident, occurrence, utcnow())
    db.session.commit()
    activity_id = occurrence.activity_id
    response = api.patch(f"/api/v1/activities/{activity_id}", json={"place": "Huset"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["activity"]["place"] == "Huset" and body["activity"]["title"] == "Strikkekafé"
    assert body["people_told"] == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.kind == "activity_changed")) == 1  # fmt: skip
    cleared = api.patch(f"/api/v1/activities/{activity_id}", json={"capacity": None})
    assert cleared.get_json()["activity"]["capacity"] is None
    refused = api.patch(f"/api/v1/activities/{activity_id}", json={"title": None})
    assert refused.status_code == 422


def test_cancel_tells_those_signed_up_once(api, ctx):
    occurrence = factories.occurrence()
    from app.services import people

    signups.join(people.find_or_create("+4791234567"), occurrence, utcnow())
    db.session.commit()
    path = f"/api/v1/activities/{occurrence.activity_id}/cancel"
    first = api.post(path).get_json()
    assert first["activity"]["cancelled"] is True and first["people_told"] == 1
    assert api.post(path).get_json()["people_told"] == 0
    db.session.expire_all()
    assert db.session.get(Occurrence, occurrence.id).cancelled
    assert api.patch(f"/api/v1/activities/{occurrence.activity_id}",
                     json={"place": "x"}).status_code == 409  # fmt: skip


def test_a_bound_token_sees_and_changes_only_its_organisation(api, make_token, ctx):
    mine = ApiClient(api.client, make_token("read", "activities", organisation="Biblioteket"))
    theirs = factories.occurrence()  # Fjordvik frivilligsentral's
    assert mine.get(f"/api/v1/activities/{theirs.activity_id}").status_code == 404
    assert mine.get(f"/api/v1/occurrences/{theirs.id}").status_code == 404
    assert mine.post(f"/api/v1/activities/{theirs.activity_id}/cancel").status_code == 404
    made = mine.post("/api/v1/activities", json={**NEW, "organisation": None})
    assert made.status_code == 201 and made.get_json()["organisation"] == "Biblioteket"
    other = mine.post("/api/v1/activities", json={**NEW, "organisation": "Huset"})
    assert other.status_code == 422
    assert other.get_json()["errors"][0]["field"] == "organisation"
    assert [a["organisation"] for a in mine.get("/api/v1/activities").get_json()["data"]] == [
        "Biblioteket"
    ]
    orgs = mine.get("/api/v1/organisations").get_json()["data"]
    assert [o["name"] for o in orgs] == ["Biblioteket"]
    assert mine.get(f"/api/v1/organisations/{theirs.activity.organisation_id}").status_code == 404


def test_organisations_list_and_read(api, ctx):
    org = factories.organisation()
    db.session.commit()
    listed = api.get("/api/v1/organisations").get_json()
    assert listed["data"][0] == {"id": org.id, "name": org.name, "phone": "+4791000000",
                                 "email": None}  # fmt: skip
    assert api.get(f"/api/v1/organisations/{org.id}").get_json()["name"] == org.name
    assert api.get("/api/v1/organisations/2147483647").status_code == 404
    assert api.get("/api/v1/organisations/2147483648").status_code == 404


def test_signups_are_listed_with_e164_numbers_and_audited(api, ctx):
    from app.models import AuditEntry
    from app.services import people

    occurrence = factories.occurrence(capacity=1)
    for phone in ("+4791234567", "+4791234568"):
        signups.join(people.find_or_create(phone), occurrence, utcnow())
    db.session.commit()
    body = api.get(f"/api/v1/occurrences/{occurrence.id}/signups").get_json()
    assert [(s["status"], s["person"]["phone"], s["waiting_position"]) for s in body["data"]] == [
        ("confirmed", "+4791234567", None), ("waiting", "+4791234568", 1)
    ]  # fmt: skip
    waiting = api.get(f"/api/v1/occurrences/{occurrence.id}/signups?status=waiting").get_json()
    assert waiting["total"] == 1
    occ = api.get(f"/api/v1/occurrences/{occurrence.id}").get_json()
    assert (occ["booked"], occ["waiting"]) == (1, 1)
    db.session.expire_all()
    entries = db.session.scalars(sa.select(AuditEntry)).all()
    assert [e.action for e in entries] == ["api.view_signups", "api.view_signups"]
    assert entries[0].api_token_id is not None and entries[0].staff_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignUp)) == 2
