"""People, for coordinators: find one person by number, see what we hold, export it, delete it.

There is no list of everyone on purpose: staff look a person up when that person asks
(or needs help). The number is posted, never put in the address, so it stays out of
access logs. Opening a person, downloading their data and deleting it are each written
to the audit log.
"""

import json

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app import i18n
from app.extensions import db
from app.i18n import N_
from app.models import Deletion, Person
from app.services import audit, privacy
from app.services.people import masked
from app.services.privacy_export import holdings
from app.staff import bp
from app.staff.auth import role_required
from app.staff.forms import EmptyForm
from app.staff.language import _
from app.timeutil import utcnow

# The counts a deletion keeps (`Deletion.counts`), as the page names them.
COUNT_LABELS = {
    "messages": N_("Text messages"),
    "signups": N_("Sign-ups"),
    "task_offers": N_("Task requests"),
    "calls": N_("Phone calls"),
    "callbacks": N_("Callback requests"),
    "recordings": N_("Recorded messages"),
}
REQUESTED_BY = {
    "resident": N_("the person, by text message"),
    "staff": N_("a staff member"),
    "api": N_("a connected platform (API)"),
}


class SearchForm(FlaskForm):
    phone = StringField(
        N_("Phone number"),
        validators=[DataRequired(N_("Enter a phone number.")), Length(max=40)],
    )


class DeleteForm(FlaskForm):
    reason = TextAreaField(
        N_("Why, and who asked"),
        validators=[DataRequired(N_("Say why the data is deleted.")), Length(max=300)],
    )
    confirm = BooleanField(
        N_("I understand that this cannot be undone."),
        validators=[DataRequired(N_("Tick the box to confirm."))],
    )


def _person(person_id: int) -> Person:
    return db.session.get(Person, person_id) or abort(404)


@bp.route("/people", methods=["GET", "POST"], endpoint="people")
@role_required("coordinator")
def people_search():
    form = SearchForm()
    not_found = False
    if form.validate_on_submit():
        found = privacy.find_person(form.phone.data)
        if found is not None:
            return redirect(url_for("staff.people_person", person_id=found.id))
        not_found = True
    return render_template("staff/people/search.html", form=form, not_found=not_found)


@bp.route("/people/<int:person_id>", endpoint="people_person")
@role_required("coordinator")
def person(person_id: int):
    found = _person(person_id)
    held = holdings(found)
    audit.record(current_user, "view_person", person=found, obj=found)
    db.session.commit()
    deletion = privacy.deletion_of(found)
    return render_template(
        "staff/people/detail.html", person=found, number=masked(found.phone), held=held,
        cancels=privacy.what_deletion_cancels(found, utcnow()), deletion=deletion,
        requested_by=_requested_by(deletion), count_labels=COUNT_LABELS, form=EmptyForm(),
        language_name=i18n.language_name,
    )  # fmt: skip


@bp.post("/people/<int:person_id>/export", endpoint="people_export")
@role_required("coordinator")
def person_export(person_id: int):
    found = _person(person_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    data = privacy.export_person(found)
    audit.record(current_user, "export_person", person=found, obj=found)
    db.session.commit()
    body = json.dumps(data, ensure_ascii=False, indent=2)
    name = f"samtale-person-{found.id}-{utcnow():%Y%m%d}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "Cache-Control": "no-store"},
    )  # fmt: skip


@bp.route("/people/<int:person_id>/delete", methods=["GET", "POST"], endpoint="people_delete")
@role_required("coordinator")
def person_delete(person_id: int):
    found = _person(person_id)
    if found.deleted_at is not None:
        flash(_("This person's data has already been deleted."), "info")
        return redirect(url_for("staff.people_person", person_id=found.id))
    form = DeleteForm()
    if form.validate_on_submit():
        result = privacy.delete_person(found, by=f"staff:{current_user.id}")
        audit.record(current_user, "delete_person", person=found, obj=found,
                     detail=form.reason.data.strip())  # fmt: skip
        db.session.commit()
        flash(_("The data is deleted. {n} sign-ups and task places were cancelled.",
                n=len(result.cancelled)), "success")  # fmt: skip
        return redirect(url_for("staff.people_person", person_id=found.id))
    cancels = privacy.what_deletion_cancels(found, utcnow())
    # The confirmation names what will be cancelled: that, too, is a look at their data.
    audit.record(current_user, "view_person", person=found, obj=found, detail="delete page")
    db.session.commit()
    return render_template("staff/people/delete.html", person=found, number=masked(found.phone),
                           cancels=cancels, form=form)  # fmt: skip


def _requested_by(deletion: Deletion | None) -> str | None:
    if deletion is None:
        return None
    kind = deletion.requested_by.partition(":")[0]
    return _(REQUESTED_BY.get(kind, kind))
