"""A worker killed with SIGKILL in the middle of a 500-recipient broadcast, then started
again: every recipient gets exactly one message at the (fake) Twilio server."""

import pytest

from app.extensions import db
from app.jobs.broadcasts import enqueue_broadcast
from app.models import Broadcast
from app.services import broadcasts
from app.timeutil import utcnow
from tests.faults.conftest import unsettled, volunteers, wait_for

RECIPIENTS = 500
TEXT = "Hei! Dugnad i parken lørdag kl. 11. Ta med hansker."


def start_broadcast(app) -> list[str]:
    with app.app_context():
        phones = volunteers(RECIPIENTS)
        draft = broadcasts.create_draft(None, body=TEXT, audience=Broadcast.VOLUNTEERS)
        broadcasts.request_send(draft, utcnow())
        db.session.commit()
        enqueue_broadcast(draft.id)
    return phones


def settled(app) -> bool:
    with app.app_context():
        return unsettled() == 0


@pytest.mark.fault
def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(
    fault_app, processes, fake_twilio
):
    phones = start_broadcast(fault_app)
    worker = processes.worker()
    processes.scheduler()
    wait_for(lambda: len(fake_twilio.messages) >= RECIPIENTS // 4, 60, "a quarter to be sent")

    # The worst moment: Twilio has taken a message, the worker has not heard back.
    holding = fake_twilio.hold_next()
    wait_for(holding.is_set, 20, "a send to be in flight")
    processes.kill(worker)
    fake_twilio.release()
    assert len(fake_twilio.messages) < RECIPIENTS, "the broadcast ended before the kill"

    processes.worker()
    wait_for(lambda: len(fake_twilio.per_recipient()) == RECIPIENTS, 90, "every recipient")
    wait_for(lambda: settled(fault_app), 30, "every row settled")

    counts = fake_twilio.per_recipient()
    assert sorted(counts) == sorted(phones)
    assert set(counts.values()) == {1}, {p: n for p, n in counts.items() if n != 1}
    logs = processes.logs()  # the processes' own logs: ids and codes, never numbers or texts
    assert not any(phone in logs for phone in phones) and TEXT not in logs
