"""Benchmark 3: a broadcast to 10,000 volunteers, queued and then sent by 1, 2 and 4 workers.

Queueing: the app's own fan-out job (`app.jobs.broadcasts.send_broadcast`) for a
broadcast to every volunteer: who gets it, one outbox row each (`outbox.queue_many`),
the commit, and the send jobs put on Redis after it. Sending: `flask --app app worker
--burst` processes (as in production) push every message of a smaller broadcast to the
fake Twilio REST server (tests/fake_twilio.py, in its own process), with the rate limit
lifted: the whole broadcast, or with --send a smaller one to the first N volunteers.
Floor: the same number of bare HTTP POSTs to that server from one process.

    python -m bench.broadcast [--recipients 10000] [--workers 1,2,4] [--send N]
"""

import argparse
import subprocess
import sys
import time

import requests
import sqlalchemy as sa

from bench import env, fake_server, seed

BODY = (
    "Fjordvik kommune: Vannet blir stengt i Storgata tirsdag 08-12. Svar RING om du trenger hjelp."
)
# The volunteers a send run goes to (the first --send residents).
SEND_AREA = "Bench"


def floor(url: str, count: int) -> dict:
    """`count` bare POSTs of the same form the app sends, one process, one connection."""
    session = requests.Session()
    session.auth = (env.ACCOUNT_SID, env.AUTH_TOKEN)
    endpoint = f"{url}/2010-04-01/Accounts/{env.ACCOUNT_SID}/Messages.json"
    started = time.perf_counter()
    for i in range(count):
        form = {
            "To": f"+474{i:07d}",
            "From": env.SERVICE_NUMBER,
            "Body": BODY,
            "StatusCallback": env.PUBLIC_BASE_URL + "/twilio/status",
        }
        response = session.post(endpoint, data=form, timeout=10)
        response.raise_for_status()
    seconds = time.perf_counter() - started
    return {"posts": count, "seconds": round(seconds, 3), "per_second": round(count / seconds, 1)}


def volunteers(count: int, send_count: int) -> None:
    """Make every resident an active volunteer; the first `send_count` in area SEND_AREA."""
    from app.extensions import db
    from app.timeutil import utcnow

    now = seed._ts(utcnow())
    db.session.execute(
        sa.text(
            "INSERT INTO volunteers (person_id, status, tags, area, created_at) "
            "SELECT id, 'active', '[]', CASE WHEN id <= :n THEN :area ELSE 'Sentrum' END, :now"
            " FROM people ORDER BY id LIMIT :count"
        ),
        {"n": send_count, "area": SEND_AREA, "now": now, "count": count},
    )
    db.session.commit()
    seed._analyze()


def queue(app, area: str | None = None) -> dict:
    """Fan out a broadcast to the volunteers (in `area`), timed: the whole job, and the
    part that writes the rows (who gets it, rendering, the bulk INSERTs)."""
    from app.extensions import db
    from app.jobs.broadcasts import send_broadcast
    from app.services import broadcasts
    from app.timeutil import utcnow

    with app.app_context():
        draft = broadcasts.create_draft(None, body=BODY, audience="volunteers", area=area)
        broadcasts.request_send(draft, utcnow())
        db.session.commit()
        broadcast_id = draft.id
        db.session.remove()
    timed = {}
    write_rows = broadcasts.queue_messages

    def timed_rows(broadcast):
        started = time.perf_counter()
        try:
            return write_rows(broadcast)
        finally:
            timed["rows"] = time.perf_counter() - started

    with app.app_context():
        broadcasts.queue_messages = timed_rows
        try:
            started = time.perf_counter()
            outcome = send_broadcast(broadcast_id)  # the fan-out job, commit and enqueue
            done = time.perf_counter()
        finally:
            broadcasts.queue_messages = write_rows
        db.session.remove()
    jobs = _queued_jobs()
    return {
        "recipients": int(outcome.split()[0]),
        "rows_seconds": round(timed["rows"], 3),
        "total_seconds": round(done - started, 3),
        "send_jobs_on_queue": jobs,
    }


def _queued_jobs() -> int:
    from redis import Redis
    from rq import Queue

    return Queue("sms", connection=Redis.from_url(env.backends().redis_url)).count


def send(app, url: str, workers: int, count: int) -> dict:
    """Start `workers` burst workers, wait until they have emptied the queue."""
    from app.extensions import db

    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--burst"],
            cwd=env.ROOT,
            env=env.child_env(url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    for proc in procs:
        proc.wait()
    wall = time.perf_counter() - started
    with app.app_context():
        row = db.session.execute(
            sa.text(
                "SELECT count(*) FILTER (WHERE status = 'sent'), count(DISTINCT twilio_sid),"
                " min(sent_at), max(sent_at) FROM messages WHERE kind = 'broadcast'"
                if db.engine.dialect.name == "postgresql"
                else "SELECT sum(status = 'sent'), count(DISTINCT twilio_sid), min(sent_at),"
                " max(sent_at) FROM messages WHERE kind = 'broadcast'"
            )
        ).one()
        db.session.remove()
    sent, sids, first, last = row
    span = _seconds(first, last)
    return {
        "workers": workers,
        "sent": sent,
        "distinct_twilio_sids": sids,
        "wall_seconds": round(wall, 3),
        "first_to_last_sent_seconds": span,
        "per_second": round(count / span, 1) if span else None,
        "all_sent_once": sent == count == sids,
    }


def _seconds(first, last) -> float | None:
    from datetime import datetime

    if first is None or last is None:
        return None
    if isinstance(first, str):
        first, last = datetime.fromisoformat(first), datetime.fromisoformat(last)
    return round((last - first).total_seconds(), 3)


def _clear(app) -> None:
    from app.extensions import db

    with app.app_context():
        db.session.execute(sa.text("DELETE FROM messages"))
        db.session.commit()
        db.session.remove()
    env.flush_redis()


def run(recipients: int = 10_000, worker_counts=(1, 2, 4), send_count: int | None = None) -> dict:
    """Queue the whole broadcast, then push `send_count` of it (all, by default) with each
    number of workers."""
    send_count = min(send_count or recipients, recipients)
    env.reset_database()
    env.flush_redis()
    process, url = fake_server.start()
    try:
        app = env.make_app(url)
        with app.app_context():
            seeded = seed.seed(recipients, 10)
            volunteers(recipients, send_count)
            from app.extensions import db

            db.engine.dispose()
        floor_result = floor(url, send_count)
        runs = []
        for workers in worker_counts:
            _clear(app)
            queued = queue(app)  # the whole broadcast, timed
            if send_count < recipients:  # then a smaller one, to the first send_count
                _clear(app)
                queue(app, SEND_AREA)
            sent = send(app, url, workers, send_count)
            runs.append({"queue": queued, "send": sent})
    finally:
        process.terminate()
        process.wait()
    slowest_queue = max(r["queue"]["total_seconds"] for r in runs)
    best = max(r["send"]["per_second"] or 0 for r in runs)
    return {
        "data": seeded,
        "recipients": recipients,
        "sent_per_run": send_count,
        "floor": floor_result,
        "runs": runs,
        "best_send_ratio_of_floor": round(best / floor_result["per_second"], 3),
        "targets": {
            "queueing_under_5s": slowest_queue < 5,
            "sending_limited_by_fake_server": best >= 0.8 * floor_result["per_second"],
            "all_sent_exactly_once": all(r["send"]["all_sent_once"] for r in runs),
        },
    }


def report(result: dict) -> None:
    f = result["floor"]
    rows = [["floor: bare POSTs, 1 process", "-", "-", f["seconds"], f["per_second"], "-"]]
    for r in result["runs"]:
        q, s = r["queue"], r["send"]
        rows.append(
            [
                f"{s['workers']} worker(s)",
                q["total_seconds"],
                q["rows_seconds"],
                s["first_to_last_sent_seconds"],
                s["per_second"],
                s["all_sent_once"],
            ]
        )
    env.table(
        f"Broadcast: {result['recipients']:,} recipients queued, "
        f"{result['sent_per_run']:,} sent per run; targets {result['targets']}",
        ["run", "queue s (total)", "queue s (rows)", "send s", "msgs/s", "all sent once"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument(
        "--send",
        type=int,
        default=None,
        help="messages pushed per worker count (default: every recipient)",
    )
    args = parser.parse_args()
    try:
        workers = tuple(int(w) for w in args.workers.split(","))
        result = run(args.recipients, workers, args.send)
        report(result)
        env.write_result("broadcast", result)
    finally:
        env.backends().close()


if __name__ == "__main__":
    main()
