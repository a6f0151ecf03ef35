"""When staff answer the phone: `OPENING_HOURS` parsed, and asked about a moment.

The format is short enough for an environment variable, in local wall-clock time:

    mon-fri 09:00-15:00; wed 18:00-20:00; 2026-12-24 09:00-12:00; 2026-12-25 closed

Entries are separated by `;`. Days are a weekday (`mon` … `sun`), a range (`mon-fri`),
a list (`mon,wed`) or a date; a date replaces that day's weekday hours entirely. A
day not named is closed. Times are wall-clock, so a DST change moves nothing.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Interval = tuple[time, time | None]  # None as the end means midnight (24:00)


class OpeningHoursError(ValueError):
    """The setting cannot be read; the message says which part."""


@dataclass(frozen=True)
class OpeningHours:
    weekly: dict[int, tuple[Interval, ...]] = field(default_factory=dict)  # 0 is Monday
    dates: dict[date, tuple[Interval, ...]] = field(default_factory=dict)

    def is_open(self, moment: datetime, zone: ZoneInfo) -> bool:
        """Whether `moment` (aware) falls within opening hours in `zone`."""
        local = moment.astimezone(zone)
        day = local.date()
        intervals = self.dates[day] if day in self.dates else self.weekly.get(day.weekday(), ())
        now = local.time().replace(tzinfo=None)
        return any(start <= now and (end is None or now < end) for start, end in intervals)


@lru_cache(maxsize=8)
def parse(spec: str) -> OpeningHours:
    """Read an OPENING_HOURS value; raises OpeningHoursError naming the bad part."""
    weekly: dict[int, tuple[Interval, ...]] = {}
    dates: dict[date, tuple[Interval, ...]] = {}
    for entry in filter(None, (e.strip() for e in spec.split(";"))):
        days_part, _, hours_part = entry.partition(" ")
        words = hours_part.split()
        if not words:
            raise OpeningHoursError(f"{entry!r}: give hours (09:00-15:00) or 'closed'")
        intervals = () if words == ["closed"] else tuple(_interval(w, entry) for w in words)
        for day in _days(days_part.lower(), entry):
            target = dates if isinstance(day, date) else weekly
            target[day] = intervals if isinstance(day, date) else weekly.get(day, ()) + intervals
    return OpeningHours(weekly, dates)


def _days(text: str, entry: str) -> list[int | date]:
    days: list[int | date] = []
    for part in text.split(","):
        if _DATE.match(part):
            try:
                days.append(date.fromisoformat(part))
            except ValueError as error:
                raise OpeningHoursError(f"{entry!r}: {part!r} is not a date") from error
            continue
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise OpeningHoursError(f"{entry!r}: {part!r} is not a day (mon, mon-fri, a date)")
        start, end = DAYS.index(first), DAYS.index(last or first)
        if end < start:
            raise OpeningHoursError(f"{entry!r}: {part!r} runs backwards")
        days += range(start, end + 1)
    return days


def _interval(text: str, entry: str) -> Interval:
    match = _INTERVAL.match(text)
    if not match:
        raise OpeningHoursError(f"{entry!r}: {text!r} is not a time range like 09:00-15:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise OpeningHoursError(f"{entry!r}: {text!r} is not a time of day")
    start = time(h1, m1)
    end = None if h2 == 24 else time(h2, m2)
    if end is not None and end <= start:
        raise OpeningHoursError(f"{entry!r}: {text!r} ends before it starts")
    return start, end
