"""Benchmarks 1 and 2: the inbound SMS webhook and a voice <Gather> step, under gunicorn.

For each: the floor (bench/floor_app.py: signature check + constant TwiML, same gunicorn
settings), the floor with one durable write (bench/floor_write_app.py: the same plus the
request's sid committed to the database) and then the app, each measured twice by
bench/loadgen.py in a second process: closed loop (most requests per second) and a
fixed 100 requests per second (latency).

    python -m bench.webhooks sms      # or: voice
"""

import argparse
import itertools
import json
import subprocess
import sys

from bench import env, seed

RATE = 100.0
_phases = itertools.count(1)


def loadgen(
    url: str,
    scenario: str,
    mode: str,
    duration: float,
    residents: int,
    activities: int,
    concurrency: int,
    rate: float = RATE,
) -> dict:
    spec = {
        "url": url,
        "scenario": scenario,
        "mode": mode,
        "duration": duration,
        "rate": rate,
        "concurrency": concurrency,
        "residents": residents,
        "activities": activities,
        "phase": next(_phases),
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


def measure(target: str, scenario: str, duration: float, residents: int, activities: int) -> dict:
    """Closed loop (after a short warm-up), then the fixed rate, against one gunicorn."""
    with env.Gunicorn(target) as server:
        concurrency = 2 * server.workers
        args = (server.url, scenario)
        loadgen(*args, "closed", 2, residents, activities, concurrency)  # warm-up, discarded
        most = loadgen(*args, "closed", duration, residents, activities, concurrency)
        steady = loadgen(*args, "rate", duration, residents, activities, concurrency)
    return {
        "target": target,
        "gunicorn_workers": server.workers,
        "concurrency": concurrency,
        "closed_loop": most,
        "at_rate": steady,
    }


def run(
    scenario: str,
    residents: int = 10_000,
    activities: int = 200,
    duration: float = 10,
    fresh: bool = True,
) -> dict:
    """Floor and app for one scenario; `fresh` rebuilds and seeds the database first."""
    if fresh:
        env.reset_database()
        env.flush_redis()
        app = env.make_app()
        with app.app_context():
            seeded = seed.seed(residents, activities)
            from app.extensions import db

            db.engine.dispose()
    else:
        seeded = {"residents": residents, "activities": activities}
    from bench import floor_write_app

    floor_write_app.prepare()
    floor_write_app.engine.dispose()
    floor = measure("bench.floor_app:app", scenario, duration, residents, activities)
    floor_write = measure("bench.floor_write_app:app", scenario, duration, residents, activities)
    ours = measure("app.wsgi:app", scenario, duration, residents, activities)
    ratio = ours["closed_loop"]["rps"] / floor["closed_loop"]["rps"]
    write_rps = floor_write["closed_loop"]["rps"]
    p99 = ours["at_rate"].get("p99_ms")
    return {
        "scenario": scenario,
        "data": seeded,
        "duration_s": duration,
        "rate": RATE,
        "floor": floor,
        "floor_write": floor_write,
        "app": ours,
        "throughput_ratio": round(ratio, 3),
        # The bare floor's share that one committed write already leaves, and ours of it.
        "floor_write_ratio": round(write_rps / floor["closed_loop"]["rps"], 3),
        "ratio_of_floor_write": round(ours["closed_loop"]["rps"] / write_rps, 3),
        "targets": {
            "ratio_at_least_0.5": ratio >= 0.5,
            "p99_under_50ms_at_100rps": p99 is not None and p99 < 50,
            "no_errors": ours["closed_loop"]["errors"] + ours["at_rate"]["errors"] == 0
            and ours["closed_loop"]["apologies"] + ours["at_rate"]["apologies"] == 0,
        },
    }


def rows(result: dict) -> list[list]:
    out = []
    for name in ("floor", "floor_write", "app"):
        m = result[name]
        c, r = m["closed_loop"], m["at_rate"]
        out.append(
            [
                name,
                c["rps"],
                c["p50_ms"],
                c["p99_ms"],
                r["rps"],
                r["p50_ms"],
                r["p95_ms"],
                r["p99_ms"],
                c["errors"] + r["errors"],
                c["apologies"] + r["apologies"],
            ]
        )
    return out


HEADERS = [
    "server",
    "max req/s",
    "p50 ms (max)",
    "p99 ms (max)",
    "req/s (fixed)",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
    "apologies",
]


def kind_rows(result: dict) -> list[list]:
    by_kind = result["app"]["at_rate"]["by_kind"]
    return [[k, v["requests"], v["p50_ms"], v["p95_ms"], v["p99_ms"]] for k, v in by_kind.items()]


def report(result: dict) -> None:
    name = {"sms": "Inbound SMS webhook", "voice": "Voice <Gather> step"}[result["scenario"]]
    env.table(
        f"{name}: {result['data']['residents']:,} residents, "
        f"{result['data']['activities']:,} activities; ratio of floor "
        f"{result['throughput_ratio']} (floor with one write: {result['floor_write_ratio']} "
        f"of floor; app: {result['ratio_of_floor_write']} of it); targets {result['targets']}",
        HEADERS,
        rows(result),
    )
    env.table(
        f"{name} by kind at {RATE:g} req/s (app)",
        ["kind", "requests", "p50 ms", "p95 ms", "p99 ms"],
        kind_rows(result),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["sms", "voice"])
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=200)
    args = parser.parse_args()
    try:
        result = run(args.scenario, args.residents, args.activities, args.duration)
        report(result)
        env.write_result(f"{args.scenario}_webhook", result)
    finally:
        env.backends().close()


if __name__ == "__main__":
    main()
