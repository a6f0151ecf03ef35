"""Your own profile: name, phone number for the call button, language of the pages."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from app.extensions import db
from app.i18n import N_
from app.services.people import normalise_phone
from app.staff import bp
from app.staff.auth import role_required
from app.staff.forms import ProfileForm
from app.staff.language import _


@bp.route("/profile", methods=["GET", "POST"])
@role_required("staff")
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        phone = normalise_phone(form.phone.data) if form.phone.data else None
        if form.phone.data and phone is None:
            form.phone.errors.append(N_("Enter a phone number, for example +47 912 34 567."))
        else:
            current_user.name = form.name.data.strip()
            current_user.phone = phone
            current_user.language = form.language.data
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("staff.profile"))
    return render_template("staff/profile.html", form=form)
