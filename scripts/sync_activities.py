#!/usr/bin/env python3
"""Send activities from a CSV or iCalendar (.ics) file to Samtale, as a nightly job would.

    export SAMTALE_API_TOKEN=smt_…          # a token with the scope "activities"
    python3 sync_activities.py activities.csv --url https://samtale.example.org \\
        --source kommunekalender --organisation "Fjordvik kommune"

It PUTs the file's activities to /api/v1/activities, where each one's external id (the
CSV `external_id` column, or the calendar's UID) within `--source` is the same activity
every time: new ones are created, changed ones updated, the rest left alone. Running it
again with the same file changes nothing. Activities that left the file are listed,
never deleted. `--dry-run` shows what would change.

The CSV has the columns of the staff pages' import: title, starts_at, duration_minutes,
place, address, description, organisation, capacity, cost, contact, repeat_weekly,
repeat_until, external_id; `;`, `,` or tab between them; times are local (`--timezone`).
Only the standard library is needed, and the `icalendar` package for .ics files.
"""

import argparse
import csv
import hashlib
import io
import json
import os
import sys
import urllib.error
import urllib.request
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

BATCH = 1000  # the most one request takes
LIMITS = {"title": 80, "place": 120, "address": 200, "description": 2000, "cost": 60,
          "contact": 120}  # fmt: skip
DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
                    "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y kl. %H:%M")  # fmt: skip
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
YES, NO = {"yes", "ja", "true", "1", "x", "y", "j"}, {"", "no", "nei", "false", "0", "n"}


class Skip(Exception):
    """This row or event is left out; the message says why."""


def _parse(value: str, formats, zone: ZoneInfo | None):
    for fmt in formats:
        try:
            parsed = datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=zone) if zone else parsed.date()
    return None


def _auto_id(title: str, starts_at: datetime) -> str:
    """As the staff import does: the same title at the same time is the same activity."""
    return (
        "auto:" + hashlib.sha1(f"{title.lower()}|{starts_at.isoformat()}".encode()).hexdigest()[:20]
    )


def _item(external_id: str, title: str, starts_at: datetime, place: str, **fields) -> dict:
    item = {"external_id": external_id[:300], "title": title, "place": place,
            "starts_at": starts_at.isoformat(), **fields}  # fmt: skip
    for name, limit in LIMITS.items():
        if item.get(name) and len(item[name]) > limit:
            item[name] = item[name][: limit - 1].rstrip() + "…"
    return {k: v for k, v in item.items() if v not in (None, "")}


def read_csv(data: bytes, zone: ZoneInfo) -> tuple[list[dict], list[str]]:
    """(items, notes) from a CSV file with a header line."""
    text = data.decode("utf-8-sig", errors="replace").lstrip("\r\n")
    delimiter = max(";,\t", key=text.split("\n", 1)[0].count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    reader.fieldnames = [
        (n or "").strip().lower().replace(" ", "_") for n in reader.fieldnames or []
    ]
    items, notes = [], []
    for row in reader:
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(values.values()):
            continue
        try:
            items.append(_csv_item(values, zone))
        except Skip as skip:
            notes.append(f"line {reader.line_num}: {skip}")
    return items, notes


def _csv_item(values: dict, zone: ZoneInfo) -> dict:
    for name in ("title", "starts_at", "place"):
        if not values.get(name):
            raise Skip(f"{name} is empty")
    starts_at = _parse(values["starts_at"], DATETIME_FORMATS, zone)
    if starts_at is None:
        raise Skip(f"start time {values['starts_at']!r} is not like 2026-12-01 18:00")
    numbers = {}
    for name, least, most in (("duration_minutes", 1, 10080), ("capacity", 1, 100000)):
        if values.get(name):
            if not values[name].isdigit() or not least <= int(values[name]) <= most:
                raise Skip(f"{name} must be a whole number from {least} to {most}")
            numbers[name] = int(values[name])
    weekly = values.get("repeat_weekly", "").lower()
    if weekly not in YES | NO:
        raise Skip(f"repeat_weekly must be yes or no, not {weekly!r}")
    until = None
    if weekly in YES and values.get("repeat_until"):
        until = _parse(values["repeat_until"], DATE_FORMATS, None)
        if until is None:
            raise Skip(f"date {values['repeat_until']!r} is not like 2026-12-31")
    external_id = values.get("external_id") or _auto_id(values["title"], starts_at)
    return _item(
        external_id, values["title"], starts_at, values["place"], **numbers,
        address=values.get("address"), description=values.get("description"),
        cost=values.get("cost"), contact=values.get("contact"),
        organisation=values.get("organisation"), repeat_weekly=weekly in YES,
        repeat_until=until.isoformat() if until else None,
    )  # fmt: skip


def read_ics(data: bytes, zone: ZoneInfo) -> tuple[list[dict], list[str]]:
    """(items, notes) from an iCalendar file: one-off events and plain weekly series."""
    try:
        import icalendar
    except ImportError:
        sys.exit("Reading .ics files needs the icalendar package: pip install icalendar")
    items, notes = [], []
    for event in icalendar.Calendar.from_ical(data).walk("VEVENT"):
        title = str(event.get("SUMMARY") or "").strip()
        try:
            items.append(_ics_item(event, title, zone))
        except Skip as skip:
            notes.append(f"{title or 'an event without a title'}: {skip}")
    return items, notes


def _local(value, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
    return datetime.combine(value, time.min, zone)  # an all-day date


def _ics_item(event, title: str, zone: ZoneInfo) -> dict:
    if not title:
        raise Skip("no title (SUMMARY)")
    if event.get("RECURRENCE-ID") is not None:
        raise Skip("a changed date of a repeating event: change that date by hand")
    if str(event.get("STATUS") or "").upper() == "CANCELLED":
        raise Skip("cancelled in the calendar")
    if event.get("DTSTART") is None or not str(event.get("LOCATION") or "").strip():
        raise Skip("no start (DTSTART) or no place (LOCATION)")
    starts_at = _local(event.get("DTSTART").dt, zone)
    if event.get("DTEND") is not None:
        minutes = (_local(event.get("DTEND").dt, zone) - starts_at) // timedelta(minutes=1)
    elif event.get("DURATION") is not None:
        minutes = event.get("DURATION").dt // timedelta(minutes=1)
    else:
        minutes = 120
    location = str(event.get("LOCATION")).strip()
    fields = {"duration_minutes": min(max(int(minutes), 1), 10080),
              "address": location if "," in location else None,
              "description": str(event.get("DESCRIPTION") or "").strip() or None}  # fmt: skip
    rule = event.get("RRULE")
    if rule is not None:
        if rule.get("FREQ") != ["WEEKLY"] or rule.get("INTERVAL", [1]) != [1]:
            raise Skip("repeats other than every week: import it on the staff pages instead")
        fields["repeat_weekly"] = True
        if "UNTIL" in rule:
            fields["repeat_until"] = _local(rule["UNTIL"][0], zone).date().isoformat()
        elif "COUNT" in rule:
            last = starts_at + timedelta(weeks=int(rule["COUNT"][0]) - 1)
            fields["repeat_until"] = last.date().isoformat()
        skipped = event.get("EXDATE")
        exdates = [d for part in (skipped if isinstance(skipped, list) else [skipped] if skipped
                                  else []) for d in part.dts]  # fmt: skip
        fields["skip_dates"] = sorted({_local(d.dt, zone).date().isoformat() for d in exdates})
    uid = str(event.get("UID") or "").strip() or _auto_id(title, starts_at)
    return _item(uid, title, starts_at, location.split(",", 1)[0].strip(), **fields)


def put(url: str, token: str, body: dict) -> dict:
    """PUT the body to the bulk upsert; the answer, or exit with the API's own words."""
    request = urllib.request.Request(
        url.rstrip("/") + "/api/v1/activities", method="PUT",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        sys.exit(f"Samtale answered {error.code}: {error.read().decode(errors='replace')}")
    except urllib.error.URLError as error:
        sys.exit(f"Could not reach Samtale: {error.reason}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="a .csv or .ics file")
    parser.add_argument("--url", default=os.environ.get("SAMTALE_URL", "http://localhost:5000"))
    parser.add_argument("--source", default="sync", help="names this set of activities")
    parser.add_argument("--organisation", help="for activities without one")
    parser.add_argument("--timezone", default="Europe/Oslo", help="of times in the file")
    parser.add_argument("--dry-run", action="store_true", help="change nothing, only report")
    args = parser.parse_args(argv)
    token = os.environ.get("SAMTALE_API_TOKEN")
    if not token:
        sys.exit("Set SAMTALE_API_TOKEN to a token with the scope 'activities'.")
    zone = ZoneInfo(args.timezone)
    with open(args.file, "rb") as handle:
        data = handle.read()
    is_ics = args.file.lower().endswith(".ics") or data.lstrip().startswith(b"BEGIN:VCALENDAR")
    items, notes = (read_ics if is_ics else read_csv)(data, zone)
    for note in notes:
        print(f"left out: {note}")
    totals = dict.fromkeys(("created", "updated", "unchanged", "past", "people_told"), 0)
    for start in range(0, max(len(items), 1), BATCH):
        body = {"source": args.source, "organisation": args.organisation,
                "activities": items[start : start + BATCH], "dry_run": args.dry_run}  # fmt: skip
        result = put(args.url, token, body)
        for key in totals:
            totals[key] += result[key]
        for skipped in result["skipped"]:
            print(f"left out by Samtale: {skipped['external_id']}: {skipped['message']}")
        if result["gone"]:
            print(f"no longer in the file (still on; cancel them if they are off): "
                  f"activities {', '.join(map(str, result['gone']))}")  # fmt: skip
    print(("Would change: " if args.dry_run else "")
          + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in totals.items()))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
