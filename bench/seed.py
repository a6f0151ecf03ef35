"""Generated data, written by the database itself (PostgreSQL `generate_series`, or a
recursive CTE on SQLite), so a million residents take seconds rather than minutes.

Residents are +474xxxxxxx (bench.loadgen.resident_phone), all with language nb. Each
activity is a single date within the next 28 days with one occurrence, code 10 + i.
"""

import time
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.timeutil import utcnow

HORIZON = timedelta(days=27)


def _series(n: int) -> str:
    if db.engine.dialect.name == "postgresql":
        return f"generate_series(0, {n - 1}) AS g(i)"
    return (
        f"(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {n - 1})"
        " SELECT i FROM s) AS g"
    )


def _plus_minutes(param: str, minutes: str) -> str:
    if db.engine.dialect.name == "postgresql":
        return f"(CAST(:{param} AS timestamptz) + make_interval(mins => {minutes}))"
    return f"strftime('%Y-%m-%d %H:%M:%f', :{param}, '+' || ({minutes}) || ' minutes')"


def _pad(width: int) -> str:
    """SQL for g.i as text, zero-padded to `width` digits."""
    if db.engine.dialect.name == "postgresql":
        return f"lpad(CAST(i AS text), {width}, '0')"
    return f"substr('{'0' * width}' || i, -{width}, {width})"


def _false() -> str:
    return "false" if db.engine.dialect.name == "postgresql" else "0"


def _ts(value):
    # SQLite keeps UTC as naive text (app.models.base.UTCDateTime).
    return (
        value.replace(tzinfo=None).isoformat(" ") if db.engine.dialect.name == "sqlite" else value
    )


def seed(residents: int, activities: int) -> dict:
    """Fill an empty, migrated database. Returns counts and seconds taken."""
    started = time.perf_counter()
    now = utcnow()
    db.session.execute(
        sa.text(
            "INSERT INTO people (phone, language, opted_out, created_at) "
            f"SELECT '+474' || {_pad(7)}, 'nb', {_false()}, :now FROM {_series(residents)}"
        ),
        {"now": _ts(now)},
    )
    db.session.execute(
        sa.text("INSERT INTO organisations (name, phone) VALUES ('Benk kommune', '+4791000000')")
    )
    org = db.session.scalar(sa.text("SELECT id FROM organisations WHERE name = 'Benk kommune'"))
    step = max(1, int(HORIZON.total_seconds() // 60 // activities))
    first = now + timedelta(hours=2)
    start = _plus_minutes("first", f"i * {step} % {int(HORIZON.total_seconds() // 60)}")
    false = "false" if db.engine.dialect.name == "postgresql" else "0"
    db.session.execute(
        sa.text(
            "INSERT INTO activities (id, organisation_id, title, place, starts_at,"
            " duration_minutes, repeat_weekly, cancelled, created_at) "
            f"SELECT i + 1, :org, 'Aktivitet ' || i, 'Sted ' || (i % 50), {start}, 120, {false},"
            f" {false}, :now FROM {_series(activities)}"
        ),
        {"org": org, "first": _ts(first), "now": _ts(now)},
    )
    end = _plus_minutes("first", f"i * {step} % {int(HORIZON.total_seconds() // 60)} + 120")
    db.session.execute(
        sa.text(
            "INSERT INTO occurrences (activity_id, starts_at, ends_at, code, booked, cancelled) "
            f"SELECT i + 1, {start}, {end}, 10 + i, 0, {false} FROM {_series(activities)}"
        ),
        {"first": _ts(first)},
    )
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval('activities_id_seq', :n)"), {"n": activities})
    db.session.commit()
    _analyze()
    return {
        "residents": residents,
        "activities": activities,
        "seed_seconds": round(time.perf_counter() - started, 2),
    }


def _analyze() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def codes(activities: int) -> list[int]:
    return list(range(10, 10 + activities))


# The resident (by id) who has texted FREQUENT_TEXTS times: a person's history grows too.
FREQUENT_TEXTER = 1
FREQUENT_TEXTS = 5_000


def seed_history(residents: int, activities: int) -> dict:
    """What a year of use leaves: one sign-up, one text in and its reply, and an SMS
    conversation per resident; and one resident (FREQUENT_TEXTER) with thousands of texts."""
    started = time.perf_counter()
    now = _ts(utcnow())
    # The frequent texter's history, older than everyone's last text: texts in and
    # replies out, one after the other.
    db.session.execute(
        sa.text(
            "INSERT INTO messages (person_id, direction, kind, body, twilio_sid, status, attempts,"
            " created_at, updated_at) "
            "SELECT :person, CASE WHEN i % 2 = 0 THEN 'in' ELSE 'out' END, 'inbound', 'MENY',"
            f" CASE WHEN i % 2 = 0 THEN 'SMF' || {_pad(31)} END, 'received', 0, :now, :now"
            f" FROM {_series(2 * FREQUENT_TEXTS)} ORDER BY i"
        ),
        {"now": now, "person": FREQUENT_TEXTER},
    )
    db.session.execute(
        sa.text(
            "INSERT INTO signups (occurrence_id, person_id, status, created_at, queued_at) "
            f"SELECT i % {activities} + 1, i + 1, 'confirmed', :now, :now FROM {_series(residents)}"
        ),
        {"now": now},
    )
    db.session.execute(
        sa.text(
            "INSERT INTO messages (person_id, direction, kind, body, twilio_sid, status, attempts,"
            " created_at, updated_at) "
            f"SELECT i + 1, 'in', 'inbound', 'MENY', 'SMH' || {_pad(31)},"
            f" 'received', 0, :now, :now FROM {_series(residents)}"
        ),
        {"now": now},
    )
    db.session.execute(
        sa.text(
            "INSERT INTO conversations (key, person_id, flow, state, data, updated_at) "
            "SELECT 'sms:' || id, id, 'sms', 'menu', '{}', :now FROM people"
        ),
        {"now": now},
    )
    db.session.execute(
        sa.text(
            "INSERT INTO messages (person_id, direction, kind, body, status, reply_to_id, attempts,"
            " created_at, updated_at) "
            "SELECT person_id, 'out', 'reply', 'Meny: 1 aktiviteter ...', 'replied', id, 0,"
            " :now, :now FROM messages WHERE direction = 'in' AND twilio_sid LIKE 'SMH%'"
        ),
        {"now": now},
    )
    db.session.commit()
    _analyze()
    return {
        "signups": residents,
        "messages": 2 * (residents + FREQUENT_TEXTS),
        "conversations": residents,
        "history_seconds": round(time.perf_counter() - started, 2),
    }
