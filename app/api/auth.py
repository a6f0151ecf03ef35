"""Who is calling: the bearer token, its scopes, and the organisation it may be bound to.

Only the Authorization header counts: a staff session cookie sent along means nothing
here, so a browser signed in to the staff pages cannot be made to call the API for
someone else (which is also why CSRF does not apply to /api).
"""

from flask import g, request

from app.api.errors import BEARER, ApiError, not_found
from app.extensions import db
from app.models import ApiToken
from app.services import api_tokens


def authenticate(scopes: tuple[str, ...], shared: bool = False) -> ApiToken:
    """The request's token, or ApiError: 401 without a valid token, 403 without a scope.

    `shared`: the operation is about data the whole service keeps (volunteers, callbacks,
    people), which a token bound to one organisation may not reach.
    """
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "unauthorized", "Send an API token: Authorization: Bearer <token>.",
                       headers={"WWW-Authenticate": BEARER})  # fmt: skip
    token = api_tokens.find(value)
    if token is None:
        raise ApiError(
            401, "invalid_token", "The token is not valid, or it has been revoked.",
            headers={"WWW-Authenticate": f'{BEARER}, error="invalid_token"'},
        )  # fmt: skip
    if not api_tokens.allows(token, *scopes):
        raise ApiError(
            403, "insufficient_scope", f"This needs a token with the scope {' or '.join(scopes)}.",
            headers={"WWW-Authenticate": f'{BEARER}, error="insufficient_scope", '
                                         f'scope="{" ".join(scopes)}"'},
        )  # fmt: skip
    if shared and token.organisation_id is not None:
        raise ApiError(403, "organisation_token",
                       "This token belongs to one organisation; this data belongs to the whole "
                       "service.")  # fmt: skip
    api_tokens.touch(token)
    db.session.commit()
    g.api_token = token
    return token


def token() -> ApiToken:
    """The token of the current request (after `authenticate`)."""
    return g.api_token


def bound_organisation() -> int | None:
    """The organisation the token is bound to, if any."""
    return g.api_token.organisation_id


def check_organisation(organisation_id: int | None, what: str) -> None:
    """404 for another organisation's object when the token is bound to one: the token
    cannot even learn that the object exists."""
    bound = bound_organisation()
    if bound is not None and organisation_id != bound:
        raise not_found(what)
