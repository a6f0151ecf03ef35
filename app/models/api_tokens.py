"""Tokens for the JSON API, and the webhook deliveries made for them."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.activities import Organisation
from app.models.base import UTCDateTime, utcnow
from app.models.staff import StaffUser


class ApiToken(db.Model):
    """One platform's (or script's) key to the API: what it may do, and where events go.

    Only a hash of the secret is kept; `prefix` (the public part of the token) finds the
    row, so checking a token is one index lookup and one constant-time comparison.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    # SHA-256 of the whole token, hex.
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    # ["read", "activities", …]: see services.api_tokens.SCOPES.
    scopes: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Set: the token sees and changes only this organisation's activities and tasks.
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Webhooks out: events are POSTed here, signed with `webhook_secret` (kept in clear:
    # signing needs it; it is shown once and can be replaced).
    webhook_url: Mapped[str | None] = mapped_column(sa.String(500))
    webhook_secret: Mapped[str | None] = mapped_column(sa.String(64))
    webhook_events: Mapped[list] = mapped_column(sa.JSON, default=list)

    organisation: Mapped[Organisation | None] = relationship()
    created_by: Mapped[StaffUser | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:  # never the secret
        return f"<ApiToken {self.id} {self.prefix}>"


class WebhookDelivery(db.Model):
    """One event for one token's webhook: a row first, then an RQ job that POSTs it."""

    __tablename__ = "webhook_deliveries"

    PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(
        sa.ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(sa.String(40))
    # Ids and counts only: no phone numbers, names or message bodies.
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    token: Mapped[ApiToken] = relationship()
