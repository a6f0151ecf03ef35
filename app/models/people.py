"""People: residents (and later volunteers), known only by their phone number."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Person(db.Model):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    # E.164, the only identity a resident has: no login, no password.
    phone: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(120))
    # None until the person has chosen; replies then use DEFAULT_LANGUAGE.
    language: Mapped[str | None] = mapped_column(sa.String(8))
    opted_out: Mapped[bool] = mapped_column(default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Twilio's code when this number cannot take texts at all (21211 invalid, 21614 not a
    # mobile …): nothing more is sent until the person texts us from it.
    sms_error_code: Mapped[int | None]
    # Texts from this number are kept but not answered until then: an auto-reply loop
    # with another machine (see services.flood).
    replies_paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The texts from this number counted where they arrive, in the statement that finds
    # the person (services.flood): how many since texts_window_at (the flood limit), and
    # how many in a row were the same text (a loop), known by a keyed digest of its
    # letters, never the text itself; retention blanks the digest with the bodies.
    texts_window_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    texts_in_window: Mapped[int] = mapped_column(default=0, server_default="0")
    last_text_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_text_digest: Mapped[str | None] = mapped_column(sa.String(16))
    same_text_run: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set when the person's data was deleted: the row stays only for anonymous counts,
    # with its number replaced by a random marker (see services.privacy).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:  # never the full number: reprs end up in logs
        return f"<Person {self.id}>"
