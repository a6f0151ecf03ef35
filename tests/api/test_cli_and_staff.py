"""Tokens from the command line and from the staff pages (admins only)."""

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, AuditEntry
from app.services import api_tokens
from tests.staff_helpers import make_staff, post_form, sign_in

TOKEN = re.compile(r"smt_[0-9a-f]{12}_[A-Za-z0-9_\-]{43}")


def test_cli_create_list_revoke(runner, app, client):
    result = runner.invoke(args=["api-token", "create", "--name", "Kommunens kalender",
                                 "--scope", "read", "--scope", "activities"])  # fmt: skip
    assert result.exit_code == 0, result.output
    token = TOKEN.search(result.output).group(0)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/activities", headers=headers).status_code == 200
    listed = runner.invoke(args=["api-token", "list"])
    assert "Kommunens kalender" in listed.output and "read,activities" in listed.output
    assert token not in listed.output
    revoked = runner.invoke(args=["api-token", "revoke", "Kommunens kalender"])
    assert "Revoked" in revoked.output
    assert client.get("/api/v1/activities", headers=headers).status_code == 401
    assert "already" in runner.invoke(args=["api-token", "revoke", "1"]).output


def test_cli_refuses_unknown_scopes_and_organisations(runner):
    bad = runner.invoke(args=["api-token", "create", "--name", "x", "--scope", "write"])
    assert bad.exit_code != 0
    org = runner.invoke(args=["api-token", "create", "--name", "x", "--scope", "read",
                              "--organisation", "Nowhere"])  # fmt: skip
    assert org.exit_code != 0 and "organisation" in org.output


def test_cli_webhook_prints_the_signing_secret(runner, app):
    app.config["WEBHOOK_ALLOW_PRIVATE_URLS"] = True
    result = runner.invoke(args=["api-token", "create", "--name", "Hook", "--scope", "tasks",
                                 "--webhook-url", "http://127.0.0.1:9/hook"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "whsec_" in result.output
    with app.app_context():
        token = db.session.scalar(sa.select(ApiToken))
        assert token.webhook_events == ["task.filled"]


def test_only_admins_see_the_token_pages(client, app):
    with app.app_context():
        coordinator = make_staff("coordinator")
    sign_in(client, coordinator)
    assert client.get("/staff/api-tokens").status_code == 403
    assert "api-tokens" not in client.get("/staff/profile").get_data(as_text=True)


def test_an_admin_makes_a_token_and_sees_it_once(client, app):
    with app.app_context():
        admin = make_staff("admin", language="en")
    sign_in(client, admin)
    assert "API tokens" in client.get("/staff/api-tokens").get_data(as_text=True)
    response = post_form(client, "/staff/api-tokens/new", {
        "name": "Kalender", "scopes": ["read", "activities"], "organisation": "0",
    })  # fmt: skip
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = TOKEN.search(response.get_data(as_text=True)).group(0)
    assert (
        client.get(
            "/api/v1/organisations", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 200
    )
    with app.app_context():
        row = db.session.scalar(sa.select(ApiToken))
        assert row.created_by_id == admin.id and row.scopes == ["read", "activities"]
        page = client.get(f"/staff/api-tokens/{row.id}").get_data(as_text=True)
        assert token not in page and f"smt_{row.prefix}_" in page
        assert db.session.scalar(sa.select(AuditEntry.action)) == "create_api_token"


def test_the_form_says_what_is_wrong(client, app):
    with app.app_context():
        admin = make_staff("admin", language="en")
    sign_in(client, admin)
    response = post_form(client, "/staff/api-tokens/new", {"name": "X", "organisation": "0"})
    assert response.status_code == 200
    assert "Choose at least one scope." in response.get_data(as_text=True)


def test_an_admin_sets_a_webhook_gets_the_secret_once_and_revokes(client, app):
    app.config["WEBHOOK_ALLOW_PRIVATE_URLS"] = True
    with app.app_context():
        admin = make_staff("admin", language="en")
    with app.app_context():
        token_id = api_tokens.create("Kalender", ["activities"]).token.id
        db.session.commit()
    sign_in(client, admin)
    hooked = post_form(client, f"/staff/api-tokens/{token_id}/webhook", {
        "webhook_url": "http://127.0.0.1:9/hook", "events": ["signup.created"],
    })  # fmt: skip
    assert "whsec_" in hooked.get_data(as_text=True)
    refused = post_form(client, f"/staff/api-tokens/{token_id}/webhook", {
        "webhook_url": "http://127.0.0.1:9/hook", "events": ["task.filled"],
    })  # fmt: skip
    assert refused.status_code == 400
    assert "do not cover" in refused.get_data(as_text=True)
    renewed = post_form(client, f"/staff/api-tokens/{token_id}/secret")
    assert "whsec_" in renewed.get_data(as_text=True)
    post_form(client, f"/staff/api-tokens/{token_id}/revoke")
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is not None


def test_the_norwegian_pages_are_translated(client, app):
    with app.app_context():
        admin = make_staff("admin", language="nb")
    sign_in(client, admin)
    page = client.get("/staff/api-tokens/new").get_data(as_text=True)
    assert "Ny nøkkel" in page and "Tilganger" in page
