"""Bearer tokens: who may call the API, and what every refusal looks like."""

import hashlib

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken
from app.services import api_tokens
from tests.api.conftest import ApiClient
from tests.staff_helpers import make_staff, sign_in


def test_no_token_is_401_with_a_bearer_challenge(api):
    response = api.get("/api/v1/activities", token=None)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"] == "unauthorized"


@pytest.mark.parametrize(
    "header",
    ["Bearer smt_nothere_secret", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer "],
)
def test_a_wrong_token_is_401(api, header):
    response = api.get("/api/v1/activities", token=None, headers={"Authorization": header})
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_a_right_prefix_with_a_wrong_secret_is_401(api):
    prefix = api.token.split("_")[1]
    response = api.get("/api/v1/activities", token=f"smt_{prefix}_{'x' * 43}")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_revoked_token_stops_working_at_once(api, app):
    assert api.get("/api/v1/activities").status_code == 200
    with app.app_context():
        api_tokens.revoke(api_tokens.find(api.token))
        db.session.commit()
    assert api.get("/api/v1/activities").status_code == 401


def test_a_missing_scope_is_403_and_names_the_scopes(api, make_token):
    reader = ApiClient(api.client, make_token("read"))
    assert reader.get("/api/v1/activities").status_code == 200
    response = reader.post("/api/v1/activities", json={})
    assert response.status_code == 403
    body = response.get_json()
    assert body["error"] == "insufficient_scope" and "activities" in body["message"]


def test_scope_is_checked_before_the_body(api, make_token):
    # A token without the scope learns nothing about the fields: 403, not 422.
    reader = ApiClient(api.client, make_token("read"))
    assert reader.post("/api/v1/activities", json={"nonsense": 1}).status_code == 403
    assert api.post("/api/v1/activities", token=None, json={}).status_code == 401


def test_only_a_hash_of_the_token_is_stored(api, app):
    with app.app_context():
        row = db.session.scalar(sa.select(ApiToken))
        assert row.secret_hash == hashlib.sha256(api.token.encode()).hexdigest()
        assert api.token.split("_", 2)[2] not in repr(row.__dict__)


def test_last_use_is_recorded(api, app):
    api.get("/api/v1/organisations")
    with app.app_context():
        assert db.session.scalar(sa.select(ApiToken.last_used_at)) is not None


def test_a_staff_session_does_not_authenticate_the_api(client, app):
    with app.app_context():
        admin = make_staff("admin")
    sign_in(client, admin)
    assert client.get("/staff/accounts").status_code == 200
    assert client.get("/api/v1/activities").status_code == 401
    assert client.post("/api/v1/activities", json={}).status_code == 401


def test_no_csrf_token_is_needed_with_a_bearer_token(api, ctx):
    response = api.post(
        "/api/v1/activities",
        json={"title": "Strikkekafé", "place": "Biblioteket", "organisation": "Biblioteket",
              "starts_at": "2099-03-03T18:00:00+01:00"},
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()


def test_unknown_addresses_and_methods_answer_json(api):
    missing = api.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.is_json
    wrong = api.delete("/api/v1/activities")
    assert wrong.status_code == 405 and wrong.is_json
    assert "GET" in wrong.headers["Allow"]
    assert api.get("/api/v1/activities/99999").get_json()["error"] == "not_found"


def test_other_pages_keep_their_own_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert not response.is_json


def test_an_unexpected_error_is_a_json_500_without_details(api, app, monkeypatch, caplog):
    from app.api import organisations

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail +4791234567")

    monkeypatch.setattr(organisations, "page_of", broken)
    response = api.get("/api/v1/organisations")
    assert response.status_code == 500
    assert response.get_json()["error"] == "internal_error"
    assert "4791234567" not in response.get_data(as_text=True)
    assert "4791234567" not in caplog.text


def test_find_rejects_malformed_tokens(ctx):
    made = api_tokens.create("x", ["read"])
    db.session.commit()
    assert api_tokens.find(made.plaintext) is not None
    for bad in ("", None, "smt_", "smt__x", made.plaintext + "x", made.plaintext[:-1],
                "abc_" + made.plaintext.split("_", 1)[1]):  # fmt: skip
        assert api_tokens.find(bad) is None


def test_scopes_are_checked_when_a_token_is_made(ctx):
    from app.models import Organisation

    with pytest.raises(api_tokens.TokenError):
        api_tokens.create("x", ["write"])
    with pytest.raises(api_tokens.TokenError):
        api_tokens.create("x", [])
    org = Organisation(name="Biblioteket")
    db.session.add(org)
    with pytest.raises(api_tokens.TokenError, match="volunteers"):
        api_tokens.create("x", ["read", "volunteers"], organisation=org)
    assert api_tokens.create("x", ["read", "activities"], organisation=org).token.scopes == [
        "read", "activities"
    ]  # fmt: skip
