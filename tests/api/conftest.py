"""Fixtures for the JSON API: tokens with chosen scopes, and a client that sends them."""

import pytest
from flask import has_app_context

from app.extensions import db
from app.models import Organisation
from app.services import api_tokens

ALL_SCOPES = api_tokens.SCOPES


class ApiClient:
    """The test client, with `Authorization: Bearer <token>` on every request."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def request(self, method: str, path: str, token: str | None = "default", **kwargs):
        token = self.token if token == "default" else token
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def make_token(app):
    """`make_token("read", "activities", organisation="Biblioteket")` -> the plaintext."""

    def make(*scopes, organisation: str | None = None, name: str = "Test platform", **kw):
        with app.app_context():
            org = None
            if organisation:
                org = db.session.query(Organisation).filter_by(name=organisation).one_or_none()
                if org is None:
                    org = Organisation(name=organisation)
                    db.session.add(org)
                    db.session.flush()
            made = api_tokens.create(name, scopes or ALL_SCOPES, organisation=org, **kw)
            db.session.commit()
        if has_app_context():
            # A test's own session (the `ctx` fixture, which requests share) starts a new
            # transaction, so that it sees the token.
            db.session.commit()
        return made.plaintext

    return make


@pytest.fixture
def api(client, make_token):
    """A client holding a token with every scope; `api.token` may be replaced."""
    return ApiClient(client, make_token(*ALL_SCOPES))


def as_token(api: ApiClient, token: str) -> ApiClient:
    return ApiClient(api.client, token)
