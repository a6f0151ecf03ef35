"""scripts/sync_activities.py against the app on a loopback port: a second run changes nothing."""

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Activity

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "sync_activities.py"
DATA = ROOT / "tests" / "data"


@pytest.fixture
def live_server(app):
    """The test app on a free loopback port, for as long as the test runs."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def _run(live_server: str, token: str, *args: str) -> str:
    env = {**os.environ, "SAMTALE_API_TOKEN": token}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--url", live_server],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_csv_file_synced_twice_changes_nothing_the_second_time(live_server, make_token, app):
    token = make_token("activities")
    args = (str(DATA / "activities_excel.csv"), "--source", "excel",
            "--organisation", "Fjordvik frivilligsentral")  # fmt: skip
    first = _run(live_server, token, *args)
    assert "2 created, 0 updated, 0 unchanged" in first
    assert "left out: line 4" in first and "left out: line 6" in first  # "i morgen", capacity 0
    second = _run(live_server, token, *args)
    assert "0 created, 0 updated, 2 unchanged" in second
    with app.app_context():
        found = db.session.scalars(sa.select(Activity).order_by(Activity.external_id)).all()
        assert [(a.external_id, a.source) for a in found] == [
            ("fv-1", "api:excel"),
            ("fv-2", "api:excel"),
        ]
        assert found[0].repeat_weekly and str(found[0].repeat_until) == "2099-06-30"
        assert found[1].organisation.name == "Fjordvik bibliotek"


def test_an_ics_file_synced_twice_and_a_dry_run(live_server, make_token, app):
    token = make_token("activities")
    args = (str(DATA / "calendar.ics"), "--source", "kalender", "--organisation", "Fjordvik")
    dry = _run(live_server, token, *args, "--dry-run")
    assert dry.startswith("left out") and "Would change: " in dry
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 0
    first = _run(live_server, token, *args)
    second = _run(live_server, token, *args)
    created = int(re.search(r"(\d+) created", first).group(1))
    assert created == 4 and "1 past" in first
    assert f"0 created, 0 updated, {created} unchanged" in second
    with app.app_context():
        series = db.session.scalar(sa.select(Activity).where(
            Activity.external_id == "strikk-2099@fjordvik.kommune.no"))  # fmt: skip
        assert series.repeat_weekly and series.place == "Biblioteket"


def test_without_a_token_or_with_a_wrong_one_it_says_so(live_server):
    env = {k: v for k, v in os.environ.items() if k != "SAMTALE_API_TOKEN"}
    done = subprocess.run([sys.executable, str(SCRIPT), str(DATA / "activities_excel.csv"),
                           "--url", live_server], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode != 0 and "SAMTALE_API_TOKEN" in done.stderr
    env["SAMTALE_API_TOKEN"] = "smt_000000000000_wrong"
    done = subprocess.run([sys.executable, str(SCRIPT), str(DATA / "activities_excel.csv"),
                           "--url", live_server, "--organisation", "X"], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode != 0 and "401" in done.stderr
