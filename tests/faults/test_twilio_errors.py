"""Twilio answering 429 (too many requests) and 500 for a while in the middle of a
broadcast: every recipient still gets exactly one message, retried with backoff."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Message
from tests.faults.conftest import wait_for
from tests.faults.test_worker_killed import RECIPIENTS, settled, start_broadcast


@pytest.mark.fault
def test_429_and_500_for_a_while_deliver_everything_once(fault_app, processes, fake_twilio):
    phones = start_broadcast(fault_app)
    processes.worker()
    processes.scheduler()
    wait_for(lambda: len(fake_twilio.messages) >= RECIPIENTS // 5, 60, "a fifth to be sent")

    fake_twilio.fail_next(15, 500, 20500)  # a burst of server errors …
    fake_twilio.fail_for(3, 429, 20429)  # … then three seconds of "too many requests"
    wait_for(lambda: len(fake_twilio.per_recipient()) == RECIPIENTS, 90, "every recipient")
    wait_for(lambda: settled(fault_app), 30, "every row settled")

    counts = fake_twilio.per_recipient()
    assert sorted(counts) == sorted(phones)
    assert set(counts.values()) == {1}, {p: n for p, n in counts.items() if n != 1}
    refused = [status for _, status in fake_twilio.requests if status in (429, 500)]
    assert refused.count(500) == 15 and 429 in refused
    with fault_app.app_context():
        retried = sa.select(Message).where(Message.attempts > 1)
        rows = db.session.scalars(retried).all()
        assert rows and all(m.status == "sent" and m.error_code is None for m in rows)
