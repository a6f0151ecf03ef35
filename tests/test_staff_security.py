"""Staff pages under attack: every route walked with every role, CSRF on every POST,
planted or carried session cookies, and guessing passwords.

The walks read the app's own URL map, so a page added later is covered without
editing this file; a page that forgets to declare its role fails here.
"""

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import Rule

from app.extensions import db
from app.models import (
    Activity,
    AuditEntry,
    Broadcast,
    CallbackRequest,
    Person,
    StaffUser,
    Task,
    Volunteer,
)
from app.models.staff import ROLES
from app.services import broadcasts, callbacks
from tests import factories
from tests.staff_helpers import PASSWORD, csrf_token, make_staff, sign_in

# Open to anyone (the sign-in page) or to anyone signed in, whatever their role.
PUBLIC = {"staff.login", "staff.static"}
ANY_ROLE = {"staff.logout", "staff.home"}


def staff_rules(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("staff.")]


def required_role(app: Flask, rule: Rule) -> str | None:
    return getattr(app.view_functions[rule.endpoint], "required_role", None)


@pytest.fixture
def objects(app) -> dict[str, int]:
    """One of everything a staff URL can name, so allowed pages really load an object."""
    app.config["LANGUAGES"] = ["nb", "en"]  # the task's texts need to fit only these
    with app.app_context():
        occurrence = factories.occurrence(capacity=5)
        volunteer = factories.volunteer("+4791100001", name="Ingrid")
        task = factories.task()
        person = Person(phone="+4791100002", language="nb")
        db.session.add(person)
        db.session.flush()
        request, _ = callbacks.request_callback(person, "nb", "asked")
        draft = broadcasts.create_draft(None, body="Hei!", audience=Broadcast.VOLUNTEERS)
        other = make_staff("staff")
        db.session.commit()
        return {
            "activity_id": occurrence.activity_id, "occurrence_id": occurrence.id,
            "volunteer_id": volunteer.id, "task_id": task.id, "broadcast_id": draft.id,
            "request_id": request.id, "user_id": other.id,
        }  # fmt: skip


def path_of(rule: Rule, ids: dict[str, int]) -> str:
    values = {}
    for name, converter in rule._converters.items():
        choices = getattr(converter, "items", None)
        values[name] = sorted(choices)[0] if choices else ids.get(name, 1)
    if rule.endpoint == "staff.static":
        values["filename"] = "staff.css"
    return rule.build(values, append_unknown=False)[1]


def snapshot() -> dict[str, list]:
    """The state a forbidden or forged POST could change, as plain values."""
    db.session.expire_all()
    tables = (Activity, Volunteer, Task, Broadcast, CallbackRequest, StaffUser, Person)
    state = {}
    for model in tables:
        rows = db.session.scalars(sa.select(model).order_by(model.id))
        state[model.__tablename__] = [
            {c.key: getattr(row, c.key) for c in model.__mapper__.column_attrs} for row in rows
        ]
    return state


def user_of(app, role: str) -> StaffUser:
    with app.app_context():
        user = make_staff(role)
        db.session.expunge(user)
    return user


def test_every_staff_page_declares_the_role_it_needs(app):
    undeclared = [
        rule.rule
        for rule in staff_rules(app)
        if rule.endpoint not in PUBLIC | ANY_ROLE and required_role(app, rule) not in ROLES
    ]
    assert undeclared == []


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_the_pages_its_role_allows(app, client, objects, role):
    sign_in(client, user_of(app, role))
    seen = {}
    for rule in staff_rules(app):
        if "GET" not in rule.methods or rule.endpoint in PUBLIC:
            continue
        needed = required_role(app, rule)
        status = client.get(path_of(rule, objects)).status_code
        seen[rule.endpoint] = status
        if needed is None or ROLES.index(role) >= ROLES.index(needed):
            # A page naming an object this test did not make may say "not found".
            arranged = all(name in objects for name in rule.arguments - {"action"})
            assert status in ((200, 302) if arranged else (200, 302, 404)), (rule.rule, status)
        else:
            assert status == 403, (rule.rule, status)
    assert seen  # the walk found pages


@pytest.mark.parametrize("role", ["staff", "coordinator"])
def test_a_post_above_ones_role_is_403_and_changes_nothing(app, client, objects, role):
    user = user_of(app, role)
    sign_in(client, user)
    token = csrf_token(client, "/staff/profile")
    with app.app_context():
        before = snapshot()
    tried = 0
    for rule in staff_rules(app):
        needed = required_role(app, rule)
        if "POST" not in rule.methods or needed is None or user.has_role(needed):
            continue
        form = {"csrf_token": token, "confirm": "yes", "role": "admin", "password": "x" * 20,
                "password2": "x" * 20, "email": "new@example.org", "name": "Eve",
                "body": "Hei", "phone": "+4791100009"}  # fmt: skip
        response = client.post(path_of(rule, objects), data=form)
        assert response.status_code == 403, (rule.rule, response.status_code)
        tried += 1
    assert tried
    with app.app_context():
        assert snapshot() == before


def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(app, client, objects):
    admin = user_of(app, "admin")
    sign_in(client, admin)
    with app.app_context():
        before = snapshot()
    posts = [r for r in staff_rules(app) if "POST" in r.methods]
    assert len(posts) > 20
    for rule in posts:
        for data in ({}, {"csrf_token": "forged"}):
            response = client.post(path_of(rule, objects), data={**data, "confirm": "yes"})
            assert response.status_code == 400, (rule.rule, data, response.status_code)
    with app.app_context():
        assert snapshot() == before
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
    assert client.get("/staff/callbacks").status_code == 200  # still signed in: nothing ran


def test_a_token_from_another_session_is_refused(app, client):
    admin = user_of(app, "admin")
    other = app.test_client()
    sign_in(other, user_of(app, "admin"))
    foreign = csrf_token(other, "/staff/profile")
    sign_in(client, admin)
    response = client.post("/staff/profile", data={"csrf_token": foreign, "name": "Mallory"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(StaffUser, admin.id).name == admin.name


# --- sessions ---------------------------------------------------------------------------


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_a_session_cookie_planted_before_sign_in_is_not_the_one_signed_in(app, client):
    staff = user_of(app, "staff")
    attacker = app.test_client()
    csrf_token(attacker)  # the attacker's own fresh session (it holds a CSRF token)
    planted = session_cookie(attacker)
    assert planted
    client.set_cookie("session", planted)  # planted in the victim's browser
    assert sign_in(client, staff).status_code == 302
    assert session_cookie(client) != planted
    # The attacker's copy is still a stranger's session.
    assert attacker.get("/staff/callbacks").status_code == 302


def test_a_signed_in_cookie_carried_to_another_browser_is_refused(app, client):
    sign_in(client, user_of(app, "staff"))
    stolen = session_cookie(client)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/staff/callbacks", headers={"User-Agent": "Thief/1.0"},
                         environ_base={"REMOTE_ADDR": "203.0.113.9"})  # fmt: skip
    assert response.status_code == 302 and "/staff/login" in response.location
    assert client.get("/staff/callbacks").status_code == 200  # the owner is not affected


# --- guessing passwords -----------------------------------------------------------------


def attempt(app, client, email: str, password: str, address: str, **headers):
    token = csrf_token(client)
    return client.post(
        "/staff/login", data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address}, headers=headers,
    )  # fmt: skip


def test_a_forged_forwarded_for_header_does_not_reset_the_address_count(app, client):
    staff = user_of(app, "staff")
    assert app.config["TRUSTED_PROXY_COUNT"] == 0
    for n in range(app.config["SIGNIN_MAX_FAILURES"]):
        attempt(app, client, f"guess{n}@example.org", "wrong password!", "198.51.100.7",
                **{"X-Forwarded-For": f"10.0.0.{n}"})  # fmt: skip
    response = attempt(app, client, staff.email, PASSWORD, "198.51.100.7",
                       **{"X-Forwarded-For": "10.0.0.99"})  # fmt: skip
    assert response.status_code == 429


def test_a_locked_email_answers_the_same_whether_the_password_is_right(app, client):
    staff = user_of(app, "staff")
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        attempt(app, client, staff.email, "wrong password!", "198.51.100.8")
    right = attempt(app, client, staff.email, PASSWORD, "198.51.100.9")
    wrong = attempt(app, client, staff.email, "still wrong!!", "198.51.100.10")
    assert right.status_code == wrong.status_code == 429
    for response in (right, wrong):
        assert "For mange mislykkede forsøk" in response.text  # nb: no Accept-Language
        assert "feil" not in response.text  # nothing said about the password itself


def test_an_unknown_email_and_a_wrong_password_look_the_same(app, client):
    staff = user_of(app, "staff")
    unknown = attempt(app, client, "nobody@example.org", "wrong password!", "198.51.100.11")
    wrong = attempt(app, client, staff.email, "wrong password!", "198.51.100.12")
    assert unknown.status_code == wrong.status_code == 401
    assert ("feil" in unknown.text) == ("feil" in wrong.text)


def test_a_cookie_copied_before_sign_out_is_worthless_after_it(app, client):
    sign_in(client, user_of(app, "staff"))
    copied = session_cookie(client)
    assert client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/profile")}
                       ).status_code == 302  # fmt: skip
    replay = app.test_client()
    replay.set_cookie("session", copied)
    assert replay.get("/staff/callbacks").status_code == 302
