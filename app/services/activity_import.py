"""Import activities from CSV and iCalendar files or URLs, again and again without duplicates.

Each imported activity remembers where it came from (`source`: the URL, or "file:" and
the file's name) and its id there (CSV `external_id`, iCal `UID`), so importing the
same calendar again updates what changed and creates only what is new. An activity
that is no longer in the calendar is never deleted here: the report lists it and the
coordinator decides. A dry run does all the work and then rolls it back, so the
preview shows exactly what saving would do.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.i18n import N_
from app.models import Activity, Occurrence
from app.services import activities, activity_translations
from app.services.activity_formats import (
    FormatError,
    Note,
    Row,
    _is_over,
    looks_like_ics,
    parse_csv,
    parse_ics,
)
from app.services.url_fetch import FetchError, fetch, normalise_url
from app.timeutil import local_zone, utcnow

SOURCE_LENGTH = 300


@dataclass
class Entry:
    """One activity the import created, updated or left alone."""

    where: str
    title: str
    activity_id: int | None = None


@dataclass
class Report:
    source: str
    dry_run: bool = False
    created: list[Entry] = field(default_factory=list)
    updated: list[Entry] = field(default_factory=list)
    unchanged: list[Entry] = field(default_factory=list)
    skipped: list[Note] = field(default_factory=list)
    # Activities from this source that the file no longer has (still on, not deleted).
    gone: list[Entry] = field(default_factory=list)
    past: int = 0
    told: int = 0  # people who get an SMS because a time or place changed
    # Set when the file as a whole could not be read: (msgid, values).
    error: tuple[str, dict] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def import_data(
    data: bytes, source: str, organisation: str | None = None, dry_run: bool = False,
    now: datetime | None = None, kind: str | None = None,
) -> Report:  # fmt: skip
    """Import a CSV or iCalendar file's bytes (kind "csv"/"ics", else guessed). Commits."""
    now = now or utcnow()
    report = Report(source=source[:SOURCE_LENGTH], dry_run=dry_run)
    if not data.strip():
        report.error = (N_("The file is empty."), {})
        return report
    if len(data) > current_app.config["IMPORT_MAX_BYTES"]:
        size = f"{current_app.config['IMPORT_MAX_BYTES'] / 1_000_000:g}"
        report.error = (N_("The file is larger than {size} MB."), {"size": size})
        return report
    zone = local_zone()
    try:
        if kind == "ics" or (kind is None and looks_like_ics(data)):
            parsed = parse_ics(data, zone, now, current_app.config["IMPORT_EXPAND_DAYS"])
        else:
            parsed = parse_csv(data, zone, now)
    except FormatError as error:
        report.error = (error.msgid, error.values)
        return report
    report.skipped.extend(parsed.notes)
    report.past = parsed.past
    _apply_rows(parsed.rows, report, organisation, now)
    return report


def import_rows(
    rows: list[Row], source: str, organisation: str | None = None, dry_run: bool = False,
    now: datetime | None = None,
) -> Report:  # fmt: skip
    """Import rows read elsewhere (the JSON API's bulk upsert) exactly as a file's rows
    are imported: the same matching by (source, external_id), the same report. Rows
    already over are counted in `past`, as a file's are. Commits."""
    now = now or utcnow()
    report = Report(source=source[:SOURCE_LENGTH], dry_run=dry_run)
    zone = local_zone()
    current = [row for row in rows if not _is_over(row, now, zone)]
    report.past = len(rows) - len(current)
    _apply_rows(current, report, organisation, now)
    return report


def _apply_rows(rows: list[Row], report: Report, organisation: str | None, now) -> None:
    savepoint = db.session.begin_nested()
    seen = set()
    for row in rows:
        seen.add(row.external_id)
        _apply(row, report, (organisation or "").strip() or None, now)
    _find_gone(report, seen, now)
    if report.dry_run:
        savepoint.rollback()
        for entry in report.created:
            entry.activity_id = None
    else:
        savepoint.commit()
        db.session.commit()


def import_url(url: str, organisation: str | None = None, dry_run: bool = False) -> Report:
    """Fetch a calendar or CSV file from a URL and import it (see `import_data`)."""
    url = normalise_url(url)
    try:
        data = fetch(url)
    except FetchError as error:
        report = Report(source=url[:SOURCE_LENGTH], dry_run=dry_run)
        report.error = (error.msgid, error.values)
        return report
    return import_data(data, url, organisation, dry_run)


def file_source(filename: str) -> str:
    """The source an uploaded file's activities belong to: its name, without a folder."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload"
    return f"file:{name}"


def _apply(row: Row, report: Report, default_org: str | None, now: datetime) -> None:
    org_name = row.organisation or default_org
    if not org_name:
        report.skipped.append(
            Note(row.where, N_("No organisation: choose one on the import page, or add an "
                               "organisation column."))
        )  # fmt: skip
        return
    try:
        with db.session.begin_nested():
            organisation = activities.organisation_named(org_name)
            existing = db.session.scalar(
                sa.select(Activity).where(
                    Activity.source == report.source, Activity.external_id == row.external_id
                )
            )
            if existing is None:
                activity = activities.create_activity(
                    organisation, source=report.source, external_id=row.external_id, **row.fields
                )
                _skip_dates(activity, row, now)
                _translate(activity, row)
                report.created.append(Entry(row.where, activity.title, activity.id))
                return
            entry = Entry(row.where, existing.title, existing.id)
            if existing.cancelled:
                report.skipped.append(
                    Note(row.where, N_("Cancelled here earlier, so it was left as it is."))
                )
                return
            changes = {k: v for k, v in row.fields.items() if getattr(existing, k) != v}
            if existing.organisation_id != organisation.id:
                changes["organisation"] = organisation
            if changes:
                report.told += activities.update_activity(existing, now=now, **changes)
            report.told += _skip_dates(existing, row, now)
            translated = _translate(existing, row)
            (report.updated if changes or translated else report.unchanged).append(entry)
    except SQLAlchemyError:
        report.skipped.append(Note(row.where, N_("This row could not be saved.")))


def _translate(activity: Activity, row: Row) -> bool:
    """Keep the row's titles and descriptions in enabled languages (title_pl …); a
    translation the file does not have is left as staff wrote it. True if any changed."""
    changed = False
    for code in activity_translations.translatable_languages():
        texts = row.translations.get(code)
        if not texts:
            continue
        found = activity_translations.translation(activity, code)
        if found is None or (found.title, found.description) != (
            texts["title"], texts.get("description")
        ):
            activity_translations.set_translation(activity, code, texts["title"],
                                                  texts.get("description"))  # fmt: skip
            changed = True
    return changed


def _skip_dates(activity: Activity, row: Row, now: datetime) -> int:
    """Dates a weekly series does not take place: their occurrences are cancelled."""
    told = 0
    zone = local_zone()
    local_start = activity.starts_at.astimezone(zone)
    for day in sorted(row.skip_dates):
        start = datetime.combine(day, local_start.timetz().replace(tzinfo=None), zone)
        if start <= now:
            continue
        occurrence = db.session.scalar(
            sa.select(Occurrence).where(
                Occurrence.activity_id == activity.id, Occurrence.starts_at == start
            )
        )
        if occurrence is None:
            # Made now, already cancelled, so the daily refresh never creates that date.
            duration = timedelta(minutes=activity.duration_minutes)
            db.session.add(
                Occurrence(activity_id=activity.id, starts_at=start, ends_at=start + duration,
                           capacity=activity.capacity, cancelled=True)
            )  # fmt: skip
            db.session.flush()
        elif not occurrence.cancelled:
            told_now = activities.cancel_occurrence(occurrence)
            if not told_now:  # nobody was on it: its code is free for others
                occurrence.code = None
            told += told_now
    return told


def _find_gone(report: Report, seen: set[str], now: datetime) -> None:
    upcoming = (
        sa.select(Occurrence.id)
        .where(
            Occurrence.activity_id == Activity.id, Occurrence.starts_at > now, ~Occurrence.cancelled
        )
        .exists()
    )
    for activity in db.session.scalars(
        sa.select(Activity)
        .where(Activity.source == report.source, ~Activity.cancelled, upcoming)
        .order_by(Activity.starts_at)
    ):
        if activity.external_id not in seen:
            report.gone.append(Entry("", activity.title, activity.id))
