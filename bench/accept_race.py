"""Benchmark 4: 200 volunteers answer JA at the same moment to a task that needs 5.

Under gunicorn, through the signed SMS webhook, all 200 requests sent at once from a
second process. Checked afterwards in the database: exactly 5 accepted, the task filled
once, the coordinator told once. Floor: 200 requests at once to the bare endpoint.

    python -m bench.accept_race [--volunteers 200] [--needed 5]
"""

import argparse
import json
import subprocess
import sys
from collections import Counter

import sqlalchemy as sa

from bench import env

ACCEPTED, TAKEN = "Tusen takk! Du hjelper med", "har fått all hjelpen som trengs"


def burst(url: str, scenario: str, volunteers: int, code: int | None) -> dict:
    spec = {
        "url": url,
        "scenario": scenario,
        "mode": "burst",
        "volunteers": volunteers,
        "code": code,
        "residents": 1,
        "activities": 1,
        "markers": [ACCEPTED, TAKEN],
    }
    out = subprocess.run(
        [sys.executable, "-m", "bench.loadgen", json.dumps(spec)],
        cwd=env.ROOT,
        env=env.child_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def arrange(app, volunteers: int, needed: int) -> tuple[int, int]:
    """A coordinator, `volunteers` active volunteers, one task asked of them all."""
    sys.path.insert(0, str(env.ROOT))
    from app.extensions import db
    from tests import factories
    from tests.task_helpers import ask

    with app.app_context():
        people = [factories.volunteer(f"+4795{i:06d}", name=f"V{i}") for i in range(volunteers)]
        task = factories.task(needed=needed)
        ask(task, people)
        code, task_id = task.code, task.id
        db.session.remove()
    env.flush_redis()  # the request SMS jobs: not what is measured here
    return code, task_id


def check(app, task_id: int) -> dict:
    from app.extensions import db
    from app.models import Message, Task, TaskEvent, TaskOffer

    with app.app_context():
        task = db.session.get(Task, task_id)
        offers = Counter(db.session.scalars(sa.select(TaskOffer.status)))
        events = Counter(db.session.scalars(sa.select(TaskEvent.kind)))
        told = db.session.scalar(
            sa.select(sa.func.count()).select_from(Message).where(Message.kind == "coord_filled")
        )
        result = {
            "task_status": task.status,
            "accepted": task.accepted,
            "needed": task.needed,
            "offers": dict(offers),
            "filled_events": events["filled"],
            "accepted_events": events["accepted"],
            "coordinator_told": told,
        }
        db.session.remove()
    return result


def run(volunteers: int = 200, needed: int = 5) -> dict:
    env.reset_database()
    env.flush_redis()
    app = env.make_app()
    code, task_id = arrange(app, volunteers, needed)
    with env.Gunicorn("bench.floor_app:app") as floor_server:
        burst(floor_server.url, "accept", volunteers, code)  # warm-up
        floor = burst(floor_server.url, "accept", volunteers, code)
    with env.Gunicorn("app.wsgi:app") as server:
        ours = burst(server.url, "accept", volunteers, code)
    state = check(app, task_id)
    correct = (
        state["accepted"] == needed
        and state["offers"].get("accepted") == needed
        and state["filled_events"] == 1
        and state["coordinator_told"] == 1
        and ours["replies"][ACCEPTED] == needed
        and ours["replies"][TAKEN] == volunteers - needed
        and ours["errors"] == 0
    )
    return {
        "volunteers": volunteers,
        "needed": needed,
        "floor": floor,
        "app": ours,
        "state": state,
        "targets": {"exactly_needed_accepted": correct},
    }


def report(result: dict) -> None:
    f, a, s = result["floor"], result["app"], result["state"]
    env.table(
        f"Accept race: {result['volunteers']} say JA at once to a task needing "
        f"{result['needed']}; correct: {result['targets']['exactly_needed_accepted']}",
        [
            "server",
            "settled in s",
            "p50 ms",
            "p99 ms",
            "errors",
            "accepted replies",
            "taken replies",
            "task accepted",
            "filled events",
            "coordinator told",
        ],
        [
            [
                "floor",
                f["elapsed_s"],
                f["p50_ms"],
                f["p99_ms"],
                f["errors"],
                "-",
                "-",
                "-",
                "-",
                "-",
            ],
            [
                "app",
                a["elapsed_s"],
                a["p50_ms"],
                a["p99_ms"],
                a["errors"],
                a["replies"][ACCEPTED],
                a["replies"][TAKEN],
                s["accepted"],
                s["filled_events"],
                s["coordinator_told"],
            ],
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--volunteers", type=int, default=200)
    parser.add_argument("--needed", type=int, default=5)
    args = parser.parse_args()
    try:
        result = run(args.volunteers, args.needed)
        report(result)
        env.write_result("accept_race", result)
    finally:
        env.backends().close()


if __name__ == "__main__":
    main()
