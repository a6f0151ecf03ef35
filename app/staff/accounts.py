"""Staff accounts, for admins: list, create, deactivate, reset a password."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app.extensions import db
from app.i18n import N_
from app.models import StaffUser
from app.services import audit, staff_accounts
from app.services.people import normalise_phone
from app.services.staff_accounts import AccountError
from app.staff import bp
from app.staff.auth import role_required
from app.staff.forms import EmptyForm, NewAccountForm, PasswordForm
from app.staff.language import _


def _account(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/accounts")
@role_required("admin")
def accounts():
    return render_template(
        "staff/accounts.html", accounts=staff_accounts.all_accounts(), form=EmptyForm()
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@role_required("admin")
def account_new():
    form = NewAccountForm()
    if form.validate_on_submit():
        phone = normalise_phone(form.phone.data) if form.phone.data else None
        if form.phone.data and phone is None:
            form.phone.errors.append(N_("Enter a phone number, for example +47 912 34 567."))
        else:
            try:
                user = staff_accounts.create(
                    form.email.data, form.name.data, form.password.data,
                    form.role.data, phone, form.language.data,
                )  # fmt: skip
            except AccountError as error:
                getattr(form, error.field or "email").errors.append(str(error))
            else:
                audit.record(current_user, "create_staff_account", obj=user, detail=user.role)
                db.session.commit()
                flash(_("Account created for {name}.", name=user.name), "success")
                return redirect(url_for("staff.accounts"))
    return render_template("staff/accounts_new.html", form=form)


@bp.post("/accounts/<int:user_id>/deactivate")
@role_required("admin")
def account_deactivate(user_id: int):
    user = _account(user_id)
    if EmptyForm().validate_on_submit():
        try:
            staff_accounts.deactivate(user, by=current_user)
        except AccountError as error:
            flash(_(str(error)), "error")
        else:
            audit.record(current_user, "deactivate_staff_account", obj=user)
            db.session.commit()
            flash(_("{name} can no longer sign in.", name=user.name), "success")
    return redirect(url_for("staff.accounts"))


@bp.post("/accounts/<int:user_id>/reactivate")
@role_required("admin")
def account_reactivate(user_id: int):
    user = _account(user_id)
    if EmptyForm().validate_on_submit():
        staff_accounts.reactivate(user)
        audit.record(current_user, "reactivate_staff_account", obj=user)
        db.session.commit()
        flash(_("{name} can sign in again.", name=user.name), "success")
    return redirect(url_for("staff.accounts"))


@bp.route("/accounts/<int:user_id>/password", methods=["GET", "POST"])
@role_required("admin")
def account_password(user_id: int):
    user = _account(user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            staff_accounts.set_password(user, form.password.data)
        except AccountError as error:
            form.password.errors.append(str(error))
        else:
            audit.record(current_user, "reset_staff_password", obj=user)
            db.session.commit()
            flash(_("New password set for {name}.", name=user.name), "success")
            return redirect(url_for("staff.accounts"))
    return render_template("staff/accounts_password.html", form=form, user=user)
