"""Reading activities out of CSV and iCalendar files: plain rows, and why anything is left out.

Nothing here touches the database: `activity_import` decides what the rows become.
Times in files are local wall-clock times (TIMEZONE) unless the file says otherwise.
"""

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
from dateutil import rrule

from app.i18n import N_

# The columns a CSV file may have, in the order the README documents them.
CSV_COLUMNS = (
    "title", "starts_at", "duration_minutes", "place", "address", "description",
    "organisation", "capacity", "cost", "contact", "repeat_weekly", "repeat_until",
    "external_id",
)  # fmt: skip
REQUIRED_COLUMNS = ("title", "starts_at", "place")
# title_pl, description_ar …: the activity in another language (app.languages codes).
TRANSLATION_COLUMN = re.compile(r"^(title|description)_([a-z]{2,3})$")
DEFAULT_DURATION = 120
MAX_DURATION = 7 * 24 * 60
# Column widths of the activities table; longer text is cut rather than refused.
LIMITS = {"title": 80, "place": 120, "address": 200, "cost": 60, "contact": 120}
MAX_EXPANDED = 100
_YES = {"yes", "ja", "true", "1", "x", "y", "j", "weekly", "ukentlig"}
_NO = {"", "no", "nei", "false", "0", "n"}
# Excel rewrites ISO dates in the user's own format when it saves, so accept those too.
_DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
    "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y kl. %H:%M",
)  # fmt: skip
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


class FormatError(Exception):
    """The whole file cannot be read: a msgid for the staff page, with its values."""

    def __init__(self, msgid: str, **values):
        super().__init__(msgid)
        self.msgid = msgid
        self.values = values


@dataclass
class Note:
    """Something left out or worth knowing: where in the file, and why (a msgid)."""

    where: str
    msgid: str
    values: dict = field(default_factory=dict)


@dataclass
class Row:
    """One activity as the file describes it, ready to be created or compared."""

    where: str
    external_id: str
    organisation: str | None
    fields: dict
    # Local dates of a weekly series that do not take place (iCal EXDATE).
    skip_dates: set[date] = field(default_factory=set)
    # language -> {"title": …, "description": …} from title_<lang>/description_<lang>.
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    past: int = 0  # events already over, counted rather than listed


def looks_like_ics(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"BEGIN:VCALENDAR")


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else Windows-1252 as older Excel writes it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


# --- CSV -------------------------------------------------------------------------------


def parse_csv(data: bytes, zone: ZoneInfo, now: datetime) -> Parsed:
    """Rows from a CSV file with a header line, separated by `;`, `,` or tabs."""
    text = decode_text(data)
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max(";,\t", key=first.count)
    reader = csv.DictReader(io.StringIO(text.lstrip("\r\n")), delimiter=delimiter)
    header = [_column(name) for name in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if not header or missing:
        raise FormatError(
            N_("The file has no column {columns}. The first line must name the columns."),
            columns=", ".join(missing or REQUIRED_COLUMNS),
        )
    reader.fieldnames = header
    parsed = Parsed()
    unknown = [c for c in header if c and c not in CSV_COLUMNS and not _translation_column(c)]
    if unknown:
        parsed.notes.append(
            Note("1", N_("Columns not used: {columns}."), {"columns": ", ".join(unknown)})
        )
    for record in reader:
        where = f"{reader.line_num}"
        values = {k: (v or "").strip() for k, v in record.items() if k in CSV_COLUMNS}
        if not any(values.values()):
            continue
        try:
            row = _csv_row(where, values, zone)
        except _Skip as skip:
            parsed.notes.append(Note(where, skip.msgid, skip.values))
            continue
        row.translations = _translations(record)
        if _is_over(row, now, zone):
            parsed.past += 1
            continue
        parsed.rows.append(row)
    return parsed


class _Skip(Exception):
    def __init__(self, msgid: str, **values):
        super().__init__(msgid)
        self.msgid = msgid
        self.values = values


def _column(name: str | None) -> str:
    return (name or "").strip().lower().replace(" ", "_").replace("-", "_")


def _csv_row(where: str, values: dict, zone: ZoneInfo) -> Row:
    for name in REQUIRED_COLUMNS:
        if not values.get(name):
            raise _Skip(N_("{column} is empty."), column=name)
    starts_at = _parse_local(values["starts_at"], _DATETIME_FORMATS, zone)
    if starts_at is None:
        raise _Skip(
            N_("Start time {value} is not like 2026-12-01 18:00."), value=values["starts_at"]
        )
    duration = _number(values.get("duration_minutes"), "duration_minutes", DEFAULT_DURATION)
    if not 1 <= duration <= MAX_DURATION:
        raise _Skip(N_("Duration {value} minutes is not possible."), value=duration)
    capacity = _number(values.get("capacity"), "capacity", None)
    if capacity is not None and capacity < 1:
        raise _Skip(N_("Capacity must be 1 or more, or empty for no limit."))
    weekly = values.get("repeat_weekly", "").lower()
    if weekly not in _YES | _NO:
        raise _Skip(N_("repeat_weekly must be yes or no, not {value}."), value=weekly)
    until = None
    if values.get("repeat_until"):
        until = _parse_date(values["repeat_until"])
        if until is None:
            raise _Skip(N_("Date {value} is not like 2026-12-31."), value=values["repeat_until"])
    fields = _fields(
        title=values["title"], starts_at=starts_at, duration_minutes=duration,
        place=values["place"], address=values.get("address"),
        description=values.get("description"), cost=values.get("cost"),
        contact=values.get("contact"), capacity=capacity,
        repeat_weekly=weekly in _YES, repeat_until=until if weekly in _YES else None,
    )  # fmt: skip
    external_id = values.get("external_id") or _derived_id(fields)
    return Row(where, external_id, values.get("organisation") or None, fields)


def _translation_column(name: str) -> tuple[str, str] | None:
    """("title", "pl") for a column title_pl naming a language we know, else None."""
    from app import languages

    found = TRANSLATION_COLUMN.match(name)
    if found and languages.get(found.group(2)):
        return found.group(1), found.group(2)
    return None


def _translations(record: dict) -> dict[str, dict[str, str]]:
    """A row's titles and descriptions in other languages; a language without a title
    has none (a description alone is not enough to show)."""
    found: dict[str, dict[str, str]] = {}
    for column, value in record.items():
        kind = _translation_column(column or "")
        if kind and (value or "").strip():
            found.setdefault(kind[1], {})[kind[0]] = value.strip()[: LIMITS.get(kind[0], 2000)]
    return {code: texts for code, texts in found.items() if texts.get("title")}


def _number(value: str | None, column: str, default):
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise _Skip(N_("{column} must be a whole number, not {value}."), column=column,
                    value=value) from None  # fmt: skip


def _parse_local(value: str, formats, zone: ZoneInfo) -> datetime | None:
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    return None


def _parse_date(value: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _derived_id(fields: dict) -> str:
    """For rows without external_id: the same title at the same time is the same activity."""
    key = f"{fields['title'].lower()}|{fields['starts_at'].isoformat()}"
    return "auto:" + hashlib.sha1(key.encode()).hexdigest()[:20]


def _fields(**fields) -> dict:
    for name, limit in LIMITS.items():
        if fields.get(name) and len(fields[name]) > limit:
            fields[name] = fields[name][: limit - 1].rstrip() + "…"
    for name in ("address", "description", "cost", "contact"):
        fields[name] = fields.get(name) or None
    return fields


def _is_over(row: Row, now: datetime, zone: ZoneInfo) -> bool:
    fields = row.fields
    end = fields["starts_at"] + timedelta(minutes=fields["duration_minutes"])
    if not fields["repeat_weekly"]:
        return end < now
    until = fields["repeat_until"]
    return until is not None and until < now.astimezone(zone).date()


# --- iCalendar -------------------------------------------------------------------------


def parse_ics(data: bytes, zone: ZoneInfo, now: datetime, expand_days: int) -> Parsed:
    """Rows from the VEVENTs of an iCalendar file.

    A weekly RRULE (with UNTIL or COUNT) becomes a weekly activity; its EXDATEs are dates
    it does not take place. Other repeat rules are expanded into single activities for
    the next `expand_days` days. Changed single dates of a series (RECURRENCE-ID) and
    cancelled events are reported, not imported.
    """
    try:
        calendar = icalendar.Calendar.from_ical(decode_text(data))
        events = calendar.walk("VEVENT")
    except Exception as error:  # the library raises several kinds for broken files
        raise FormatError(N_("This is not a calendar file we can read.")) from error
    parsed = Parsed()
    for number, event in enumerate(events, start=1):
        title = str(event.get("SUMMARY") or "").strip()
        where = title or f"#{number}"
        try:
            _event_rows(event, title, zone, now, expand_days, parsed)
        except _Skip as skip:
            parsed.notes.append(Note(where, skip.msgid, skip.values))
        except Exception:  # a value the library could not make sense of
            parsed.notes.append(Note(where, N_("This event could not be read.")))
    return parsed


def _event_rows(event, title, zone, now, expand_days, parsed: Parsed) -> None:
    if not title:
        raise _Skip(N_("The event has no title (SUMMARY)."))
    if event.get("RECURRENCE-ID") is not None:
        raise _Skip(N_("A changed date of a repeating event: change that date by hand."))
    if str(event.get("STATUS") or "").upper() == "CANCELLED":
        raise _Skip(N_("Cancelled in the calendar."))
    if event.get("DTSTART") is None:
        raise _Skip(N_("The event has no start time (DTSTART)."))
    start, all_day = _local(event.get("DTSTART").dt, zone)
    duration = _duration(event, start, zone, all_day)
    location = str(event.get("LOCATION") or "").strip()
    if not location:
        raise _Skip(N_("The event has no place (LOCATION)."))
    place, _sep, rest = location.partition(",")
    uid = str(event.get("UID") or "").strip()
    fields = _fields(
        title=title, starts_at=start, duration_minutes=duration, place=place.strip(),
        address=location if rest.strip() else None,
        description=str(event.get("DESCRIPTION") or "").strip(),
        contact=str(event.get("CONTACT") or "").strip(), cost=None, capacity=None,
        repeat_weekly=False, repeat_until=None,
    )  # fmt: skip
    external_id = uid or _derived_id(fields)
    rule = event.get("RRULE")
    if rule is None:
        row = Row(title, external_id, None, fields)
        if _is_over(row, now, zone):
            parsed.past += 1
        else:
            parsed.rows.append(row)
        return
    exdates = {_local(d.dt, zone)[0] for d in _exdates(event)}
    weekly = _weekly_until(rule, start, zone)
    if weekly is not False:
        fields.update(repeat_weekly=True, repeat_until=weekly)
        row = Row(title, external_id, None, fields, {d.date() for d in exdates})
        if _is_over(row, now, zone):
            parsed.past += 1
        else:
            parsed.rows.append(row)
        return
    starts = _expand(rule, start, now, expand_days, exdates)
    parsed.notes.append(
        Note(title, N_("Repeats other than weekly: its {count} dates in the next {days} days "
                       "are imported one by one."), {"count": len(starts), "days": expand_days})
    )  # fmt: skip
    for one in starts:
        parsed.rows.append(
            Row(f"{title} {one:%Y-%m-%d}", f"{external_id}/{one:%Y%m%dT%H%M}", None,
                {**fields, "starts_at": one})
        )  # fmt: skip


def _local(value, zone: ZoneInfo) -> tuple[datetime, bool]:
    """An aware local datetime for DTSTART/EXDATE values; True for all-day dates."""
    if isinstance(value, datetime):
        if value.tzinfo is None:  # floating time: the service's own local time
            return value.replace(tzinfo=zone), False
        return value.astimezone(zone), False
    if isinstance(value, date):  # all day: from local midnight
        return datetime.combine(value, time.min, zone), True
    raise _Skip(N_("The event has no start time (DTSTART)."))


def _duration(event, start: datetime, zone: ZoneInfo, all_day: bool) -> int:
    if event.get("DTEND") is not None:
        end, _ = _local(event.get("DTEND").dt, zone)
        minutes = int((end - start).total_seconds() // 60)
    elif event.get("DURATION") is not None:
        minutes = int(event.get("DURATION").dt.total_seconds() // 60)
    else:
        minutes = 24 * 60 if all_day else DEFAULT_DURATION
    if minutes <= 0:
        minutes = DEFAULT_DURATION
    return min(minutes, MAX_DURATION)


def _exdates(event) -> list:
    found = event.get("EXDATE")
    if found is None:
        return []
    lists = found if isinstance(found, list) else [found]
    return [d for each in lists for d in each.dts]


def _weekly_until(rule, start: datetime, zone: ZoneInfo):
    """The repeat_until date of a plain weekly rule (None: no end); False if not plain weekly."""
    keys = {k.upper() for k in rule}
    if rule.get("FREQ") != ["WEEKLY"] or keys - {"FREQ", "UNTIL", "COUNT", "INTERVAL", "BYDAY",
                                                 "WKST"}:  # fmt: skip
        return False
    if rule.get("INTERVAL", [1]) != [1]:
        return False
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[start.weekday()]
    if "BYDAY" in keys and [str(d).upper() for d in rule["BYDAY"]] != [weekday]:
        return False
    if "UNTIL" in keys:
        until, _ = _local(rule["UNTIL"][0], zone)
        return until.date()
    if "COUNT" in keys:
        return (start + timedelta(weeks=int(rule["COUNT"][0]) - 1)).date()
    return None


def _expand(rule, start: datetime, now: datetime, days: int, exdates: set) -> list[datetime]:
    """The rule's dates from now until `days` ahead, without EXDATEs (at most MAX_EXPANDED)."""
    text = rule.to_ical().decode()
    parts = [p for p in text.split(";") if not p.upper().startswith("UNTIL=")]
    try:
        recurrence = rrule.rrulestr(";".join(parts), dtstart=start)
        if "UNTIL" in {k.upper() for k in rule}:
            until, _ = _local(rule["UNTIL"][0], start.tzinfo)
            recurrence = recurrence.replace(until=until)
    except (ValueError, TypeError) as error:
        raise _Skip(N_("Its repeat rule (RRULE) is not one we understand.")) from error
    found = []
    for one in recurrence.xafter(max(start, now) - timedelta(seconds=1), inc=True):
        if one > now + timedelta(days=days) or len(found) >= MAX_EXPANDED:
            break
        if one not in exdates:
            found.append(one)
    return found
