"""PUT /activities: the bulk upsert a nightly sync sends, idempotent by external id.

It goes through the same import as CSV and calendar files (`activity_import.import_rows`),
so an activity is matched, created, changed or left alone exactly as a file import
would: sending the same list twice changes nothing the second time.
"""

from app.api import bp
from app.api.auth import bound_organisation
from app.api.errors import invalid
from app.api.schemas.activities import Upsert, UpsertEntry, UpsertResult, UpsertSkipped
from app.api.spec import operation
from app.extensions import db
from app.models import Organisation
from app.services import activity_import
from app.services.activity_formats import Row

TAG = "Activities"
# The fields an import compares and stores (as a file's rows have them).
FIELDS = (
    "title", "starts_at", "duration_minutes", "place", "address", "directions", "description",
    "cost", "contact", "capacity", "repeat_weekly", "repeat_until",
)  # fmt: skip


@bp.put("/activities")
@operation("activities", tag=TAG, ok={200: UpsertResult})
def upsert_activities(json: Upsert):
    """Create or update many activities by your own ids

    Each item carries your `external_id`; within one `source` that id is the same
    activity every time, so a nightly sync may send its whole list again and again:
    new ones are created, changed ones updated (people signed up are told when the
    time or place moves), the rest are left alone. Nothing is deleted: activities of
    the source that were not sent are listed in `gone`. `dry_run` reports without
    changing anything. The same rules as the staff pages' file import apply.
    """
    source, default_org = _source_and_organisation(json)
    seen, rows = set(), []
    for number, item in enumerate(json.activities):
        if item.external_id in seen:
            raise invalid(f"activities.{number}.external_id", "appears twice")
        seen.add(item.external_id)
        organisation = item.organisation or default_org
        if not organisation:
            raise invalid(f"activities.{number}.organisation",
                          "give the organisation here or for all items")  # fmt: skip
        if bound_organisation() is not None and organisation.lower() != default_org.lower():
            raise invalid(f"activities.{number}.organisation",
                          f"this token may only use {default_org}")  # fmt: skip
        fields = {name: getattr(item, name) for name in FIELDS}
        if not item.repeat_weekly:
            fields["repeat_until"] = None
        rows.append(Row(item.external_id, item.external_id, organisation, fields,
                        set(item.skip_dates) if item.repeat_weekly else set()))  # fmt: skip
    report = activity_import.import_rows(rows, source, default_org, dry_run=json.dry_run)
    db.session.commit()
    entries = [
        UpsertEntry(external_id=e.where, id=e.activity_id, result=result)
        for result, found in (
            ("created", report.created),
            ("updated", report.updated),
            ("unchanged", report.unchanged),
        )  # fmt: skip
        for e in found
    ]
    return UpsertResult(
        source=report.source, dry_run=report.dry_run, created=len(report.created),
        updated=len(report.updated), unchanged=len(report.unchanged), past=report.past,
        people_told=report.told, activities=entries,
        skipped=[UpsertSkipped(external_id=n.where, message=n.msgid.format(**n.values))
                 for n in report.skipped],
        gone=[e.activity_id for e in report.gone],
    )  # fmt: skip


def _source_and_organisation(json: Upsert) -> tuple[str, str | None]:
    """The source stored on the activities, and the organisation for items without one.

    A bound token's sources are its organisation's own, so two organisations that both
    call theirs "calendar" never update each other's activities.
    """
    bound = bound_organisation()
    if bound is None:
        return f"api:{json.source}", json.organisation
    name = db.session.get(Organisation, bound).name
    if json.organisation and json.organisation.lower() != name.lower():
        raise invalid("organisation", f"this token may only use {name}")
    return f"api:{bound}:{json.source}", name
