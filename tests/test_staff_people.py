"""The People pages: find one person by number, see what we hold, download it, delete it."""

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Deletion, Message, Person, SignUp
from app.services import signups
from app.services.people import find_or_create
from app.timeutil import utcnow
from tests import factories
from tests.staff_helpers import make_staff, post_form, sign_in

ANNE = "+4791234567"


@pytest.fixture(autouse=True)
def languages(app):
    app.config["LANGUAGES"] = ["nb", "en"]


@pytest.fixture
def anne_id(app):
    with app.app_context():
        person = find_or_create(ANNE)
        person.name, person.language = "Anne Hansen", "nb"
        db.session.add(Message(person_id=person.id, direction="in", kind="inbound",
                               body="MELD 12", status="received"))  # fmt: skip
        db.session.commit()
        return person.id


@pytest.fixture
def coordinator(app, client):
    with app.app_context():
        user = make_staff("coordinator", name="Kari")
    sign_in(client, user)
    return user


def entries(app, action: str | None = None) -> list[tuple]:
    """(action, staff id, person id, detail) of each audit entry, oldest first."""
    with app.app_context():
        query = sa.select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return [(e.action, e.staff_id, e.person_id, e.detail) for e in db.session.scalars(query)]


def sign_up(app, person_id: int, title: str = "Strikkekafé") -> None:
    with app.app_context():
        occurrence = factories.occurrence(title)
        signups.join(db.session.get(Person, person_id), occurrence, utcnow())
        db.session.commit()


def test_only_coordinators_and_admins_open_the_people_pages(app, client, anne_id):
    assert client.get("/staff/people").status_code == 302  # to sign-in
    with app.app_context():
        sign_in(client, make_staff("staff"))
    for path in ("/staff/people", f"/staff/people/{anne_id}", f"/staff/people/{anne_id}/delete"):
        assert client.get(path).status_code == 403, path
    assert post_form(client, f"/staff/people/{anne_id}/export").status_code == 403


@pytest.mark.parametrize("typed", ["912 34 567", "+47 912 34 567", "0047 91234567", ANNE])
def test_a_person_is_found_by_their_number_as_staff_type_it(client, coordinator, anne_id, typed):
    response = post_form(client, "/staff/people", {"phone": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/people/{anne_id}")


def test_an_unknown_number_finds_no_one_and_nobody_is_listed(app, client, coordinator, anne_id):
    page = client.get("/staff/people").get_data(as_text=True)
    assert "Anne" not in page  # no list of everyone
    response = post_form(client, "/staff/people", {"phone": "+47 999 99 999"})
    assert response.status_code == 200
    assert "We have no one with this number." in response.get_data(as_text=True)
    empty = post_form(client, "/staff/people", {"phone": ""}).get_data(as_text=True)
    assert "Enter a phone number." in empty
    assert entries(app) == []


def test_the_person_page_shows_what_we_hold_masked_and_is_audited(
    app, client, coordinator, anne_id
):
    sign_up(app, anne_id)
    page = client.get(f"/staff/people/{anne_id}").get_data(as_text=True)
    assert "Anne Hansen" in page and "+47…67" in page and ANNE not in page
    assert "Strikkekafé" in page and "Download data (JSON)" in page
    assert entries(app) == [("view_person", coordinator.id, anne_id, None)]


def test_the_data_downloads_as_json_and_the_download_is_audited(app, client, coordinator, anne_id):
    response = post_form(client, f"/staff/people/{anne_id}/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.get_data(as_text=True))
    assert data["person"]["phone"] == ANNE and data["person"]["name"] == "Anne Hansen"
    assert [m["body"] for m in data["messages"]] == ["MELD 12"]
    assert entries(app) == [("export_person", coordinator.id, anne_id, None)]
    assert client.post(f"/staff/people/{anne_id}/export").status_code == 400  # no CSRF token


def test_deleting_asks_for_a_reason_and_a_confirmation(app, client, coordinator, anne_id):
    page = client.get(f"/staff/people/{anne_id}/delete").get_data(as_text=True)
    assert "cannot be undone" in page
    response = post_form(client, f"/staff/people/{anne_id}/delete", {"reason": "Asked by phone"})
    assert "Tick the box to confirm." in response.get_data(as_text=True)
    response = post_form(client, f"/staff/people/{anne_id}/delete", {"confirm": "y"})
    assert "Say why the data is deleted." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, anne_id).deleted_at is None


def test_the_confirmation_names_what_will_be_cancelled(app, client, coordinator, anne_id):
    sign_up(app, anne_id)
    page = client.get(f"/staff/people/{anne_id}/delete").get_data(as_text=True)
    assert "This also cancels:" in page and "Strikkekafé" in page


def test_staff_delete_on_request_and_it_is_audited(app, client, coordinator, anne_id):
    sign_up(app, anne_id)
    response = post_form(
        client,
        f"/staff/people/{anne_id}/delete",
        {"reason": "Asked on the phone", "confirm": "y"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "The data is deleted. 1 sign-ups and task places were cancelled." in page
    assert "Deleted person" in page and "a staff member" in page and "Anne" not in page
    with app.app_context():
        person = db.session.get(Person, anne_id)
        assert person.deleted_at is not None and person.name is None
        assert db.session.scalars(sa.select(SignUp)).all() == []
        [deletion] = db.session.scalars(sa.select(Deletion)).all()
        assert deletion.requested_by == f"staff:{coordinator.id}"
    assert entries(app, "delete_person") == [
        ("delete_person", coordinator.id, anne_id, "Asked on the phone"),
    ]
    # Found no more by the number; deleting again is not offered.
    assert "We have no one" in post_form(client, "/staff/people", {"phone": ANNE}).get_data(
        as_text=True
    )
    again = client.get(f"/staff/people/{anne_id}/delete")
    assert again.status_code == 302


def test_the_menu_links_people_for_coordinators_and_the_audit_log_for_admins(app, client):
    with app.app_context():
        sign_in(client, make_staff("coordinator"))
    page = client.get("/staff/people").get_data(as_text=True)
    assert 'href="/staff/people"' in page and 'href="/staff/audit"' not in page
    with app.app_context():
        admin = make_staff("admin")
    client.post("/staff/logout")
    other = app.test_client()
    sign_in(other, admin)
    page = other.get("/staff/people").get_data(as_text=True)
    assert 'href="/staff/people"' in page and 'href="/staff/audit"' in page
