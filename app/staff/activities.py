"""Activities, for coordinators: list, create, edit, see sign-ups, cancel, import."""

import base64
import binascii
from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app import i18n, languages
from app.extensions import db
from app.models import Activity, Occurrence
from app.services import activities, activity_import, activity_lists, activity_translations, audit
from app.services.people import masked
from app.staff import bp
from app.staff.activity_forms import ActivityForm, ImportForm, activity_form
from app.staff.auth import role_required
from app.staff.forms import EmptyForm
from app.staff.language import _, ui_language
from app.timeutil import local_zone, utcnow

# Form fields stored on the activity as they are.
_PLAIN = ("title", "description", "place", "address", "directions", "cost", "contact",
          "duration_minutes", "capacity", "repeat_weekly")  # fmt: skip


def _activity(activity_id: int) -> Activity:
    return db.session.get(Activity, activity_id) or abort(404)


def _fields(form: ActivityForm) -> dict:
    fields = {name: getattr(form, name).data for name in _PLAIN}
    for name in ("description", "address", "directions", "cost", "contact"):
        fields[name] = (fields[name] or "").strip() or None
    fields["starts_at"] = datetime.combine(form.date.data, form.time.data, local_zone())
    fields["repeat_until"] = form.repeat_until.data if form.repeat_weekly.data else None
    fields["organisation"] = activities.organisation_named(form.organisation.data)
    return fields


def _translated_form(**kwargs) -> ActivityForm:
    """The activity form with a title and description for each language residents read."""
    return activity_form(activity_translations.translatable_languages())(**kwargs)


def _translations(form: ActivityForm) -> list[tuple[str, object]]:
    """(language, its subform) for the form's translation fields, in menu order."""
    return [(code, getattr(form, f"translation_{code}"))
            for code in activity_translations.translatable_languages()]  # fmt: skip


def _translation_rows(form: ActivityForm) -> list[dict]:
    """What the form page shows per language: its name in itself, and its direction."""
    return [{"code": code, "form": sub, "name": i18n.language_name(code),
             "dir": "rtl" if languages.is_rtl(code) else "ltr"}
            for code, sub in _translations(form)]  # fmt: skip


def _fill_translations(form: ActivityForm, activity: Activity) -> None:
    for code, sub in _translations(form):
        found = activity_translations.translation(activity, code)
        if found is not None:
            sub.form.title.data, sub.form.description.data = found.title, found.description


def _save_translations(form: ActivityForm, activity: Activity) -> None:
    """Keep what staff wrote per language; a language left empty has no translation."""
    for code, sub in _translations(form):
        title = (sub.form.title.data or "").strip()
        if title:
            activity_translations.set_translation(activity, code, title,
                                                  sub.form.description.data)  # fmt: skip
        else:
            activity_translations.remove_translation(activity, code)


def when(moment: datetime | None) -> str:
    """A stored time as staff read it: local day and clock, in the page's language."""
    if moment is None:
        return "–"
    language, zone = ui_language(), local_zone()
    return f"{i18n.format_day(moment, language, zone)} {i18n.format_clock(moment, language, zone)}"


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    # Uploads are read (for the CSRF check) before any view runs, so the limit is the
    # app's MAX_CONTENT_LENGTH; say so kindly rather than with the bare 413 page.
    message = _("The file is too large. Save a shorter period, or import from its address.")
    return render_template("staff/error.html", title=_("Too large"), message=message), 413


@bp.context_processor
def _activity_helpers() -> dict:
    return {"when": when, "masked_phone": masked}


@bp.route("/activities", endpoint="activities")
@role_required("coordinator")
def activities_list():
    search = request.args.get("q", "").strip()
    organisation_id = request.args.get("organisation", type=int)
    rows = activity_lists.overview(utcnow(), search, organisation_id)
    return render_template(
        "staff/activities/list.html", rows=rows, search=search,
        organisation_id=organisation_id, organisations=activity_lists.organisations(),
    )  # fmt: skip


@bp.route("/activities/new", methods=["GET", "POST"])
@role_required("coordinator")
def activity_new():
    form = _translated_form()
    if form.validate_on_submit():
        fields = _fields(form)
        activity = activities.create_activity(fields.pop("organisation"), **fields)
        _save_translations(form, activity)
        audit.record(current_user, "create_activity", obj=activity, detail=activity.title)
        db.session.commit()
        flash(_("{title} is created.", title=activity.title), "success")
        return redirect(url_for("staff.activity", activity_id=activity.id))
    return render_template(
        "staff/activities/form.html", form=form, activity=None,
        organisations=activity_lists.organisations(), translations=_translation_rows(form),
    )  # fmt: skip


@bp.route("/activities/<int:activity_id>")
@role_required("coordinator")
def activity(activity_id: int):
    found = _activity(activity_id)
    dates = activity_lists.dates_of(found, utcnow())
    # The page shows who signed up: names and numbers of residents.
    audit.record(current_user, "view_activity_signups", obj=found)
    db.session.commit()
    return render_template("staff/activities/detail.html", activity=found, dates=dates,
                           form=EmptyForm(), now=utcnow())  # fmt: skip


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def activity_edit(activity_id: int):
    found = _activity(activity_id)
    form = _translated_form(obj=found)
    if request.method == "GET":
        local = found.starts_at.astimezone(local_zone())
        form.date.data, form.time.data = local.date(), local.time()
        form.organisation.data = found.organisation.name
        _fill_translations(form, found)
    if form.validate_on_submit():
        told = activities.update_activity(found, **_fields(form))
        _save_translations(form, found)
        audit.record(current_user, "edit_activity", obj=found, detail=found.title)
        db.session.commit()
        flash(_("Saved."), "success")
        if told:
            flash(_("{n} people get an SMS about the new time or place.", n=told), "success")
        return redirect(url_for("staff.activity", activity_id=found.id))
    return render_template(
        "staff/activities/form.html", form=form, activity=found,
        organisations=activity_lists.organisations(), translations=_translation_rows(form),
    )  # fmt: skip


@bp.route("/activities/<int:activity_id>/cancel", methods=["GET", "POST"])
@role_required("coordinator")
def activity_cancel(activity_id: int):
    found = _activity(activity_id)
    form = EmptyForm()
    if found.cancelled:
        flash(_("This activity is already cancelled."), "info")
        return redirect(url_for("staff.activity", activity_id=found.id))
    if form.validate_on_submit():
        told = activities.cancel_activity(found)
        audit.record(current_user, "cancel_activity", obj=found, detail=f"{told} told")
        db.session.commit()
        flash(_("{title} is cancelled. {n} people get an SMS.", title=found.title, n=told),
              "success")  # fmt: skip
        return redirect(url_for("staff.activity", activity_id=found.id))
    future = activities.future_occurrences(found)
    return render_template(
        "staff/activities/cancel.html", form=form, activity=found, occurrence=None,
        dates=len(future), told=activities.people_to_tell(future),
    )  # fmt: skip


@bp.route("/occurrences/<int:occurrence_id>/cancel", methods=["GET", "POST"])
@role_required("coordinator")
def occurrence_cancel(occurrence_id: int):
    occurrence = db.session.get(Occurrence, occurrence_id) or abort(404)
    back = url_for("staff.activity", activity_id=occurrence.activity_id)
    form = EmptyForm()
    if occurrence.cancelled or occurrence.starts_at <= utcnow():
        flash(_("This date is already cancelled or has started."), "info")
        return redirect(back)
    if form.validate_on_submit():
        told = activities.cancel_occurrence(occurrence)
        audit.record(current_user, "cancel_occurrence", obj=occurrence, detail=f"{told} told")
        db.session.commit()
        flash(_("The date is cancelled. {n} people get an SMS.", n=told), "success")
        return redirect(back)
    return render_template(
        "staff/activities/cancel.html", form=form, activity=occurrence.activity,
        occurrence=occurrence, dates=1, told=activities.people_to_tell([occurrence]),
    )  # fmt: skip


@bp.route("/activities/import", methods=["GET", "POST"], endpoint="activity_import")
@role_required("coordinator")
def activity_import_page():
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        report = _run_import(form)
        if report is not None:
            audit.record(current_user, "import_activities", detail=_summary(report))
            db.session.commit()
    return render_template("staff/activities/import.html", form=form, report=report,
                           organisations=activity_lists.organisations())  # fmt: skip


def _run_import(form: ImportForm):
    """Preview first (a dry run), then import for real when the preview is confirmed."""
    dry_run = form.confirm.data != "yes"
    organisation = form.organisation.data
    upload = form.file.data
    if upload and getattr(upload, "filename", ""):
        data, name = upload.read(), upload.filename
    elif form.content.data and form.filename.data:
        try:
            data, name = base64.b64decode(form.content.data, validate=True), form.filename.data
        except (binascii.Error, ValueError):
            form.file.errors = [_("Choose the file again.")]
            return None
    elif form.url.data:
        return activity_import.import_url(form.url.data, organisation, dry_run)
    else:
        form.file.errors = [_("Choose a file or enter an address.")]
        return None
    form.content.data = base64.b64encode(data).decode()
    form.filename.data = name
    kind = "ics" if name.lower().endswith((".ics", ".ical", ".ifb")) else None
    source = activity_import.file_source(name)
    return activity_import.import_data(data, source, organisation, dry_run, kind=kind)


def _summary(report) -> str:
    return (f"{report.source}: {'preview' if report.dry_run else 'import'}, "
            f"{len(report.created)} new, {len(report.updated)} changed, "
            f"{len(report.skipped)} skipped")  # fmt: skip
