"""Profile the hot path: the SMS mix (and the voice steps) in-process with pyinstrument.

Same data and settings as bench/webhooks.py, driven through Flask's test client so the
profile shows our code rather than gunicorn's. Writes bench/results/profile_<name>.txt,
and profile_<name>.json with the SQL statements and time per request of each kind.

    python -m bench.profile [sms|voice] [--requests 1000]
"""

import argparse
import statistics
import time
from collections import defaultdict
from urllib.parse import parse_qsl, urlsplit

from pyinstrument import Profiler
from sqlalchemy import event

from bench import env, loadgen, seed


def _requests(scenario: str, count: int, residents: int, activities: int):
    """The load generator's own signed requests, unpacked for the test client."""
    builder = loadgen.Builder("127.0.0.1", 80)
    spec = {"residents": residents, "activities": activities, "phase": 99}
    if scenario == "sms":
        sessions = loadgen.sms_sessions(builder, spec, count)
    else:
        sessions = loadgen.voice_sessions(builder, spec, count // len(loadgen.VOICE_STEPS))
    for session in sessions:
        for kind, raw in session:
            head, body = raw.split(b"\r\n\r\n", 1)
            lines = head.decode().split("\r\n")
            path = lines[0].split(" ")[1]
            headers = dict(line.split(": ", 1) for line in lines[1:])
            yield kind, path, dict(parse_qsl(body.decode())), headers["X-Twilio-Signature"]


def run(scenario: str, count: int = 1000, residents: int = 10_000, activities: int = 200) -> str:
    env.reset_database()
    env.flush_redis()
    app = env.make_app()
    from app.extensions import db

    with app.app_context():
        seed.seed(residents, activities)
    client = app.test_client()
    requests = list(_requests(scenario, count, residents, activities))
    for _, path, form, sig in requests[:50]:  # warm-up: first-use imports and caches
        client.post(path, data=form, headers={"X-Twilio-Signature": sig})
    statements: list[str] = []
    per_kind: dict[str, dict[str, list]] = defaultdict(lambda: {"statements": [], "ms": []})
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    profiler = Profiler(interval=0.001)
    profiler.start()
    for kind, path, form, sig in requests[50:]:
        statements.clear()
        started = time.perf_counter()
        response = client.post(path, data=form, headers={"X-Twilio-Signature": sig})
        per_kind[kind]["ms"].append((time.perf_counter() - started) * 1000)
        per_kind[kind]["statements"].append(len(statements))
        assert response.status_code == 200, (urlsplit(path).path, response.status_code)
    profiler.stop()
    event.remove(engine, "before_cursor_execute", count)
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    env.RESULTS.mkdir(exist_ok=True)
    out = env.RESULTS / f"profile_{scenario}.txt"
    out.write_text(text)
    print(text[:8000])
    print(f"bench: profile written to {out.relative_to(env.ROOT)}")
    # SQL statements per request (BEGIN and COMMIT not counted) and in-process time.
    summary = {
        kind: {
            "requests": len(v["ms"]),
            "sql_statements_median": statistics.median(v["statements"]),
            "ms_median_in_process": round(statistics.median(v["ms"]), 2),
        }
        for kind, v in sorted(per_kind.items())
    }
    env.table(
        f"{scenario}: SQL statements and time per request, in-process (under the profiler)",
        ["kind", "requests", "SQL statements (median)", "ms (median)"],
        [
            [k, v["requests"], v["sql_statements_median"], v["ms_median_in_process"]]
            for k, v in summary.items()
        ],
    )
    env.write_result(f"profile_{scenario}", {"per_kind": summary})
    return text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["sms", "voice"], nargs="?", default="sms")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    try:
        run(args.scenario, args.requests)
    finally:
        env.backends().close()


if __name__ == "__main__":
    main()
