"""Volunteers, for coordinators: list and filter, approve, register, edit, pause, deactivate."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import i18n
from app.extensions import db
from app.i18n import N_
from app.models import Volunteer
from app.services import audit, volunteers
from app.services.people import masked, normalise_phone
from app.staff import bp
from app.staff.activity_forms import VolunteerEditForm, VolunteerForm
from app.staff.auth import role_required
from app.staff.forms import EmptyForm
from app.staff.language import _
from app.timeutil import utcnow

STATUS_LABELS = {
    "pending": N_("Waiting for approval"),
    "active": N_("Active"),
    "paused": N_("Paused"),
    "inactive": N_("Inactive"),
}


def _volunteer(volunteer_id: int) -> Volunteer:
    return db.session.get(Volunteer, volunteer_id) or abort(404)


def _languages(form) -> None:
    form.language.choices = [
        SelectChoice(code, i18n.language_name(code)) for code in current_app.config["LANGUAGES"]
    ]


@bp.context_processor
def _volunteer_helpers() -> dict:
    return {"volunteer_status": volunteers.status_of, "status_label": STATUS_LABELS}


@bp.route("/volunteers", endpoint="volunteers")
@role_required("coordinator")
def volunteer_list():
    status = request.args.get("status") or None
    tag = request.args.get("tag", "").strip() or None
    return render_template(
        "staff/volunteers/list.html", found=volunteers.listing(status, tag), status=status,
        tag=tag, tags=volunteers.all_tags(), statuses=volunteers.LIST_STATUSES, form=EmptyForm(),
    )  # fmt: skip


@bp.route("/volunteers/new", methods=["GET", "POST"])
@role_required("coordinator")
def volunteer_new():
    form = VolunteerForm()
    _languages(form)
    if form.validate_on_submit():
        phone = normalise_phone(form.phone.data)
        if phone is None:
            form.phone.errors.append(N_("Enter a phone number, for example +47 912 34 567."))
        else:
            found = volunteers.register(
                phone, name=form.name.data, language=form.language.data, tags=form.tags.data,
                area=form.area.data.strip() or None, note=form.note.data.strip() or None,
            )  # fmt: skip
            audit.record(current_user, "register_volunteer", person=found.person, obj=found)
            db.session.commit()
            flash(_("{name} is registered as a volunteer.", name=found.person.name), "success")
            return redirect(url_for("staff.volunteer", volunteer_id=found.id))
    return render_template("staff/volunteers/form.html", form=form, volunteer=None)


@bp.route("/volunteers/<int:volunteer_id>")
@role_required("coordinator")
def volunteer(volunteer_id: int):
    found = _volunteer(volunteer_id)
    audit.record(current_user, "view_volunteer", person=found.person, obj=found)
    db.session.commit()
    return render_template("staff/volunteers/detail.html", volunteer=found, form=EmptyForm(),
                           language_name=i18n.language_name)  # fmt: skip


@bp.route("/volunteers/<int:volunteer_id>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def volunteer_edit(volunteer_id: int):
    found = _volunteer(volunteer_id)
    form = VolunteerEditForm()
    _languages(form)
    if request.method == "GET":
        form.name.data, form.language.data = found.person.name, found.person.language
        form.tags.data, form.area.data = ", ".join(found.tags or []), found.area
        form.note.data = found.note
    if form.validate_on_submit():
        volunteers.update_details(
            found, name=form.name.data, language=form.language.data, tags=form.tags.data,
            area=(form.area.data or "").strip(), note=(form.note.data or "").strip(),
        )  # fmt: skip
        audit.record(current_user, "edit_volunteer", person=found.person, obj=found)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("staff.volunteer", volunteer_id=found.id))
    return render_template("staff/volunteers/form.html", form=form, volunteer=found)


# What each button does, and what the flash message says afterwards.
_ACTIONS = {
    "approve": (volunteers.approve, N_("{name} is approved and may be asked.")),
    "pause": (lambda v: volunteers.pause(v, utcnow()), N_("{name} is paused: no requests.")),
    "resume": (volunteers.resume, N_("{name} may be asked again.")),
    "deactivate": (volunteers.deactivate, N_("{name} is no longer a volunteer.")),
}


@bp.post("/volunteers/<int:volunteer_id>/<any(approve, pause, resume, deactivate):action>")
@role_required("coordinator")
def volunteer_action(volunteer_id: int, action: str):
    found = _volunteer(volunteer_id)
    if EmptyForm().validate_on_submit():
        change, message = _ACTIONS[action]
        change(found)
        audit.record(current_user, f"{action}_volunteer", person=found.person, obj=found)
        db.session.commit()
        flash(_(message, name=found.person.name or masked(found.person.phone)), "success")
    # Buttons on the list come back to the list; the rest to the volunteer's page.
    if request.form.get("back") == "list":
        return redirect(url_for("staff.volunteers"))
    return redirect(url_for("staff.volunteer", volunteer_id=found.id))
