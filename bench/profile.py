"""Profile the hot path: the SMS mix (and the voice steps) in-process with pyinstrument.

Same data and settings as bench/webhooks.py, driven through Flask's test client so the
profile shows our code rather than gunicorn's. Writes bench/results/profile_<name>.txt.

    python -m bench.profile [sms|voice] [--requests 1000]
"""

import argparse
from urllib.parse import parse_qsl, urlsplit

from pyinstrument import Profiler

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
    with app.app_context():
        seed.seed(residents, activities)
    client = app.test_client()
    requests = list(_requests(scenario, count, residents, activities))
    for _, path, form, sig in requests[:50]:  # warm-up: first-use imports and caches
        client.post(path, data=form, headers={"X-Twilio-Signature": sig})
    profiler = Profiler(interval=0.001)
    profiler.start()
    for _, path, form, sig in requests[50:]:
        response = client.post(path, data=form, headers={"X-Twilio-Signature": sig})
        assert response.status_code == 200, (urlsplit(path).path, response.status_code)
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    env.RESULTS.mkdir(exist_ok=True)
    out = env.RESULTS / f"profile_{scenario}.txt"
    out.write_text(text)
    print(text[:8000])
    print(f"bench: profile written to {out.relative_to(env.ROOT)}")
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
