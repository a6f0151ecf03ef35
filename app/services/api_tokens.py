"""API tokens: made by admins, shown once, kept only as a hash, revocable.

A token reads `smt_<prefix>_<secret>`. The prefix is public and finds the row; the
whole token is kept as its SHA-256. That is the right hash here, not a slow password
hash: the secret is 256 random bits, so there is nothing to guess and no dictionary
to try, and a slow hash would only cost every API request tens of milliseconds.
The comparison is constant-time, so timing says nothing about the hash.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.i18n import N_
from app.models import ApiToken, Organisation, StaffUser
from app.services.url_fetch import FetchError, check_url
from app.timeutil import utcnow

PREFIX = "smt"
NAME_MAX = 80
URL_MAX = 500
# What a token may do. `read` reads everything but personal data exports; each of the
# others also reads its own kind. `broadcasts` texts many people at once and `people`
# exports and deletes a person's data, so neither comes with anything else.
SCOPES = ("read", "activities", "volunteers", "tasks", "callbacks", "broadcasts", "people")
# Kept by the whole service, not by one organisation: not for organisation-bound tokens.
SERVICE_WIDE = ("volunteers", "callbacks", "people")
# Events a webhook may subscribe to, and the scopes that may see each.
EVENTS = {
    "signup.created": ("read", "activities"),
    "task.filled": ("read", "tasks"),
    "callback.requested": ("read", "callbacks"),
}
# last_used_at is written at most this often, so reads do not each write a row.
TOUCH_EVERY = timedelta(minutes=1)


class TokenError(ValueError):
    """A token cannot be made or changed like that. `msgid` (with `values`) says why;
    `field` names the input it is about. `str()` is the English text (command line)."""

    def __init__(self, msgid: str, field: str | None = None, **values):
        super().__init__(msgid.format(**values))
        self.msgid, self.field, self.values = msgid, field, values


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


def _hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create(
    name: str,
    scopes,
    *,
    created_by: StaffUser | None = None,
    organisation: Organisation | None = None,
    webhook_url: str | None = None,
    webhook_events=None,
) -> NewToken:
    """A new token (caller commits). The plaintext is in the result and nowhere else."""
    name = " ".join((name or "").split())  # one line: it is shown in lists and the audit log
    if not 0 < len(name) <= NAME_MAX:
        raise TokenError(N_("The name needs 1 to {most} characters."), "name", most=NAME_MAX)
    scopes = check_scopes(scopes, organisation)
    for _ in range(5):
        prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        plaintext = f"{PREFIX}_{prefix}_{secret}"
        token = ApiToken(
            name=name, prefix=prefix, secret_hash=_hash(plaintext), scopes=scopes,
            organisation=organisation, created_by=created_by, webhook_events=[],
        )  # fmt: skip
        try:
            with db.session.begin_nested():
                db.session.add(token)
            break
        except IntegrityError:  # the same prefix twice: draw again
            continue
    else:
        raise TokenError(N_("Could not make a token. Please try again."))
    if webhook_url:
        set_webhook(token, webhook_url, webhook_events or list(EVENTS))
    return NewToken(token, plaintext)


def check_scopes(scopes, organisation: Organisation | None = None) -> list[str]:
    """The scopes, known and in order; TokenError for none, an unknown one, or a
    service-wide one on an organisation-bound token."""
    wanted = [s.strip().lower() for s in scopes or [] if s and s.strip()]
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise TokenError(N_("Unknown scope: {scope}."), "scopes", scope=", ".join(unknown))
    if not wanted:
        raise TokenError(N_("Choose at least one scope."), "scopes")
    if organisation is not None and (shared := [s for s in wanted if s in SERVICE_WIDE]):
        raise TokenError(
            N_("A token for one organisation cannot have the scope {scope}: that data "
               "belongs to the whole service."), "scopes", scope=", ".join(shared),
        )  # fmt: skip
    return [s for s in SCOPES if s in wanted]


def find(plaintext: str | None) -> ApiToken | None:
    """The active token this is, or None (unknown, malformed, wrong secret, revoked)."""
    parts = (plaintext or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or len(parts[1]) > 16:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.prefix == parts[1]))
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(plaintext.strip())):
        return None
    return token if token.revoked_at is None else None


def touch(token: ApiToken, now: datetime | None = None) -> None:
    """Note that the token was used (at most once a minute; one conditional UPDATE)."""
    now = now or utcnow()
    db.session.execute(
        sa.update(ApiToken)
        .where(
            ApiToken.id == token.id,
            sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOUCH_EVERY),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def allows(token: ApiToken, *scopes: str) -> bool:
    """True if the token has any of `scopes`."""
    return any(scope in (token.scopes or []) for scope in scopes)


def revoke(token: ApiToken, now: datetime | None = None) -> bool:
    """Stop the token working, at once and for good. False if it already was revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now or utcnow()
    db.session.flush()
    return True


def get(token_id: int) -> ApiToken | None:
    return db.session.get(ApiToken, token_id)


def by_name_or_prefix(key: str) -> ApiToken | None:
    """A token by its id, its prefix, or its name (the newest active one of that name)."""
    key = (key or "").strip()
    if key.isdigit():
        return get(int(key))
    return db.session.scalar(
        sa.select(ApiToken)
        .where(sa.or_(ApiToken.prefix == key, ApiToken.name == key))
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        .limit(1)
    )


def listing() -> list[ApiToken]:
    """Every token, active ones first, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


def set_webhook(token: ApiToken, url: str | None, events) -> str | None:
    """Send `events` to `url` (none: stop sending). Returns a new signing secret when
    the token had none (shown once), else None. Caller commits."""
    url = (url or "").strip()
    if not url:
        token.webhook_url, token.webhook_events = None, []
        return None
    check_webhook_url(url)
    wanted = [e for e in EVENTS if e in set(events or [])]
    if unknown := sorted(set(events or []) - set(EVENTS)):
        raise TokenError(N_("Unknown event: {event}."), "events", event=", ".join(unknown))
    if not wanted:
        raise TokenError(N_("Choose at least one event."), "events")
    for event in wanted:
        if not allows(token, *EVENTS[event]):
            raise TokenError(N_("The token's scopes do not cover the event {event}."),
                             "events", event=event)  # fmt: skip
    token.webhook_url, token.webhook_events = url, wanted
    if token.webhook_secret:
        return None
    return new_webhook_secret(token)


def new_webhook_secret(token: ApiToken) -> str:
    """A new signing secret for the token's webhooks (the old one stops working)."""
    token.webhook_secret = "whsec_" + secrets.token_hex(24)
    return token.webhook_secret


def check_webhook_url(url: str) -> None:
    """TokenError unless webhooks may go to `url`: https on a public address (plain http
    and any address too where WEBHOOK_ALLOW_PRIVATE_URLS is set, as in development)."""
    allow_private = current_app.config["WEBHOOK_ALLOW_PRIVATE_URLS"]
    if len(url) > URL_MAX:
        raise TokenError(N_("The address may have at most {most} characters."), "webhook_url",
                         most=URL_MAX)  # fmt: skip
    schemes = ("https://", "http://") if allow_private else ("https://",)
    if not url.lower().startswith(schemes):
        raise TokenError(N_("The address must start with https://."), "webhook_url")
    try:
        check_url(url, allow_private)
    except FetchError as error:
        raise TokenError(error.msgid, "webhook_url", **error.values) from None


def subscribers(event: str) -> list[ApiToken]:
    """Active tokens with a webhook that wants `event`."""
    found = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.revoked_at.is_(None), ApiToken.webhook_url.is_not(None))
    )
    return [t for t in found if event in (t.webhook_events or []) and allows(t, *EVENTS[event])]
