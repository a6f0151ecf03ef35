"""The database connection dropped in the middle of a webhook (PostgreSQL terminates the
web process's backend while the request waits on a lock): Twilio gets a clean TwiML
apology, not a 500, the text is kept, and Twilio's retry of the same MessageSid is
answered properly, once."""

import threading
import uuid

import pytest
import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import Message, Person
from tests import factories
from tests.conftest import ACCOUNT_SID, RESIDENT, SERVICE_NUMBER
from tests.faults.conftest import wait_for
from tests.faults.test_redis_restart import signed_post, twiml

SID = "SM" + "d" * 32


def blocked_backends(engine, application: str) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.scalars(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = :name "
                    "AND wait_event_type = 'Lock'"
                ),
                {"name": application},
            )
        )


def post_while_dropped(engine, application: str, url: str, path: str, form: dict):
    """POST while the person's row is held, so the request waits mid-way on its first
    write (a row that refers to the person); then terminate that request's backend."""
    answer: dict[str, requests.Response] = {}
    with engine.connect() as holder:
        holder_tx = holder.begin()
        holder.execute(sa.text("SELECT id FROM people WHERE phone = :p FOR UPDATE"),
                       {"p": RESIDENT})  # fmt: skip
        request = threading.Thread(
            target=lambda: answer.setdefault("r", signed_post(url, path, form))
        )
        request.start()
        [pid] = wait_for(lambda: blocked_backends(engine, application), 20, "the webhook to wait")
        with engine.connect() as admin:
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        holder_tx.commit()
    request.join(timeout=30)
    return answer["r"]


def web_on_its_own_connections(fault_app, processes, settings) -> tuple:
    """The web process, its connections named so the test finds them; (engine, name, url)."""
    with fault_app.app_context():
        factories.occurrence("Strikkekafé", capacity=5)
        db.session.add(Person(phone=RESIDENT, language="nb"))
        db.session.commit()
        engine = db.engine
    application = f"samtale-fault-{uuid.uuid4().hex[:8]}"
    processes.env["DATABASE_URL"] = f"{settings['DATABASE_URL']}&application_name={application}"
    _, url = processes.web()
    return engine, application, url


@pytest.mark.fault
@pytest.mark.postgres_only
def test_a_dropped_connection_mid_request_apologises_and_the_retry_works(
    fault_app, processes, settings
):
    engine, application, url = web_on_its_own_connections(fault_app, processes, settings)
    form = {"MessageSid": SID, "AccountSid": ACCOUNT_SID, "From": RESIDENT,
            "To": SERVICE_NUMBER, "Body": "AKTIVITETER"}  # fmt: skip

    answer = post_while_dropped(engine, application, url, "/twilio/sms", form)

    [apology] = [m.text for m in twiml(answer).iter("Message")]
    assert apology.startswith("Beklager, noe gikk galt hos oss.") and "RING" in apology
    with fault_app.app_context():
        kept = db.session.scalar(sa.select(Message).where(Message.twilio_sid == SID))
        assert (kept.status, kept.body) == ("failed", "AKTIVITETER")

    # Twilio's redelivery of the same message, on a healthy connection.
    [reply] = [m.text for m in twiml(signed_post(url, "/twilio/sms", form)).iter("Message")]
    assert "Strikkekafé" in reply
    with fault_app.app_context():
        rows = db.session.scalars(sa.select(Message).where(Message.twilio_sid == SID)).all()
        assert [m.status for m in rows] == ["received"]
        replies = db.session.scalars(sa.select(Message).where(Message.reply_to_id == rows[0].id))
        assert [m.body for m in replies] == [reply]


@pytest.mark.fault
@pytest.mark.postgres_only
def test_a_dropped_connection_mid_call_gives_the_caller_a_person_not_an_error(
    fault_app, processes, settings
):
    engine, application, url = web_on_its_own_connections(fault_app, processes, settings)
    call = {"CallSid": "CA" + "d" * 32, "AccountSid": ACCOUNT_SID, "From": RESIDENT,
            "To": SERVICE_NUMBER, "CallStatus": "in-progress"}  # fmt: skip
    root = twiml(post_while_dropped(engine, application, url, "/twilio/voice", call))
    said = " ".join("".join(s.itertext()) for s in root.iter("Say"))
    assert said.startswith("Beklager")  # an apology in the caller's language …
    assert root.find("Record") is not None or root.find("Dial") is not None  # … and a person
    # The next call, on a healthy connection, is the usual menu.
    root = twiml(signed_post(url, "/twilio/voice", {**call, "CallSid": "CA" + "e" * 32}))
    assert root.find("Gather") is not None
