"""Retention, run hourly by the scheduler: personal content is kept for a while, then goes.

- message bodies, in and out, after MESSAGE_RETENTION_DAYS (the rows stay, without a
  body, so counts per day and language remain);
- what a phone call stored (the last TwiML answered, the call's place in the menus),
  after the same time;
- staff notes on callback requests closed that long ago;
- the digest of a person's last text (services.flood), once that text is that old;
- recordings of callers' messages after RECORDING_RETENTION_DAYS: the URL is forgotten
  at once and Twilio is asked to delete the file (`delete_pending_recordings`, which
  also runs straight after a person's data is deleted).

Each kind is done in batches with a commit after each, so a run after a long pause
stays short and holds no long locks; the next run goes on where it stopped.
"""

import logging
import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.jobs import gateway
from app.models import Call, CallbackRequest, Message, Person, RecordingDeletion
from app.services.privacy import forget_recordings, recording_sids
from app.timeutil import utcnow

log = logging.getLogger(__name__)

BATCH = 1000
MAX_BATCHES = 20  # per kind and run: at most 20,000 rows, then the next run goes on
RECORDING_BATCH = 100
_RECORDING_URL = re.compile(r"https?://\S*/Recordings/RE[0-9A-Za-z]+\S*")


def apply_retention(now: datetime | None = None) -> dict[str, int]:
    """Blank everything older than its retention; returns how many of each were blanked."""
    now = now or utcnow()
    config = current_app.config
    content_cutoff = now - timedelta(days=config["MESSAGE_RETENTION_DAYS"])
    recording_cutoff = now - timedelta(days=config["RECORDING_RETENTION_DAYS"])
    done = {
        "message_bodies": _in_batches(
            Message,
            sa.and_(Message.body.is_not(None), Message.created_at < content_cutoff),
            Message.created_at,
            body=None,
        ),
        "calls": _in_batches(
            Call,
            sa.and_(Call.last_response.is_not(None), Call.updated_at < content_cutoff),
            Call.updated_at,
            last_response=None,
            data={},
        ),
        "callback_notes": _in_batches(
            CallbackRequest,
            sa.and_(
                CallbackRequest.note.is_not(None),
                CallbackRequest.status == CallbackRequest.DONE,
                CallbackRequest.closed_at < content_cutoff,
            ),
            CallbackRequest.closed_at,
            note=None,
        ),
        "text_digests": _in_batches(
            Person,
            sa.and_(Person.last_text_digest.is_not(None), Person.last_text_at < content_cutoff),
            Person.last_text_at,
            last_text_digest=None,
        ),
        "recordings": _forget_old_recordings(recording_cutoff),
    }
    done["recordings_deleted_at_twilio"] = delete_pending_recordings()
    log.info("retention: %s", ", ".join(f"{k} {v}" for k, v in done.items()))
    return done


def _in_batches(model, where, oldest_first, **values) -> int:
    """UPDATE … SET values for every row matching `where`, a batch at a time."""
    total = 0
    for _ in range(MAX_BATCHES):
        ids = list(
            db.session.scalars(sa.select(model.id).where(where).order_by(oldest_first).limit(BATCH))
        )
        if not ids:
            break
        db.session.execute(
            sa.update(model)
            .where(model.id.in_(ids))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        total += len(ids)
    return total


def _forget_old_recordings(cutoff: datetime) -> int:
    """Forget old recordings' URLs (also those quoted in notes) and queue their deletion."""
    has_recording = sa.or_(
        CallbackRequest.recording_url.is_not(None),
        CallbackRequest.note.contains("/Recordings/"),
    )
    total = 0
    for _ in range(MAX_BATCHES):
        requests = db.session.scalars(
            sa.select(CallbackRequest)
            .where(has_recording, CallbackRequest.created_at < cutoff)
            .order_by(CallbackRequest.created_at)
            .limit(RECORDING_BATCH)
        ).all()
        if not requests:
            break
        sids = []
        for request in requests:
            sids += recording_sids(request.recording_url) + recording_sids(request.note)
            request.recording_url = None
            if request.note:
                request.note = _RECORDING_URL.sub("(recording deleted)", request.note)
        forget_recordings(sids)
        db.session.commit()
        total += len(requests)
    return total


def delete_pending_recordings(limit: int = RECORDING_BATCH) -> int:
    """Ask Twilio to delete the recordings waiting for it; returns how many are done.

    A refusal that may pass (429, 5xx, no connection, a timeout: deleting twice is
    harmless) is kept for the next run; Twilio not having the recording counts as done.
    """
    rows = db.session.scalars(
        sa.select(RecordingDeletion).order_by(RecordingDeletion.id).limit(limit)
    ).all()
    done = 0
    for row in rows:
        if not current_app.config["SIMULATOR_MODE"]:  # no Twilio account: nothing to delete
            try:
                gateway.delete_recording(row.recording_sid)
            except gateway.SendError as error:
                if not error.permanent:
                    row.attempts += 1
                    row.last_error_code = error.code
                    db.session.commit()
                    continue
                log.warning("retention: twilio refused to delete recording %s, code %s",
                            row.id, error.code)  # fmt: skip
        db.session.delete(row)
        db.session.commit()
        done += 1
    return done
