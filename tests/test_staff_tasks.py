"""Task pages: who may open them, creating a task, hand-picking a wave, sending, answers."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from app.extensions import db
from app.models import AuditEntry, Task, TaskOffer, TaskWave
from app.timeutil import local_zone, utcnow
from tests import factories
from tests.staff_helpers import csrf_token, make_staff, sign_in
from tests.task_helpers import COORDINATOR, plan, reload

ANNE, BJORN, CHRIS = "+4791100001", "+4791100002", "+4791100003"


def post_form(client, path: str, data: dict | None = None, **kwargs):
    """POST a task form with a valid CSRF token, as the page's form does.

    The test's app context (`ctx`) is shared with the client's requests, and so is `g`,
    where Flask-WTF caches the token: forget it, or a token from before sign-in (which
    clears the session) would be handed out again.
    """
    g.pop("csrf_token", None)
    token = csrf_token(client, "/staff/tasks")
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture(autouse=True)
def no_quiet_hours(app):
    app.config["QUIET_HOURS"] = "0-0"


@pytest.fixture
def coordinator_client(client, ctx):
    sign_in(client, make_staff("coordinator", phone=COORDINATOR, name="Kari"))
    return client


def when(days: int = 2) -> str:
    return (utcnow() + timedelta(days=days)).astimezone(local_zone()).strftime("%Y-%m-%dT%H:%M")


def pages(task_id: int) -> list[str]:
    return [
        "/staff/tasks",
        "/staff/tasks/new",
        f"/staff/tasks/{task_id}",
        f"/staff/tasks/{task_id}/status.json",
    ]


def test_nobody_signed_out_sees_a_task_page(client, ctx):
    task = factories.task()
    for path in pages(task.id):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/staff/login" in response.headers["Location"]
    for action in ("wave", "send", "cancel"):
        response = client.post(f"/staff/tasks/{task.id}/{action}")
        assert response.status_code in (302, 400), action
        assert reload(task).status == Task.OPEN


def test_staff_cannot_open_coordinator_pages(client, ctx):
    task = factories.task()
    sign_in(client, make_staff("staff"))
    for path in pages(task.id):
        assert client.get(path).status_code == 403, path
    for action in ("wave", "send", "cancel"):
        assert post_form(client, f"/staff/tasks/{task.id}/{action}").status_code == 403
    assert reload(task).status == Task.OPEN


def test_coordinators_and_admins_open_every_task_page(client, ctx):
    task = factories.task()
    for role in ("coordinator", "admin"):
        sign_in(client, make_staff(role))
        for path in pages(task.id):
            assert client.get(path).status_code == 200, (role, path)
    assert client.get("/staff/tasks/9999").status_code == 404


def test_the_list_shows_open_tasks_first_with_their_progress(coordinator_client):
    later = factories.task(title="Handle til fru Berg", starts_in=timedelta(days=3))
    sooner = factories.task(title="Kjøring til legen", needed=2)
    cancelled = factories.task(title="Avlyst tur")
    cancelled.status = Task.CANCELLED
    plan(later, [factories.volunteer(ANNE)])
    db.session.commit()
    html = coordinator_client.get("/staff/tasks").get_data(as_text=True)
    assert html.index("Kjøring til legen") < html.index("Handle til fru Berg")
    assert "0 of 2" in html and "1 chosen, not sent" in html
    assert "Avlyst tur" not in html
    assert "Avlyst tur" in coordinator_client.get("/staff/tasks?all=1").get_data(as_text=True)
    assert sooner.code is not None


def test_a_coordinator_creates_a_task_and_becomes_its_coordinator(coordinator_client):
    response = post_form(coordinator_client, "/staff/tasks/new", {
        "title": "Kjøring til legen", "description": "Fru Hansen trenger skyss.",
        "starts_at": when(), "place": "Fjordvik legekontor", "needed": "2",
        "coordinator": "0", "tags": "Driver", "notify_unanswered": "y",
    })  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    task = db.session.scalar(sa.select(Task))
    assert response.headers["Location"].endswith(f"/staff/tasks/{task.id}")
    assert (task.title, task.needed, task.required_tags) == ("Kjøring til legen", 2, ["driver"])
    assert task.coordinator.person.phone == COORDINATOR
    assert task.contact == f"Kari, {COORDINATOR}"


def test_the_form_explains_what_is_wrong(coordinator_client):
    kari = str(factories.coordinator().id)  # the staff member's own phone: already one
    missing = post_form(coordinator_client, "/staff/tasks/new", {"needed": "1"})
    assert missing.status_code == 400
    text = missing.get_data(as_text=True)
    assert "Write a short title." in text and "Give the date and time." in text
    past = post_form(coordinator_client, "/staff/tasks/new", {
        "title": "Tur", "starts_at": when(-1), "place": "Torget", "needed": "1",
        "coordinator": kari,
    })  # fmt: skip
    assert past.status_code == 400
    assert "The task must start in the future." in past.get_data(as_text=True)
    # Within each field's limit, but too long for two SMS in some language.
    long = post_form(coordinator_client, "/staff/tasks/new", {
        "title": "T" * 60, "description": "D" * 160, "place": "P" * 80, "contact": "C" * 80,
        "starts_at": when(), "needed": "1", "coordinator": kari,
    })  # fmt: skip
    assert long.status_code == 400
    assert "too long for two text messages" in long.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 0


def test_hand_picked_volunteers_are_asked_and_an_sms_answer_shows_up(
    coordinator_client, run_jobs, fake_twilio, sms
):
    anne = factories.volunteer(ANNE, "Anne", tags=["driver"])
    bjorn = factories.volunteer(BJORN, "Bjørn", tags=["driver"])
    factories.volunteer(CHRIS, "Chris", tags=["knitting"])
    task = factories.task(needed=1, tags=["driver"])

    page = coordinator_client.get(f"/staff/tasks/{task.id}").get_data(as_text=True)
    assert "Anne" in page and "Bjørn" in page and "Chris" not in page
    assert "+47…01" in page and ANNE not in page  # masked where whom to ask is chosen

    response = post_form(coordinator_client, f"/staff/tasks/{task.id}/wave",
                         {"volunteers": [str(anne.id)], "timing": "now"})  # fmt: skip
    assert response.status_code == 302
    run_jobs()
    assert len(fake_twilio.bodies_to(ANNE)) == 1
    assert fake_twilio.bodies_to(BJORN) == []

    db.session.commit()  # a new transaction sees what the jobs committed
    sms(f"JA {task.code}", ANNE)
    status = coordinator_client.get(f"/staff/tasks/{task.id}/status.json").get_json()
    assert (status["accepted"], status["needed"], status["status"]) == (1, 1, "filled")
    assert status["offers"]["accepted"] == 1
    assert status["answers"] == [{"name": "Anne", "wave": 1, "status": "accepted",
                                  "phone": ANNE, "status_text": "accepted"}]  # fmt: skip
    assert status["delivery"]["sent"] == 1
    assert any(e["kind"] == "accepted" and e["who"] == "Anne" for e in status["events"])
    page = coordinator_client.get(f"/staff/tasks/{task.id}").get_data(as_text=True)
    assert "1 of 1 have said yes." in page and f"tel:{ANNE}" in page
    assert bjorn.id


def test_take_the_next_n_and_a_later_wave_after_the_first(coordinator_client, run_jobs):
    people = [factories.volunteer(f"+479110000{n}", f"V{n}") for n in range(1, 5)]
    task = factories.task(needed=2)
    post_form(coordinator_client, f"/staff/tasks/{task.id}/wave", {"take": "2", "timing": "now"})
    run_jobs()
    db.session.commit()  # a new transaction sees what the jobs committed
    first = {o.person_id: o.status for o in db.session.scalars(sa.select(TaskOffer))}
    assert first == {people[0].person_id: "asked", people[1].person_id: "asked"}

    post_form(coordinator_client, f"/staff/tasks/{task.id}/wave",
              {"take": "1", "timing": "after", "after_minutes": "90"})  # fmt: skip
    db.session.commit()
    second = db.session.scalar(sa.select(TaskWave).where(TaskWave.number == 2))
    sent = db.session.scalar(sa.select(TaskWave.sent_at).where(TaskWave.number == 1))
    assert second.sent_at is None and second.send_at == sent + timedelta(minutes=90)
    assert second.after_minutes == 90


def test_choosing_nobody_is_explained(coordinator_client):
    task = factories.task()
    response = post_form(coordinator_client, f"/staff/tasks/{task.id}/wave",
                         {"timing": "now"}, follow_redirects=True)  # fmt: skip
    assert "Nobody was chosen." in response.get_data(as_text=True)


def test_send_button_sends_the_planned_wave(coordinator_client, run_jobs, fake_twilio):
    task = factories.task()
    plan(task, [factories.volunteer(ANNE)])
    response = post_form(coordinator_client, f"/staff/tasks/{task.id}/send",
                         follow_redirects=True)  # fmt: skip
    assert "Wave 1 is on its way." in response.get_data(as_text=True)
    run_jobs()
    assert len(fake_twilio.bodies_to(ANNE)) == 1


def test_in_quiet_hours_the_page_says_the_wave_waits(app, coordinator_client, run_jobs,
                                                     fake_twilio):  # fmt: skip
    hour = utcnow().astimezone(local_zone()).hour
    app.config["QUIET_HOURS"] = f"{hour}-{(hour + 2) % 24}"
    task = factories.task()
    plan(task, [factories.volunteer(ANNE)])
    response = post_form(coordinator_client, f"/staff/tasks/{task.id}/send",
                         follow_redirects=True)  # fmt: skip
    assert "waits for the end of the quiet hours" in response.get_data(as_text=True)
    run_jobs()
    assert fake_twilio.messages == []


def test_cancel_tells_those_who_said_yes(coordinator_client, run_jobs, fake_twilio):
    task = factories.task()
    plan(task, [factories.volunteer(ANNE)])
    post_form(coordinator_client, f"/staff/tasks/{task.id}/send")
    run_jobs()
    db.session.commit()  # a new transaction sees what the jobs committed
    db.session.execute(sa.update(TaskOffer).values(status="accepted"))
    db.session.execute(sa.update(Task).values(accepted=1, status=Task.FILLED))
    db.session.commit()
    response = post_form(coordinator_client, f"/staff/tasks/{task.id}/cancel",
                         follow_redirects=True)  # fmt: skip
    assert "is cancelled" in response.get_data(as_text=True)
    run_jobs()
    assert reload(task).status == Task.CANCELLED
    assert len(fake_twilio.bodies_to(ANNE)) == 2  # the request, then the cancellation
    again = post_form(coordinator_client, f"/staff/tasks/{task.id}/cancel", follow_redirects=True)
    assert "cannot be cancelled" in again.get_data(as_text=True)


def test_looking_at_candidates_and_choosing_are_audited(coordinator_client):
    anne = factories.volunteer(ANNE)
    task = factories.task()
    coordinator_client.get(f"/staff/tasks/{task.id}")
    post_form(coordinator_client, f"/staff/tasks/{task.id}/wave",
              {"volunteers": [str(anne.id)], "timing": "after"})  # fmt: skip
    actions = list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))
    assert "task.view" in actions and "task.plan_wave" in actions


def test_the_candidate_filter_narrows_the_list(coordinator_client):
    factories.volunteer(ANNE, "Anne", tags=["driver", "pl"], area="Sentrum")
    factories.volunteer(BJORN, "Bjørn", tags=["driver"], area="Nordbyen")
    task = factories.task()
    page = coordinator_client.get(f"/staff/tasks/{task.id}?tag=pl").get_data(as_text=True)
    assert "Anne" in page and "Bjørn" not in page
    page = coordinator_client.get(f"/staff/tasks/{task.id}?area=Nordbyen").get_data(as_text=True)
    assert "Anne" not in page and "Bjørn" in page
    bad = coordinator_client.get(f"/staff/tasks/{task.id}?rest_days=abc")
    assert bad.status_code == 200


def test_the_pages_speak_norwegian_to_those_who_chose_it(client, ctx):
    task = factories.task()
    plan(task, [factories.volunteer(ANNE, "Anne")])
    sign_in(client, make_staff("coordinator", language="nb"))
    listing = client.get("/staff/tasks").get_data(as_text=True)
    assert "Nytt oppdrag" in listing and "1 valgt, ikke sendt" in listing
    page = client.get(f"/staff/tasks/{task.id}").get_data(as_text=True)
    assert "Velg hvem som skal spørres" in page and "Send runde 1 nå" in page
    status = client.get(f"/staff/tasks/{task.id}/status.json").get_json()
    assert status["answers"][0]["status_text"] == "valgt"


def test_the_services_reasons_are_given_in_the_coordinators_language(client, ctx):
    sign_in(client, make_staff("coordinator", phone=COORDINATOR, name="Kari", language="nb"))
    kari = str(factories.coordinator().id)
    past = post_form(client, "/staff/tasks/new", {
        "title": "Tur", "starts_at": when(-1), "place": "Torget", "needed": "1",
        "coordinator": kari,
    })  # fmt: skip
    assert past.status_code == 400
    assert "Oppdraget må starte fram i tid." in past.get_data(as_text=True)
