"""The floor with one durable write: what any webhook that keeps its promise to act
once per MessageSid (or CallSid and step) must at least do.

Like bench/floor_app.py (signature checked, constant TwiML) plus one committed
`INSERT … ON CONFLICT DO NOTHING` of the request's sid, through a plain SQLAlchemy
engine on the benchmark's database: a pool checkout, the INSERT and the COMMIT. No
person, no conversation, no reply stored. Our webhook is measured against both floors:
this one says how much of the gap to the bare floor any implementation that records
each request must pay on the same machine.
"""

import sqlalchemy as sa
from flask import Response, request

from app.config import database_url
from bench.floor_app import GATHER, SMS, _signed, app

TABLE = "CREATE TABLE IF NOT EXISTS floor_seen (sid VARCHAR PRIMARY KEY)"
engine = sa.create_engine(database_url())
_SEEN = sa.text("INSERT INTO floor_seen (sid) VALUES (:sid) ON CONFLICT DO NOTHING")


def _record(sid: str) -> None:
    with engine.begin() as connection:
        connection.execute(_SEEN, {"sid": sid})


def sms():
    _signed()
    _record(request.form["MessageSid"])
    return Response(SMS, mimetype="text/xml")


def voice():
    _signed()
    _record(request.form["CallSid"] + ":" + request.args.get("n", "0"))
    return Response(GATHER, mimetype="text/xml")


# The same routes as the bare floor, each doing its one write.
app.view_functions["sms"] = sms
app.view_functions["voice"] = voice


def prepare() -> None:
    """Make the table, once, before gunicorn's workers start (bench/webhooks.py)."""
    with engine.begin() as connection:
        connection.execute(sa.text(TABLE))
