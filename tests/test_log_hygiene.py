"""Logs never hold a full phone number or a message body, across a whole realistic day.

Everything here goes through the real doors (signed webhooks, the staff pages, RQ jobs
against the fake Twilio): sign-ups, a volunteer saying yes, a callback with a recorded
message, sends that fail, deletion by SMS and by staff, and retention. Every record
logged on the way, by the app, RQ or anything else, is then searched.
"""

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs.retention import apply_retention
from app.models import Message, Person
from app.services.people import find_or_create
from app.timeutil import utcnow
from tests import factories
from tests.conftest import SERVICE_NUMBER
from tests.staff_helpers import make_staff, post_form, sign_in
from tests.task_helpers import ask

RESIDENT = "+4791234567"
VOLUNTEER = "+4798765432"
CALLER = "+4792345678"
COORDINATOR = "+15005550001"  # Twilio's test number for "invalid": each send to it fails
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "c" * 32
WATCHED = ("app", "rq", "rq.worker", "rq.job", "twilio", "sqlalchemy", "werkzeug")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged(caplog):
    """Every record from the app's and RQ's loggers (some do not propagate), and caplog's."""
    caplog.set_level(logging.INFO)
    handler = _Collect()
    saved = {}
    for name in WATCHED:
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.addHandler(handler)
        if name in ("app", "rq", "rq.worker", "rq.job"):
            logger.setLevel(logging.DEBUG)
    yield lambda: _text(handler.records + caplog.records)
    for name, level in saved.items():
        logging.getLogger(name).removeHandler(handler)
        logging.getLogger(name).setLevel(level)


def _text(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in records)


def _forms(phone: str) -> list[str]:
    """A number as it could show up: +4791234567, 4791234567, 91234567."""
    digits = phone.lstrip("+")
    return [phone, digits, digits[2:] if digits.startswith("47") else digits[1:]]


def test_no_phone_number_or_message_body_is_ever_logged(
    app, client, sms, voice_call, run_jobs, fake_twilio, logged
):
    app.config.update(LANGUAGES=["nb", "en"], QUIET_HOURS="0-0", STAFF_PHONE="")
    with app.app_context():
        kari = factories.coordinator(COORDINATOR, "Kari")
        volunteer = factories.volunteer(VOLUNTEER, "Ingrid")
        occurrence = factories.occurrence("Strikkekafé", capacity=1)
        task = factories.task(needed=1, by=kari)
        code, task_code = occurrence.code, task.code
        ask(task, [volunteer])
        caller = find_or_create(CALLER)
        caller.language = "nb"
        db.session.commit()
        caller_id = caller.id
        staff = make_staff("coordinator")
    fake_twilio.fail_next(1, status=500)  # the first send fails for a while: retried
    run_jobs()

    said = ["Hei", "1", f"MELD {code}", "Jeg lurer på om det er kaffe der i dag",
            "Kan noen ringe meg etter klokka tolv?", "RING"]  # fmt: skip
    replies = [reply for text in said for reply in sms(text, phone=RESIDENT)]
    replies += sms(f"JA {task_code}", phone=VOLUNTEER)  # fills the task: Kari is told
    call = voice_call(CALLER).press("0")
    call.record(RECORDING)
    replies += sms("SLETT", phone=RESIDENT) + sms("SLETT JA", phone=RESIDENT)
    run_jobs()  # the volunteer's coordinator notice fails for good (an invalid number)

    sign_in(client, staff)
    assert post_form(client, "/staff/people", {"phone": "923 45 678"}).status_code == 302
    response = post_form(client, f"/staff/people/{caller_id}/delete",
                         {"reason": "Asked on the phone", "confirm": "y"})  # fmt: skip
    assert response.status_code == 302
    run_jobs()  # Twilio deletes the recording
    with app.app_context():
        db.session.execute(sa.update(Message).values(created_at=utcnow() - timedelta(days=400)))
        db.session.commit()
        apply_retention()
        bodies = [b for b in db.session.scalars(sa.select(Message.body)) if b]
        assert db.session.scalar(sa.select(Person).where(Person.id == caller_id)).deleted_at

    # The day really happened, failures included.
    text = logged()
    assert "refused, twilio code 21211" in text and "will be retried" in text
    assert fake_twilio.deleted_recordings == ["RE" + "c" * 32]
    assert any(r.startswith("Ferdig: Vi har slettet") for r in replies), replies

    for phone in (RESIDENT, VOLUNTEER, CALLER, COORDINATOR, SERVICE_NUMBER):
        for form in _forms(phone):
            assert form not in text, f"{form} is in the logs"
    sent = [m["Body"] for m in fake_twilio.messages]
    for body in [*said, *replies, *sent, *bodies]:
        for line in filter(None, body.splitlines()):
            if len(line) >= 12:  # shorter lines ("RING", "1") are not telling on their own
                assert line not in text, f"{line!r} is in the logs"
