"""The audit log page: admins only, newest first, filtered, a page at a time."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from app.models import AuditEntry
from app.services import audit, audit_log
from app.services.people import find_or_create
from tests.staff_helpers import make_staff, sign_in

OSLO = ZoneInfo("Europe/Oslo")  # the test app's TIMEZONE


@pytest.fixture
def admin(app, client):
    with app.app_context():
        user = make_staff("admin", name="Ada")
    sign_in(client, user)
    return user


def _rows(html: str) -> list[str]:
    """The table's rows as text, newest first as shown."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def _log(app, staff_name: str, entries: list[tuple[str, str | None, datetime]]) -> dict:
    """Entries by a new coordinator; returns {phone: person id}."""
    with app.app_context():
        staff = make_staff("coordinator", name=staff_name)
        people = {}
        for action, phone, at in entries:
            person = find_or_create(phone) if phone else None
            db.session.flush()
            if phone:
                people[phone] = person.id
            entry = audit.record(staff, action, person=person, detail=f"{action} by {staff_name}")
            entry.created_at = at
        db.session.commit()
        return people


def test_only_admins_read_the_audit_log(app, client):
    assert client.get("/staff/audit").status_code == 302
    with app.app_context():
        sign_in(client, make_staff("coordinator"))
    assert client.get("/staff/audit").status_code == 403


def test_entries_are_listed_newest_first_with_who_what_and_whom(app, client, admin):
    base = datetime(2026, 11, 20, 12, 0, tzinfo=OSLO)
    people = _log(
        app,
        "Kari",
        [
            ("view_person", "+4791100001", base),
            ("export_person", "+4791100001", base + timedelta(hours=1)),
        ],
    )
    html = client.get("/staff/audit").get_data(as_text=True)
    rows = _rows(html)
    assert rows[0].startswith("Fri 20 Nov 13:00 Kari export_person")
    assert rows[1].startswith("Fri 20 Nov 12:00 Kari view_person")
    assert f"#{people['+4791100001']}" in rows[0]
    assert "+4791100001" not in html  # ids, never numbers


def test_filters_by_staff_member_person_action_and_dates(app, client, admin):
    base = datetime(2026, 11, 20, 12, 0, tzinfo=OSLO)
    kari = _log(
        app,
        "Kari",
        [
            ("view_person", "+4791100001", base),
            ("delete_person", "+4791100002", base + timedelta(days=2)),
        ],
    )
    _log(app, "Ola", [("view_person", "+4791100003", base + timedelta(days=1))])
    with app.app_context():
        ola_id = next(s.id for s in audit_log.staff_members() if s.name == "Ola")

    def shown(**args) -> list[str]:
        return _rows(client.get("/staff/audit", query_string=args).get_data(as_text=True))

    assert len(shown()) == 3
    assert [r.split()[5] for r in shown(staff=ola_id)] == ["view_person"]
    assert len(shown(person=kari["+4791100002"])) == 1
    assert [r.split()[5] for r in shown(action="view_person")] == ["view_person"] * 2
    # Local dates, both ends included.
    assert len(shown(**{"from": "2026-11-21", "to": "2026-11-21"})) == 1
    assert len(shown(**{"from": "2026-11-21"})) == 2
    assert len(shown(to="2026-11-20")) == 1
    assert len(shown(to="not a date", person="x")) == 3  # bad values are ignored, kindly


def test_pages_of_fifty_with_links_to_older_and_newer(app, client, admin):
    base = datetime(2026, 11, 1, 9, 0, tzinfo=OSLO)
    _log(app, "Kari", [("view_person", None, base + timedelta(minutes=n)) for n in range(55)])
    first = client.get("/staff/audit?action=view_person").get_data(as_text=True)
    assert len(_rows(first)) == 50 and "Older" in first and "Newer" not in first
    assert 'href="/staff/audit?action=view_person&amp;page=2"' in first
    second = client.get("/staff/audit?action=view_person&page=2").get_data(as_text=True)
    assert len(_rows(second)) == 5 and "Newer" in second and "Older" not in second


def test_reading_the_audit_log_is_not_itself_logged(app, client, admin):
    client.get("/staff/audit")
    with app.app_context():
        assert db.session.query(AuditEntry).count() == 0


def test_a_person_page_links_admins_to_who_opened_it(app, client, admin):
    with app.app_context():
        person = find_or_create("+4791100009")
        db.session.commit()
        person_id = person.id
    page = client.get(f"/staff/people/{person_id}").get_data(as_text=True)
    assert f'href="/staff/audit?person={person_id}"' in page
    rows = _rows(client.get(f"/staff/audit?person={person_id}").get_data(as_text=True))
    assert len(rows) == 1 and "Ada view_person" in rows[0]
