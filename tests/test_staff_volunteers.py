"""Coordinators' volunteer pages: who may open them, approving, registering, editing, pausing."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Volunteer
from app.services import volunteers
from app.services.people import find_or_create
from app.timeutil import utcnow
from tests import factories
from tests.staff_helpers import csrf_token, make_staff, sign_in

ANNE, BJORN, CHRIS = "+4791100001", "+4791100002", "+4791100003"


@pytest.fixture
def coordinator_client(app, client):
    with app.app_context():
        sign_in(client, make_staff("coordinator"))
    return client


@pytest.fixture
def volunteer_id(app):
    with app.app_context():
        return factories.volunteer(ANNE, name="Anne Hansen", tags=("driver", "pl")).id


def post(client, path: str, data: dict | None = None):
    token = csrf_token(client, "/staff/volunteers/new")
    return client.post(path, data={**(data or {}), "csrf_token": token})


def reload(volunteer_id: int) -> Volunteer:
    db.session.expire_all()
    return db.session.get(Volunteer, volunteer_id)


def pages(volunteer_id: int) -> list[str]:
    return [
        "/staff/volunteers",
        "/staff/volunteers/new",
        f"/staff/volunteers/{volunteer_id}",
        f"/staff/volunteers/{volunteer_id}/edit",
    ]


def test_nobody_unauthenticated_sees_the_volunteer_pages(client, volunteer_id):
    for path in pages(volunteer_id):
        response = client.get(path)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    response = client.post(f"/staff/volunteers/{volunteer_id}/deactivate")
    assert response.status_code in (302, 400)


def test_staff_role_may_not_open_or_change_volunteers(app, client, volunteer_id):
    with app.app_context():
        sign_in(client, make_staff("staff"))
    for path in pages(volunteer_id):
        assert client.get(path).status_code == 403, path
    assert post(client, f"/staff/volunteers/{volunteer_id}/deactivate").status_code == 403
    with app.app_context():
        assert reload(volunteer_id).status == Volunteer.ACTIVE


def test_coordinators_open_every_volunteer_page(coordinator_client, volunteer_id):
    for path in pages(volunteer_id):
        assert coordinator_client.get(path).status_code == 200, path


def test_the_list_puts_pending_first_masks_numbers_and_approves(app, coordinator_client):
    with app.app_context():
        factories.volunteer(ANNE, name="Anne Hansen", tags=("driver",), area="Sentrum")
        pending, _ = volunteers.express_interest(find_or_create(BJORN))
        pending.person.name = "Bjørn Berg"
        db.session.commit()
        pending_id = pending.id
    html = coordinator_client.get("/staff/volunteers").get_data(as_text=True)
    assert html.index("Bjørn Berg") < html.index("Anne Hansen")
    assert "+47…01" in html and ANNE not in html
    assert "Waiting for approval" in html and "Sentrum" in html and "driver" in html
    response = post(coordinator_client, f"/staff/volunteers/{pending_id}/approve", {"back": "list"})
    assert response.headers["Location"].endswith("/staff/volunteers")
    with app.app_context():
        approved = reload(pending_id)
        assert approved.status == Volunteer.ACTIVE and approved.approved_at is not None


def test_filters_by_status_and_tag(app, coordinator_client):
    with app.app_context():
        factories.volunteer(ANNE, name="Anne Hansen", tags=("driver",))
        paused = factories.volunteer(BJORN, name="Bjørn Berg", tags=("knitting",))
        volunteers.pause(paused, utcnow())
        gone = factories.volunteer(CHRIS, name="Chris Dahl", tags=("driver",))
        volunteers.deactivate(gone)
        db.session.commit()

    def names(query: str) -> set[str]:
        html = coordinator_client.get(f"/staff/volunteers?{query}").get_data(as_text=True)
        return {n for n in ("Anne Hansen", "Bjørn Berg", "Chris Dahl") if n in html}

    assert names("") == {"Anne Hansen", "Bjørn Berg", "Chris Dahl"}
    assert names("status=paused") == {"Bjørn Berg"}
    assert names("status=active") == {"Anne Hansen"}
    assert names("status=inactive") == {"Chris Dahl"}
    assert names("tag=driver") == {"Anne Hansen", "Chris Dahl"}
    assert names("tag=driver&status=active") == {"Anne Hansen"}


def test_register_a_volunteer(app, coordinator_client):
    response = post(coordinator_client, "/staff/volunteers/new", {
        "phone": "912 34 567", "name": "Kari Nordmann", "language": "en",
        "tags": "Driver, PL", "area": "Sentrum", "note": "Har bil.",
    })  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        found = db.session.scalar(sa.select(Volunteer))
        assert found.person.phone == "+4791234567" and found.person.language == "en"
        assert found.tags == ["driver", "pl"] and found.status == Volunteer.ACTIVE
        assert db.session.scalar(sa.select(AuditEntry.action)) == "register_volunteer"


def test_a_bad_number_is_explained_next_to_the_field(app, coordinator_client):
    response = post(coordinator_client, "/staff/volunteers/new",
                    {"phone": "12", "name": "Kari", "language": "nb"})  # fmt: skip
    assert response.status_code == 200
    assert "Enter a phone number, for example" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Volunteer)) == 0


def test_edit_keeps_the_status_and_opening_details_is_audited(
    app, coordinator_client, volunteer_id
):
    with app.app_context():
        pending, _ = volunteers.express_interest(find_or_create(BJORN))
        db.session.commit()
        pending_id = pending.id
    page = coordinator_client.get(f"/staff/volunteers/{pending_id}")
    assert BJORN in page.get_data(as_text=True)  # the full number, to phone them
    response = post(coordinator_client, f"/staff/volunteers/{pending_id}/edit", {
        "name": "Bjørn Berg", "language": "nb", "tags": "knitting", "area": "", "note": "",
    })  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        edited = reload(pending_id)
        assert edited.person.name == "Bjørn Berg" and edited.tags == ["knitting"]
        assert edited.status == Volunteer.PENDING  # editing is not approving
        actions = db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.person_id == edited.person_id)
        ).all()
        assert actions == ["view_volunteer", "edit_volunteer"]


def test_pause_resume_and_deactivate(app, coordinator_client, volunteer_id):
    post(coordinator_client, f"/staff/volunteers/{volunteer_id}/pause")
    with app.app_context():
        assert volunteers.status_of(reload(volunteer_id)) == "paused"
    page = coordinator_client.get(f"/staff/volunteers/{volunteer_id}").get_data(as_text=True)
    assert "Resume" in page
    post(coordinator_client, f"/staff/volunteers/{volunteer_id}/resume")
    with app.app_context():
        assert volunteers.status_of(reload(volunteer_id)) == "active"
    post(coordinator_client, f"/staff/volunteers/{volunteer_id}/deactivate")
    with app.app_context():
        assert reload(volunteer_id).status == Volunteer.INACTIVE
    page = coordinator_client.get(f"/staff/volunteers/{volunteer_id}").get_data(as_text=True)
    assert "Make active again" in page


def test_unknown_volunteer_is_a_kind_404(coordinator_client):
    assert coordinator_client.get("/staff/volunteers/999").status_code == 404
