"""The worker as production runs it: `flask --app app worker`, a real rq worker process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.extensions import db
from app.services.outbox import queue_sms
from app.services.people import find_or_create
from tests.conftest import service_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_a_burst_worker_process_sends_each_queued_message_once(app, database_url, fake_twilio):
    phones = [f"+4790000{n:03d}" for n in range(5)]
    with app.app_context():
        for phone in phones:
            queue_sms(find_or_create(phone), "Hei fra Samtale", kind="test")
        db.session.commit()
    env = {**os.environ, **service_settings(fake_twilio), "DATABASE_URL": database_url}
    flask = [sys.executable, "-m", "flask", "--app", "app", "worker", "--burst"]
    log = ""
    for _ in range(2):  # a second worker run finds nothing left to send
        done = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, timeout=120)
        log += done.stderr.decode() + done.stdout.decode()
        assert done.returncode == 0, log[-2000:]
    assert sorted(m["To"] for m in fake_twilio.messages) == phones
    assert "Hei fra Samtale" not in log and phones[0] not in log
