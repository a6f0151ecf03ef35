"""Broadcast pages: who may open them, writing, the preview per language, sending, progress."""

import re

import pytest
import sqlalchemy as sa
from flask import g

from app.extensions import db
from app.models import AuditEntry, Broadcast
from app.services import broadcasts, signups
from app.services.people import find_or_create
from app.timeutil import local_zone, utcnow
from tests import factories
from tests.conftest import ACCOUNT_SID
from tests.staff_helpers import csrf_token, make_staff, sign_in

ANNE, BJORN, CHRIS = "+4791100001", "+4791100002", "+4791100003"


def post_form(client, path: str, data: dict | None = None, **kwargs):
    """POST a form with a valid CSRF token, as the page's form does (see test_staff_tasks)."""
    g.pop("csrf_token", None)
    token = csrf_token(client, "/staff/broadcasts")
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture(autouse=True)
def no_quiet_hours(app):
    app.config["QUIET_HOURS"] = "0-0"


@pytest.fixture
def coordinator_client(client, ctx):
    sign_in(client, make_staff("coordinator"))
    return client


def a_draft() -> Broadcast:
    made = broadcasts.create_draft(None, body="Hei!", audience=Broadcast.VOLUNTEERS)
    db.session.commit()
    return made


def pages(broadcast_id: int) -> list[str]:
    return [
        "/staff/broadcasts",
        "/staff/broadcasts/new",
        f"/staff/broadcasts/{broadcast_id}",
        f"/staff/broadcasts/{broadcast_id}/progress.json",
    ]


def test_nobody_signed_out_sees_a_broadcast_page(client, ctx):
    broadcast = a_draft()
    for path in pages(broadcast.id):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/staff/login" in response.headers["Location"]


def test_staff_cannot_open_or_send_broadcasts(client, ctx):
    broadcast = a_draft()
    sign_in(client, make_staff("staff"))
    for path in pages(broadcast.id):
        assert client.get(path).status_code == 403, path
    assert post_form(client, f"/staff/broadcasts/{broadcast.id}/send").status_code == 403
    assert post_form(client, f"/staff/broadcasts/{broadcast.id}/text",
                     {"body": "Nytt"}).status_code == 403  # fmt: skip
    db.session.commit()
    assert db.session.get(Broadcast, broadcast.id).status == Broadcast.DRAFT


def test_coordinators_and_admins_open_every_broadcast_page(client, ctx):
    broadcast = a_draft()
    for role in ("coordinator", "admin"):
        sign_in(client, make_staff(role))
        for path in pages(broadcast.id):
            assert client.get(path).status_code == 200, (role, path)
    assert client.get("/staff/broadcasts/999").status_code == 404


def test_write_preview_translate_send_and_watch_it_arrive(
    coordinator_client, run_jobs, fake_twilio, post_signed
):
    factories.volunteer(ANNE, "Anne", language="nb", tags=["driver"])
    factories.volunteer(BJORN, "Bob", language="en", tags=["driver"])
    factories.volunteer(CHRIS, "Chris", language="nb", tags=["knitting"])
    response = post_form(coordinator_client, "/staff/broadcasts/new", {
        "audience": "volunteers", "tags": "driver",
        "body": "Hei! Vi trenger sjåfører til juleturen på lørdag.",
    })  # fmt: skip
    assert response.status_code == 302
    broadcast = db.session.scalar(sa.select(Broadcast))
    page = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Volunteers with the tags driver" in page
    assert "2 people get this message." in page
    assert "Svar STOPP for å ikke få flere meldinger." in page
    assert "Reply STOP to get no more messages." in page
    assert "1 SMS segments, GSM-7." in page
    assert 'name="text_en"' in page and 'name="text_nb"' in page

    post_form(coordinator_client, f"/staff/broadcasts/{broadcast.id}/text", {
        "body": "Hei! Vi trenger sjåfører til juleturen på lørdag.",
        "text_en": "Hi! We need drivers for the Christmas trip on Saturday 🎄",
    })  # fmt: skip
    page = coordinator_client.get(f"/staff/broadcasts/{broadcast.id}").get_data(as_text=True)
    assert "2 SMS segments, UCS-2." in page and "Without the footer: 1." in page

    sent = post_form(coordinator_client, f"/staff/broadcasts/{broadcast.id}/send",
                     follow_redirects=True)  # fmt: skip
    assert "The message is on its way to 2 people." in sent.get_data(as_text=True)
    assert 'role="progressbar"' not in sent.get_data(as_text=True)  # a real <progress>
    assert '<progress id="delivery-bar"' in sent.get_data(as_text=True)
    run_jobs()
    assert fake_twilio.bodies_to(ANNE) == [
        "Hei! Vi trenger sjåfører til juleturen på lørdag.\n"
        "Svar STOPP for å ikke få flere meldinger."
    ]
    assert fake_twilio.bodies_to(BJORN) == [
        "Hi! We need drivers for the Christmas trip on Saturday 🎄\n"
        "Reply STOP to get no more messages."
    ]
    assert fake_twilio.bodies_to(CHRIS) == []

    db.session.commit()  # a new transaction sees what the jobs committed
    progress = coordinator_client.get(f"/staff/broadcasts/{broadcast.id}/progress.json")
    data = progress.get_json()
    assert (data["total"], data["counts"]["sent"], data["percent"]) == (2, 2, 0)
    assert data["text"] == "0 of 2 delivered"
    for message in fake_twilio.messages:
        params = {"MessageSid": message["sid"], "AccountSid": ACCOUNT_SID,
                  "MessageStatus": "delivered", "ApiVersion": "2010-04-01"}  # fmt: skip
        assert post_signed("/twilio/status", params).status_code == 204
    db.session.commit()  # a new transaction sees what the callbacks committed
    data = coordinator_client.get(f"/staff/broadcasts/{broadcast.id}/progress.json").get_json()
    assert (data["percent"], data["finished"], data["text"]) == (100, True, "2 of 2 delivered")
    page = coordinator_client.get(f"/staff/broadcasts/{broadcast.id}").get_data(as_text=True)
    assert 'aria-valuenow="100"' in page and "2 of 2 delivered" in page

    # Sending again changes nothing.
    again = post_form(coordinator_client, f"/staff/broadcasts/{broadcast.id}/send",
                      follow_redirects=True)  # fmt: skip
    assert "This message has been sent already." in again.get_data(as_text=True)
    run_jobs()
    assert len(fake_twilio.messages) == 2
    actions = list(db.session.scalars(sa.select(AuditEntry.action)))
    assert actions == ["broadcast.send"]


def test_residents_of_an_activity_and_its_waiting_list(coordinator_client):
    occurrence = factories.occurrence(title="Strikkekafé", capacity=1)
    for phone in (ANNE, BJORN):
        signups.join(find_or_create(phone), occurrence, utcnow())
    db.session.commit()
    form = coordinator_client.get("/staff/broadcasts/new").get_data(as_text=True)
    assert re.search(rf'<option value="{occurrence.id}">Strikkekafé, ', form)
    response = post_form(coordinator_client, "/staff/broadcasts/new", {
        "audience": "activity", "occurrence": str(occurrence.id), "waiting": "y",
        "body": "Husk garn!",
    })  # fmt: skip
    page = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Signed up to Strikkekafé" in page and "and its waiting list" in page
    assert "2 people get this message." in page


def test_bad_input_is_explained_kindly(coordinator_client):
    empty = post_form(coordinator_client, "/staff/broadcasts/new", {"audience": "volunteers"})
    assert empty.status_code == 400 and "Write the message." in empty.get_data(as_text=True)
    no_activity = post_form(coordinator_client, "/staff/broadcasts/new",
                            {"audience": "activity", "occurrence": "0", "body": "Hei"})  # fmt: skip
    assert no_activity.status_code == 400
    assert "Choose an activity." in no_activity.get_data(as_text=True)
    nobody = post_form(coordinator_client, "/staff/broadcasts/new",
                       {"audience": "volunteers", "tags": "juggling", "body": "Hei"})  # fmt: skip
    page = coordinator_client.get(nobody.headers["Location"]).get_data(as_text=True)
    assert "Nobody would get this message" in page and "Send to" not in page


def test_in_quiet_hours_the_page_says_it_waits_and_nothing_goes(
    app, coordinator_client, run_jobs, fake_twilio
):
    hour = utcnow().astimezone(local_zone()).hour
    app.config["QUIET_HOURS"] = f"{hour}-{(hour + 2) % 24}"
    factories.volunteer(ANNE)
    broadcast = a_draft()
    page = coordinator_client.get(f"/staff/broadcasts/{broadcast.id}").get_data(as_text=True)
    assert "It is quiet hours now: the messages wait until" in page
    sent = post_form(coordinator_client, f"/staff/broadcasts/{broadcast.id}/send",
                     follow_redirects=True)  # fmt: skip
    assert "It is quiet hours now: the messages wait until" in sent.get_data(as_text=True)
    run_jobs()
    assert fake_twilio.messages == []
    db.session.commit()
    held = db.session.get(Broadcast, broadcast.id)
    assert held.status == Broadcast.SENDING and held.send_at > utcnow()
