"""PUT /activities: a nightly sync by external id, idempotent, through the file import."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Activity, Occurrence
from app.services import people, signups
from app.timeutil import utcnow
from tests.api.conftest import ApiClient

SOON = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)


def _items(n: int = 3) -> list[dict]:
    return [
        {"external_id": f"cal-{i}", "title": f"Turgruppe {i}", "place": "Torget",
         "starts_at": (SOON + timedelta(days=i)).isoformat(), "duration_minutes": 60}
        for i in range(n)
    ]  # fmt: skip


def _sync(api, items, **extra):
    body = {"source": "kommunekalender", "organisation": "Fjordvik kommune",
            "activities": items, **extra}  # fmt: skip
    response = api.put("/api/v1/activities", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_same_list_twice_changes_nothing_the_second_time(api, ctx):
    first = _sync(api, _items())
    assert (first["created"], first["updated"], first["unchanged"]) == (3, 0, 0)
    assert first["source"] == "api:kommunekalender"
    assert {a["external_id"] for a in first["activities"]} == {"cal-0", "cal-1", "cal-2"}
    second = _sync(api, _items())
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 3)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 3
    ids = {a["external_id"]: a["id"] for a in first["activities"]}
    assert {a["external_id"]: a["id"] for a in second["activities"]} == ids


def test_a_changed_item_is_updated_and_a_missing_one_reported_not_deleted(api, ctx):
    _sync(api, _items())
    items = _items()
    items[0]["place"] = "Biblioteket"
    result = _sync(api, items[:2])
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 1, 1)
    gone = db.session.scalar(sa.select(Activity.id).where(Activity.external_id == "cal-2"))
    assert result["gone"] == [gone]
    db.session.expire_all()
    assert db.session.get(Activity, gone).cancelled is False
    moved = db.session.scalar(sa.select(Activity).where(Activity.external_id == "cal-0"))
    assert moved.place == "Biblioteket"


def test_a_moved_time_tells_those_signed_up(api, ctx):
    soon = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    item = {"external_id": "x", "title": "Bingo", "place": "Huset",
            "starts_at": soon.isoformat()}  # fmt: skip
    _sync(api, [item])
    occurrence = db.session.scalar(sa.select(Occurrence))
    signups.join(people.find_or_create("+4791234567"), occurrence, utcnow())
    db.session.commit()
    result = _sync(api, [{**item, "starts_at": (soon + timedelta(hours=1)).isoformat()}])
    assert result["updated"] == 1 and result["people_told"] == 1


def test_dry_run_changes_nothing(api, ctx):
    result = _sync(api, _items(2), dry_run=True)
    assert result["dry_run"] and result["created"] == 2
    assert all(a["id"] is None for a in result["activities"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 0


def test_past_items_are_counted_not_created(api, ctx):
    past = {"external_id": "old", "title": "Julebord", "place": "Huset",
            "starts_at": "2001-12-01T18:00:00+01:00"}  # fmt: skip
    result = _sync(api, [past, *_items(1)])
    assert result["past"] == 1 and result["created"] == 1


def test_weekly_series_with_skipped_dates(api, ctx):
    start = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    skipped = (start + timedelta(weeks=1)).astimezone().date().isoformat()
    item = {
        "external_id": "weekly",
        "title": "Strikkekafé",
        "place": "Biblioteket",
        "starts_at": start.isoformat(),
        "repeat_weekly": True,
        "skip_dates": [skipped],
    }
    assert _sync(api, [item])["created"] == 1
    cancelled = db.session.scalars(sa.select(Occurrence).where(Occurrence.cancelled)).all()
    assert len(cancelled) == 1
    assert _sync(api, [item])["unchanged"] == 1


def test_an_external_id_twice_or_without_organisation_is_422(api):
    twice = api.put("/api/v1/activities", json={"organisation": "X",
                                                "activities": _items(1) * 2})  # fmt: skip
    assert twice.status_code == 422
    assert twice.get_json()["errors"][0]["field"] == "activities.1.external_id"
    nobody = api.put("/api/v1/activities", json={"activities": _items(1)})
    assert nobody.get_json()["errors"][0]["field"] == "activities.0.organisation"
    bad = api.put("/api/v1/activities", json={"activities": [{**_items(1)[0], "title": ""}]})
    assert bad.get_json()["errors"][0]["field"] == "activities.0.title"


def test_bound_tokens_keep_their_sources_apart(api, make_token, ctx):
    library = ApiClient(api.client, make_token("activities", organisation="Biblioteket"))
    house = ApiClient(api.client, make_token("activities", organisation="Huset"))
    body = {"source": "calendar", "activities": _items(1)}
    assert library.put("/api/v1/activities", json=body).get_json()["created"] == 1
    assert house.put("/api/v1/activities", json=body).get_json()["created"] == 1
    owners = db.session.scalars(sa.select(Activity.source).order_by(Activity.id)).all()
    assert len(set(owners)) == 2
    wrong = library.put("/api/v1/activities", json={**body, "organisation": "Huset"})
    assert wrong.status_code == 422
