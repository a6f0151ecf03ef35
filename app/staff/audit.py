"""The audit log, for admins: who opened or changed whose data, newest first, with filters.

Reading it is not itself logged: it shows staff names, actions and person ids, never a
person's number or messages, and opening a person from here is logged like any other.
"""

from datetime import date, datetime, time, timedelta

from flask import render_template, request, url_for

from app.services import audit_log
from app.staff import bp
from app.staff.auth import role_required
from app.timeutil import local_zone


def _int(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return None


def _start_of(day: date | None) -> datetime | None:
    """Local midnight at the start of `day`, as an instant."""
    return datetime.combine(day, time.min, local_zone()) if day else None


@bp.route("/audit", endpoint="audit_log")
@role_required("admin")
def audit_page():
    since, until = _day("from"), _day("to")
    filters = audit_log.Filters(
        staff_id=_int("staff"),
        person_id=_int("person"),
        action=request.args.get("action", "").strip() or None,
        since=_start_of(since),
        # The "to" day is included: entries before the next local midnight.
        until=_start_of(until + timedelta(days=1)) if until else None,
    )
    page = audit_log.entries(filters, _int("page") or 1)
    staff = audit_log.staff_members()
    names = {member.id: member.name for member in staff}
    chosen = {k: v for k, v in request.args.items() if k != "page" and v}

    def page_url(number: int) -> str:
        return url_for("staff.audit_log", **chosen, page=number)

    return render_template(
        "staff/audit.html", page=page, staff=staff, names=names, actions=audit_log.actions(),
        args=request.args, since=since, until=until, page_url=page_url,
    )  # fmt: skip
