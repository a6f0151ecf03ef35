"""Importing activities from CSV and iCalendar files and URLs: again and again, never twice."""

import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.extensions import db
from app.models import Activity, Occurrence
from app.services.activity_import import file_source, import_data, import_url
from tests.staff_helpers import csrf_token, make_staff, sign_in

DATA = Path(__file__).parent / "data"
OSLO = ZoneInfo("Europe/Oslo")
UTC = ZoneInfo("UTC")


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def count(model=Activity) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def by_title(title: str) -> Activity:
    return db.session.scalar(sa.select(Activity).where(Activity.title == title))


def reasons(report) -> dict[str, str]:
    return {note.where: note.msgid.format(**note.values) for note in report.skipped}


def ics(*events: str) -> bytes:
    body = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *events,
                        "END:VCALENDAR", ""])  # fmt: skip
    return body.encode()


def vevent(uid: str, summary: str, start: datetime, *extra: str, minutes: int = 60) -> str:
    end = start + timedelta(minutes=minutes)
    return "\r\n".join([
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z", f"SUMMARY:{summary}",
        f"DTSTART;TZID=Europe/Oslo:{start:%Y%m%dT%H%M%S}",
        f"DTEND;TZID=Europe/Oslo:{end:%Y%m%dT%H%M%S}", "LOCATION:Huset", *extra, "END:VEVENT",
    ])  # fmt: skip


def soon(days: int, hour: int = 18) -> datetime:
    day = (datetime.now(OSLO) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=OSLO)


# --- CSV ---------------------------------------------------------------------------------


def test_csv_from_excel_with_semicolons_and_a_bom(ctx):
    report = import_data(read("activities_excel.csv"), file_source("C:\\Users\\kari\\akt.csv"))
    assert report.ok and report.source == "file:akt.csv"
    assert [e.title for e in report.created] == ["Strikkekafé", "Språkkafé"]
    knitting = by_title("Strikkekafé")
    assert knitting.starts_at == datetime(2099, 3, 3, 18, tzinfo=OSLO)
    assert knitting.repeat_weekly and knitting.repeat_until == date(2099, 6, 30)
    assert (knitting.capacity, knitting.cost, knitting.address) == (
        12,
        "Gratis",
        "Storgata 1, Fjordvik",
    )
    assert knitting.organisation.name == "Fjordvik frivilligsentral"
    assert knitting.external_id == "fv-1" and knitting.source == "file:akt.csv"
    language = by_title("Språkkafé")
    assert language.starts_at == datetime(2099, 3, 5, 11, 30, tzinfo=OSLO)  # Excel's own format
    assert language.description == "Norsk; for alle" and language.capacity is None
    assert language.organisation.name == "Fjordvik bibliotek"
    why = reasons(report)
    assert why["4"] == "Start time i morgen is not like 2026-12-01 18:00."
    assert why["6"] == "Capacity must be 1 or more, or empty for no limit."


def test_a_second_import_of_the_same_csv_creates_nothing_and_a_changed_row_updates(ctx):
    import_data(read("activities_excel.csv"), "file:akt.csv")
    again = import_data(read("activities_excel.csv"), "file:akt.csv")
    assert again.created == [] and again.updated == []
    assert [e.title for e in again.unchanged] == ["Strikkekafé", "Språkkafé"]
    assert count() == 2
    changed = read("activities_excel.csv").replace(b"2099-03-03 18:00;120", b"2099-03-03 19:00;120")
    third = import_data(changed, "file:akt.csv")
    assert [e.title for e in third.updated] == ["Strikkekafé"] and count() == 2
    assert by_title("Strikkekafé").starts_at == datetime(2099, 3, 3, 19, tzinfo=OSLO)


def test_csv_with_commas_in_windows_encoding_and_an_organisation_from_the_form(ctx):
    data = ("title,starts_at,place\r\nKortspill på huset,2099-05-01 12:00,Huset\r\n"
            .encode("cp1252"))  # fmt: skip
    report = import_data(data, "file:a.csv", organisation="Fjordvik pensjonistforening")
    assert [e.title for e in report.created] == ["Kortspill på huset"]
    assert by_title("Kortspill på huset").organisation.name == "Fjordvik pensjonistforening"
    # Without external_id, the same title at the same time is found again.
    assert import_data(data, "file:a.csv", organisation="Fjordvik pensjonistforening").created == []


def test_a_csv_without_the_needed_columns_is_refused_kindly(ctx):
    report = import_data(b"name;when\r\nBingo;tomorrow\r\n", "file:x.csv")
    msgid, values = report.error
    assert msgid.format(**values).startswith("The file has no column title, starts_at, place.")
    no_org = import_data(b"title;starts_at;place\r\nBingo;2099-01-01 10:00;Huset\r\n", "file:y.csv")
    assert "No organisation" in no_org.skipped[0].msgid and count() == 0


# --- iCalendar ---------------------------------------------------------------------------


def test_ics_weekly_rules_floating_and_all_day_times_and_what_is_left_out(ctx):
    report = import_data(read("calendar.ics"), "file:kalender.ics", organisation="Fjordvik kommune")
    assert report.ok
    assert sorted(e.title for e in report.created) == [
        "Julekonsert", "Julemarked", "Sjakkurs", "Strikkekafé"]  # fmt: skip
    knitting = by_title("Strikkekafé")
    assert knitting.repeat_weekly and knitting.repeat_until == date(2099, 6, 30)
    assert (knitting.place, knitting.address) == (
        "Biblioteket",
        "Biblioteket, Storgata 1, Fjordvik",
    )
    assert (
        knitting.duration_minutes == 120
        and knitting.external_id == "strikk-2099@fjordvik.kommune.no"
    )
    chess = by_title("Sjakkurs")  # COUNT=6 from 4 March: the last on 8 April
    assert chess.repeat_weekly and chess.repeat_until == date(2099, 4, 8)
    assert chess.duration_minutes == 90
    concert = by_title("Julekonsert")  # floating time: local time
    assert concert.starts_at == datetime(2099, 12, 20, 19, tzinfo=OSLO)
    market = by_title("Julemarked")  # all day: from local midnight, for the day
    assert market.starts_at == datetime(2099, 12, 12, tzinfo=OSLO)
    assert market.duration_minutes == 24 * 60
    why = reasons(report)
    assert why["Strikkekafé (flyttet)"].startswith("A changed date of a repeating event")
    assert why["Møte uten sted"] == "The event has no place (LOCATION)."
    assert why["Avlyst tur"] == "Cancelled in the calendar."
    assert report.past == 1


def test_importing_a_calendar_twice_creates_nothing_new_and_a_changed_event_updates(ctx):
    first = import_data(read("calendar.ics"), "file:k.ics", organisation="Fjordvik kommune")
    made = count()
    second = import_data(read("calendar.ics"), "file:k.ics", organisation="Fjordvik kommune")
    assert second.created == [] and second.updated == [] and len(second.unchanged) == made
    assert count() == made == len(first.created)
    moved = read("calendar.ics").replace(
        b"SUMMARY:Julekonsert\r\nDTSTART:20991220T190000",
        b"SUMMARY:Julekonsert\r\nDTSTART:20991220T180000",
    )
    third = import_data(moved, "file:k.ics", organisation="Fjordvik kommune")
    assert [e.title for e in third.updated] == ["Julekonsert"] and count() == made
    assert by_title("Julekonsert").starts_at == datetime(2099, 12, 20, 18, tzinfo=OSLO)


def test_an_event_gone_from_the_calendar_is_reported_not_deleted(ctx):
    start = soon(3)
    both = ics(vevent("a@x", "Bingo", start), vevent("b@x", "Quiz", start + timedelta(days=1)))
    import_data(both, "https://example.org/cal.ics", organisation="Huset")
    report = import_data(ics(vevent("a@x", "Bingo", start)), "https://example.org/cal.ics",
                         organisation="Huset")  # fmt: skip
    assert [e.title for e in report.gone] == ["Quiz"]
    assert not by_title("Quiz").cancelled and count() == 2
    # Another calendar's events are not this one's business.
    other = import_data(ics(vevent("c@x", "Dans", start)), "file:other.ics", organisation="Huset")
    assert other.gone == []


def test_exdates_of_a_weekly_series_are_cancelled_dates_without_codes(ctx):
    start = soon(2)
    skipped = start + timedelta(weeks=1)
    data = ics(vevent("w@x", "Trim", start, "RRULE:FREQ=WEEKLY",
                      f"EXDATE;TZID=Europe/Oslo:{skipped:%Y%m%dT%H%M%S}"))  # fmt: skip
    import_data(data, "file:t.ics", organisation="Huset")
    trim = by_title("Trim")
    occurrences = db.session.scalars(
        sa.select(Occurrence)
        .where(Occurrence.activity_id == trim.id)
        .order_by(Occurrence.starts_at)
    ).all()
    assert occurrences[1].starts_at == skipped and occurrences[1].cancelled
    assert occurrences[1].code is None and occurrences[0].code and occurrences[2].code
    assert import_data(data, "file:t.ics", organisation="Huset").created == []


def test_other_repeat_rules_are_expanded_into_single_dates(ctx, app):
    app.config["IMPORT_EXPAND_DAYS"] = 40
    data = ics(vevent("d@x", "Morgentrim", soon(1, 9), "RRULE:FREQ=DAILY;INTERVAL=10"))
    report = import_data(data, "file:d.ics", organisation="Huset")
    assert len(report.created) == 4  # day 1, 11, 21, 31
    assert all(not a.repeat_weekly for a in db.session.scalars(sa.select(Activity)))
    assert "imported one by one" in report.skipped[0].msgid
    assert import_data(data, "file:d.ics", organisation="Huset").created == []


def test_a_dry_run_saves_nothing(ctx):
    report = import_data(read("calendar.ics"), "file:k.ics", organisation="X", dry_run=True)
    assert report.dry_run and len(report.created) == 4
    assert all(e.activity_id is None for e in report.created)
    db.session.rollback()
    assert count() == 0


@pytest.mark.parametrize("data", [b"", b"\x00\x01\x02binary", b"BEGIN:VCALENDAR\r\nnonsense"])
def test_broken_files_get_a_kind_report(ctx, data):
    report = import_data(data, "file:broken")
    assert report.error is not None and count() == 0


# --- URLs --------------------------------------------------------------------------------


@pytest.fixture
def calendar_server():
    """A loopback HTTP server with a calendar, a redirect to file://, a 404 and a big file."""
    files = {"/cal.ics": read("calendar.ics"), "/big.ics": b"X" * 5000}

    @Request.application
    def serve(request: Request) -> Response:
        if request.path == "/to-file":
            return Response(status=302, headers={"Location": "file:///etc/passwd"})
        if request.path == "/moved":
            return Response(status=301, headers={"Location": "/cal.ics"})
        if request.path in files:
            return Response(files[request.path], content_type="text/calendar")
        return Response("nope", status=404)

    server = make_server("127.0.0.1", 0, serve, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_import_from_a_url_and_again_without_duplicates(ctx, app, calendar_server):
    app.config["IMPORT_ALLOW_PRIVATE_URLS"] = True
    report = import_url(f"{calendar_server}/moved", organisation="Fjordvik kommune")
    assert report.ok and len(report.created) == 4
    assert by_title("Sjakkurs").source == f"{calendar_server}/moved"
    assert import_url(f"{calendar_server}/moved", organisation="Fjordvik kommune").created == []


def test_urls_inside_the_network_and_odd_schemes_are_refused(ctx, app, calendar_server):
    refused = import_url(f"{calendar_server}/cal.ics")
    assert "own network" in refused.error[0]
    assert "Only http and https" in import_url("file:///etc/passwd").error[0]
    assert "Only http and https" in import_url("ftp://example.org/cal.ics").error[0]
    app.config["IMPORT_ALLOW_PRIVATE_URLS"] = True
    assert "Only http and https" in import_url(f"{calendar_server}/to-file").error[0]
    assert import_url(f"{calendar_server}/missing").error == (
        "The address answered with error {status}.", {"status": 404})  # fmt: skip
    app.config["IMPORT_MAX_BYTES"] = 1000
    assert "larger than" in import_url(f"{calendar_server}/big.ics").error[0]
    assert count() == 0


# --- the page ----------------------------------------------------------------------------


@pytest.fixture
def coordinator_client(app, client):
    with app.app_context():
        sign_in(client, make_staff("coordinator"))
    return client


def post(client, data: dict):
    token = csrf_token(client, "/staff/activities/import")
    return client.post("/staff/activities/import", data={**data, "csrf_token": token},
                       content_type="multipart/form-data")  # fmt: skip


def test_upload_shows_a_preview_then_imports_on_confirmation(app, coordinator_client):
    from io import BytesIO

    preview = post(coordinator_client, {
        "file": (BytesIO(read("activities_excel.csv")), "aktiviteter.csv"), "organisation": "",
    })  # fmt: skip
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Preview: nothing is saved yet" in html and "New: 2" in html
    assert "Start time i morgen is not like" in html
    with app.app_context():
        assert count() == 0
    content = html.split('name="content" value="', 1)[1].split('"', 1)[0]
    done = post(coordinator_client, {"content": content, "filename": "aktiviteter.csv",
                                     "organisation": "", "confirm": "yes"})  # fmt: skip
    assert "Imported" in done.get_data(as_text=True)
    with app.app_context():
        assert count() == 2
        assert by_title("Strikkekafé").source == "file:aktiviteter.csv"


def test_the_page_imports_from_a_url(app, coordinator_client, calendar_server):
    app.config["IMPORT_ALLOW_PRIVATE_URLS"] = True
    response = post(
        coordinator_client,
        {"url": f"{calendar_server}/cal.ics", "organisation": "Fjordvik kommune", "confirm": "yes"},
    )
    assert "New: 4" in response.get_data(as_text=True)
    with app.app_context():
        assert count() == 4


@pytest.mark.parametrize("upload", [
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "photo.png"),
    (b"BEGIN:VCALENDAR\r\ngarbage", "broken.ics"),
    (b"", "empty.csv"),
])  # fmt: skip
def test_bad_files_on_the_page_get_a_kind_message_never_a_500(app, coordinator_client, upload):
    from io import BytesIO

    data, name = upload
    response = post(coordinator_client, {"file": (BytesIO(data), name), "organisation": "X"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was imported" in html or "Choose a file" in html


def test_nothing_chosen_says_so(coordinator_client):
    html = post(coordinator_client, {"organisation": ""}).get_data(as_text=True)
    assert "Choose a file or enter an address." in html


def test_a_file_too_large_is_refused_kindly(app, coordinator_client):
    from io import BytesIO

    app.config["IMPORT_MAX_BYTES"] = 10_000
    response = post(coordinator_client, {"file": (BytesIO(b"x" * 20_000), "big.csv")})
    assert response.status_code == 200
    assert "The file is larger than 0.01 MB." in response.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 50_000  # the whole request, checked before any view
    response = post(coordinator_client, {"file": (BytesIO(b"x" * 200_000), "big.csv")})
    assert response.status_code == 413
    assert "The file is too large." in response.get_data(as_text=True)
