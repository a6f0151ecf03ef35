"""Admin pages for staff accounts, and everyone's own profile."""

import pytest

from app.extensions import db
from app.models import AuditEntry, StaffUser
from app.services import staff_accounts
from tests.staff_helpers import PASSWORD, make_staff, post_form, sign_in

NEW = {
    "name": "Nora",
    "email": "Nora@Example.org",
    "role": "coordinator",
    "phone": "912 34 568",
    "language": "en",
    "password": "a long enough password",
    "confirm": "a long enough password",
}


@pytest.fixture
def admin(app, client):
    with app.app_context():
        user = make_staff("admin", name="Ada")
    sign_in(client, user)
    return user


def _find(app, email):
    with app.app_context():
        user = staff_accounts.find_by_email(email)
        if user is not None:
            db.session.expunge(user)
        return user


def test_the_list_shows_every_account(app, client, admin):
    with app.app_context():
        make_staff("staff", name="Siri", phone="+4791234567")
    page = client.get("/staff/accounts").text
    assert "Ada" in page and "Siri" in page and "+4791234567" in page


def test_create_an_account_with_role_and_phone(app, client, admin):
    response = post_form(client, "/staff/accounts/new", NEW)
    assert response.status_code == 302
    user = _find(app, "nora@example.org")
    assert user.role == "coordinator" and user.phone == "+4791234568" and user.language == "en"
    assert user.password_hash.startswith("scrypt:")
    other = app.test_client()
    assert sign_in(other, "nora@example.org", "a long enough password").status_code == 302
    with app.app_context():
        assert db.session.query(AuditEntry).filter_by(action="create_staff_account").count() == 1


def test_bad_input_is_shown_next_to_the_fields(app, client, admin):
    bad = {**NEW, "email": "not an email", "password": "short", "confirm": "other", "phone": "x"}
    response = post_form(client, "/staff/accounts/new", bad)
    assert response.status_code == 200
    assert "Enter a valid email address." in response.text
    assert "The passwords differ." in response.text
    assert _find(app, "not an email") is None


def test_a_weak_password_is_refused(app, client, admin):
    weak = {**NEW, "password": "short", "confirm": "short"}
    response = post_form(client, "/staff/accounts/new", weak)
    assert "at least 12 characters" in response.text
    assert _find(app, "nora@example.org") is None


def test_an_email_can_have_one_account(app, client, admin):
    post_form(client, "/staff/accounts/new", NEW)
    response = post_form(client, "/staff/accounts/new", {**NEW, "name": "Other"})
    assert "There is already an account with this email." in response.text


def test_deactivate_and_reactivate(app, client, admin):
    with app.app_context():
        siri = make_staff("staff", name="Siri")
    other = app.test_client()
    sign_in(other, siri)
    post_form(client, f"/staff/accounts/{siri.id}/deactivate")
    assert other.get("/staff/callbacks").status_code == 302  # signed out at once
    assert sign_in(other, siri).status_code == 401
    post_form(client, f"/staff/accounts/{siri.id}/reactivate")
    assert sign_in(other, siri).status_code == 302


def test_admins_cannot_deactivate_themselves(app, client, admin):
    response = post_form(client, f"/staff/accounts/{admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account." in response.text
    with app.app_context():
        assert db.session.get(StaffUser, admin.id).active


def test_reset_password(app, client, admin):
    with app.app_context():
        siri = make_staff("staff", name="Siri")
    form = {"password": "a brand new password", "confirm": "a brand new password"}
    response = post_form(client, f"/staff/accounts/{siri.id}/password", form)
    assert response.status_code == 302
    other = app.test_client()
    assert sign_in(other, siri).status_code == 401
    assert sign_in(other, siri, "a brand new password").status_code == 302


def test_unknown_account_is_a_404(client, admin):
    assert client.get("/staff/accounts/999/password").status_code == 404


# --- the profile ------------------------------------------------------------------------------


def test_profile_sets_phone_and_language(app, client):
    with app.app_context():
        user = make_staff("staff", name="Siri")
    sign_in(client, user)
    form = {"name": "Siri H.", "phone": "+47 987 65 432", "language": "nb"}
    assert post_form(client, "/staff/profile", form).status_code == 302
    with app.app_context():
        saved = db.session.get(StaffUser, user.id)
        assert saved.phone == "+4798765432" and saved.language == "nb" and saved.name == "Siri H."
    page = client.get("/staff/callbacks").text
    assert '<html lang="nb">' in page and "Tilbakeringing" in page


def test_profile_refuses_a_number_that_is_not_one(app, client):
    with app.app_context():
        user = make_staff("staff")
    sign_in(client, user)
    response = post_form(client, "/staff/profile", {"name": "X", "phone": "abc", "language": "en"})
    assert response.status_code == 200
    assert "Enter a phone number" in response.text


def test_everyone_may_open_their_profile(app, client):
    for role in ("staff", "coordinator", "admin"):
        with app.app_context():
            user = make_staff(role)
        other = app.test_client()
        sign_in(other, user, PASSWORD)
        assert other.get("/staff/profile").status_code == 200
