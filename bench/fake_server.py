"""The tests' fake Twilio REST server (tests/fake_twilio.py), in a process of its own, so
that it does not share a GIL with what it is measuring. Prints its URL, serves until killed.
It keeps what it was sent, as in the tests: a run of tens of thousands is a few MB."""

import signal
import subprocess
import sys
import time

from bench.env import ROOT, child_env


def start() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.fake_server"],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        raise RuntimeError("the fake Twilio server did not start")
    return process, url


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    import logging

    from tests.fake_twilio import FakeTwilio

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = FakeTwilio().start()
    print(server.url, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(3600)
