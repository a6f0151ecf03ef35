"""Staff sign-in: who may see what, CSRF, throttling, sessions that end, the CLI."""

import time

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import StaffUser
from app.services import staff_accounts
from tests.staff_helpers import PASSWORD, csrf_token, make_staff, post_form, sign_in

PAGES = [
    "/staff/",
    "/staff/callbacks",
    "/staff/callbacks/1",
    "/staff/accounts",
    "/staff/accounts/new",
    "/staff/profile",
]
COORDINATOR_ENDPOINTS = ["staff.activities", "staff.volunteers", "staff.tasks", "staff.broadcasts"]


@pytest.fixture
def staff(app):
    with app.app_context():
        user = make_staff("staff")
        db.session.expunge(user)
    return user


def _user(app, role, **fields):
    with app.app_context():
        user = make_staff(role, **fields)
        db.session.expunge(user)
    return user


@pytest.mark.parametrize("path", PAGES)
def test_nobody_unauthenticated_sees_anything_but_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/staff/login")


def test_every_staff_page_of_every_part_needs_sign_in(app, client):
    rules = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("staff.") and r.endpoint not in ("staff.login", "staff.static")
    ]
    assert rules
    for rule in rules:
        values = {
            name: sorted(getattr(conv, "items", None) or [1])[0]
            for name, conv in rule._converters.items()
        }
        path = rule.build(values, append_unknown=False)[1]
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(path, method=method)
        # A POST without a token is refused by CSRF first (400); otherwise to sign-in.
        assert response.status_code in (302, 400), (rule.rule, response.status_code)
        if response.status_code == 302:
            assert "/staff/login" in response.location


def test_sign_in_page_follows_the_browser_language(client):
    assert "Logg inn" in client.get("/staff/login", headers={"Accept-Language": "nb"}).text
    assert "Sign in" in client.get("/staff/login", headers={"Accept-Language": "en"}).text


def test_sign_in_and_out(client, staff):
    response = sign_in(client, staff)
    assert response.status_code == 302
    assert response.location.endswith("/staff/callbacks")
    assert client.get("/staff/callbacks").status_code == 200
    response = post_form(client, "/staff/logout")
    assert response.status_code == 302
    assert client.get("/staff/callbacks").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_never_elsewhere(client, staff):
    token = csrf_token(client)
    form = {"email": staff.email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/staff/login?next=/staff/profile", data=form)
    assert response.location.endswith("/staff/profile")
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/profile")})
    form["csrf_token"] = csrf_token(client)
    response = client.post("/staff/login?next=https://evil.example/staff/x", data=form)
    assert response.location.endswith("/staff/callbacks")


def test_email_is_not_case_sensitive(client, staff):
    assert sign_in(client, staff.email.upper()).status_code == 302


def test_wrong_password_is_refused_kindly(client, staff):
    response = sign_in(client, staff, password="wrong password!")
    assert response.status_code == 401
    assert "The email or the password is wrong" in response.text or "feil" in response.text
    assert client.get("/staff/callbacks").status_code == 302


def test_empty_form_shows_errors_next_to_the_fields(client):
    token = csrf_token(client)
    response = client.post(
        "/staff/login", data={"csrf_token": token}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert 'id="email-error"' in response.text and "Enter your email address." in response.text


def test_a_post_without_csrf_token_is_refused(client, staff):
    response = client.post("/staff/login", data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 400
    sign_in(client, staff)
    assert client.post("/staff/logout").status_code == 400
    assert client.post("/staff/callbacks/1/claim").status_code == 400


def test_twilio_webhooks_stay_free_of_csrf(client):
    # Signed by Twilio, not by a form: an unsigned post is 403 (signature), never 400.
    assert client.post("/twilio/sms", data={"Body": "hi"}).status_code == 403


def test_session_is_new_after_sign_in(client, staff):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, staff)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.permanent


def test_session_cookie_flags(app, client, staff):
    response = sign_in(client, staff)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" in cookie  # PUBLIC_BASE_URL is https in the tests
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 480 * 60


def test_session_ends_after_the_configured_time(app, client, staff):
    sign_in(client, staff)
    with client.session_transaction() as session:
        session["staff_signed_in_at"] = time.time() - 481 * 60
    response = client.get("/staff/callbacks")
    assert response.status_code == 302 and "/staff/login" in response.location
    assert client.get("/staff/profile").status_code == 302


def test_a_password_reset_ends_the_old_sessions(app, client, staff):
    sign_in(client, staff)
    with app.app_context():
        user = db.session.get(StaffUser, staff.id)
        staff_accounts.set_password(user, "another good password")
        db.session.commit()
    assert client.get("/staff/callbacks").status_code == 302


def test_a_deactivated_account_is_signed_out_and_cannot_sign_in(app, client, staff):
    sign_in(client, staff)
    with app.app_context():
        db.session.execute(sa.update(StaffUser).values(active=False))
        db.session.commit()
    assert client.get("/staff/callbacks").status_code == 302
    assert sign_in(client, staff).status_code == 401


def test_roles_staff_cannot_open_coordinator_or_admin_pages(app, client, staff):
    sign_in(client, staff)
    assert client.get("/staff/accounts").status_code == 403
    assert client.get("/staff/accounts/new").status_code == 403
    for endpoint in COORDINATOR_ENDPOINTS:
        if endpoint in app.view_functions:
            with app.test_request_context():
                from flask import url_for

                path = url_for(endpoint)
            assert client.get(path).status_code == 403, endpoint
    page = client.get("/staff/callbacks").text
    assert "Staff accounts" not in page and "/staff/accounts" not in page


def test_roles_coordinator_cannot_open_accounts(app, client):
    sign_in(client, _user(app, "coordinator"))
    response = client.get("/staff/accounts")
    assert response.status_code == 403
    assert "Your role does not give access to this page." in response.text
    assert client.get("/staff/callbacks").status_code == 200


def test_roles_admin_sees_everything(app, client):
    sign_in(client, _user(app, "admin"))
    assert client.get("/staff/accounts").status_code == 200
    page = client.get("/staff/callbacks").text
    assert "/staff/accounts" in page
    assert "/simulator/" in page  # the simulator is on in the tests: linked for training


def test_the_home_page_is_the_callback_queue(client, staff):
    sign_in(client, staff)
    assert client.get("/staff/").location.endswith("/staff/callbacks")


# --- throttling -------------------------------------------------------------------------


def test_five_failures_for_an_email_lock_it_for_a_while(client, staff):
    for _ in range(5):
        assert sign_in(client, staff, password="wrong password!").status_code == 401
    response = sign_in(client, staff)  # the right password, too late
    assert response.status_code == 429
    assert "For mange mislykkede forsøk" in response.text  # nb: no Accept-Language
    assert client.get("/staff/callbacks").status_code == 302


def test_five_failures_from_one_address_lock_that_address(app, client, staff):
    for n in range(5):
        sign_in(client, f"nobody{n}@example.org", password="wrong password!")
    assert sign_in(client, staff).status_code == 429
    other = app.test_client()
    response = other.post(
        "/staff/login",
        data={"email": staff.email, "password": PASSWORD, "csrf_token": csrf_token(other)},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 302  # another address, an email without failures


def test_a_success_clears_the_email_count(client, staff):
    for _ in range(4):
        sign_in(client, staff, password="wrong password!")
    assert sign_in(client, staff).status_code == 302


def test_without_redis_sign_in_is_allowed(app, staff):
    broken = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "SECRET_KEY": "test",
        }
    )
    client = broken.test_client()
    for _ in range(6):
        sign_in(client, staff, password="wrong password!")
    assert sign_in(client, staff).status_code == 302
    with broken.app_context():
        db.session.remove()
        db.engine.dispose()


# --- the command line ---------------------------------------------------------------------


def test_cli_creates_the_first_admin(app, runner):
    result = runner.invoke(
        args=[
            "staff",
            "create",
            "--email",
            "Admin@Example.org",
            "--name",
            "Ada",
            "--role",
            "admin",
            "--phone",
            "912 34 567",
        ],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = staff_accounts.find_by_email("admin@example.org")
        assert user.role == "admin" and user.phone == "+4791234567"
        assert user.password_hash.startswith("scrypt:")
        assert "a long enough password" not in result.output


def test_cli_refuses_a_weak_password(app, runner):
    result = runner.invoke(
        args=["staff", "create", "--email", "a@example.org", "--name", "A"],
        input="short\nshort\n",
    )
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    with app.app_context():
        assert staff_accounts.find_by_email("a@example.org") is None


def test_cli_asks_twice(app, runner):
    result = runner.invoke(
        args=["staff", "create", "--email", "b@example.org", "--name", "B"],
        input="a long enough password\nanother long password\n"
        "a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output or "match" in result.output
