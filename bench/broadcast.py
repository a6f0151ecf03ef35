"""Benchmark 3: a broadcast to 10,000 residents, queued and then sent by 1, 2 and 4 workers.

Queueing: the outbox rows for every recipient in one transaction (`queue_sms`), and the
send jobs put on Redis after the commit, as every fan-out in the app does. Sending:
`flask --app app worker --burst` processes (RQ's forking worker, as in production) push
every message to the fake Twilio REST server (tests/fake_twilio.py, in its own process),
with the rate limit lifted. Floor: the same number of bare HTTP POSTs to that server
from one process.

    python -m bench.broadcast [--recipients 10000] [--workers 1,2,4]
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


def queue(app, count: int) -> dict:
    """Queue the broadcast; returns the seconds for rows and for the whole (with Redis)."""
    from app.extensions import db
    from app.models import Person
    from app.services.outbox import queue_sms

    with app.app_context():
        started = time.perf_counter()
        people = db.session.scalars(sa.select(Person).order_by(Person.id).limit(count)).all()
        run = time.time_ns()
        for person in people:
            # Keyed like the app's own fan-outs ("broadcast:<id>:<person id>"), so that a
            # fan-out that runs twice sends nothing twice.
            queue_sms(person, BODY, kind="broadcast", dedup_key=f"bench:{run}:{person.id}")
        rows_done = time.perf_counter()
        db.session.commit()  # the send jobs are enqueued after the commit, in one pipeline
        done = time.perf_counter()
        db.session.remove()
    jobs = _queued_jobs()
    return {
        "recipients": len(people),
        "rows_seconds": round(rows_done - started, 3),
        "commit_and_enqueue_seconds": round(done - rows_done, 3),
        "total_seconds": round(done - started, 3),
        "jobs_on_queue": jobs,
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


def run(recipients: int = 10_000, worker_counts=(1, 2, 4), send_count: int = 1_000) -> dict:
    env.reset_database()
    env.flush_redis()
    process, url = fake_server.start()
    try:
        app = env.make_app(url)
        with app.app_context():
            seeded = seed.seed(recipients, 10)
            from app.extensions import db

            db.engine.dispose()
        floor_result = floor(url, send_count)
        runs = []
        for workers in worker_counts:
            _clear(app)
            queued = queue(app, recipients)  # the whole broadcast: timed, then dropped
            _clear(app)
            queue(app, send_count)
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
        default=1_000,
        help="messages pushed per worker count (10,000 takes ~20 min with 1)",
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
