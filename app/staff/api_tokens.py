"""API tokens, for admins: list, create (the token is shown once), webhook, revoke.

The plaintext token and a new webhook secret are rendered straight into the answer to
the form that made them (never into a flash message or the session) and the page is
marked not to be stored, so they cannot be seen again from the browser's history.
"""

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.extensions import db
from app.i18n import N_
from app.models import ApiToken, Organisation, WebhookDelivery
from app.services import api_tokens, audit
from app.services.api_tokens import TokenError
from app.staff import bp
from app.staff.auth import role_required
from app.staff.forms import EmptyForm
from app.staff.language import _

SCOPE_LABELS = {
    "read": N_("Read activities, sign-ups, tasks, volunteers, callbacks and broadcasts"),
    "activities": N_("Create, change and cancel activities (also the nightly sync)"),
    "volunteers": N_("Register and change volunteers"),
    "tasks": N_("Create tasks, choose volunteers and send requests"),
    "callbacks": N_("Take and close callback requests"),
    "broadcasts": N_("Write and send broadcasts"),
    "people": N_("Export and delete a person's data"),
}
EVENT_LABELS = {
    "signup.created": N_("Someone signs up for an activity"),
    "task.filled": N_("A task has all the volunteers it needs"),
    "callback.requested": N_("Someone asks to be called back"),
}
RECENT_DELIVERIES = 20


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WebhookForm(FlaskForm):
    webhook_url = StringField(N_("Webhook address"), validators=[Optional(), Length(max=500)])
    events = _Checkboxes(N_("Events"), choices=[SelectChoice(e, e) for e in api_tokens.EVENTS])


class TokenForm(WebhookForm):
    name = StringField(N_("Name"), validators=[DataRequired(N_("Enter a name.")), Length(max=80)])
    scopes = _Checkboxes(N_("Scopes"), choices=[SelectChoice(s, s) for s in api_tokens.SCOPES])
    organisation = SelectField(N_("Organisation"), coerce=int, default=0)


def _token(token_id: int) -> ApiToken:
    return api_tokens.get(token_id) or abort(404)


def _once(template: str, **context):
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


def _show_error(form: FlaskForm, error: TokenError) -> None:
    field = {"scopes": "scopes", "events": "events", "webhook_url": "webhook_url"}.get(
        error.field or "", "name"
    )
    getattr(form, field).errors.append(_(error.msgid, **error.values))


@bp.context_processor
def _api_token_helpers() -> dict:
    return {"scope_labels": SCOPE_LABELS, "event_labels": EVENT_LABELS}


@bp.route("/api-tokens", endpoint="api_tokens")
@role_required("admin")
def api_token_list():
    return render_template(
        "staff/api_tokens/list.html", tokens=api_tokens.listing(), form=EmptyForm()
    )


@bp.route("/api-tokens/new", methods=["GET", "POST"])
@role_required("admin")
def api_token_new():
    form = TokenForm()
    organisations = db.session.scalars(sa.select(Organisation).order_by(Organisation.name))
    form.organisation.choices = [SelectChoice(0, _("All (the whole service)"))] + [
        SelectChoice(o.id, o.name) for o in organisations
    ]
    if form.validate_on_submit():
        organisation = db.session.get(Organisation, form.organisation.data or 0)
        try:
            made = api_tokens.create(
                form.name.data, form.scopes.data, created_by=current_user,
                organisation=organisation, webhook_url=form.webhook_url.data or None,
                webhook_events=form.events.data,
            )  # fmt: skip
        except TokenError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            secret = made.token.webhook_secret
            audit.record(current_user, "create_api_token", obj=made.token,
                         detail=",".join(made.token.scopes))  # fmt: skip
            db.session.commit()
            return _once("staff/api_tokens/created.html", token=made.token,
                         plaintext=made.plaintext, secret=secret)  # fmt: skip
    return render_template("staff/api_tokens/new.html", form=form)


@bp.route("/api-tokens/<int:token_id>")
@role_required("admin")
def api_token(token_id: int):
    token = _token(token_id)
    form = WebhookForm(webhook_url=token.webhook_url, events=token.webhook_events)
    return _detail(token, form)


def _detail(token: ApiToken, form: WebhookForm, status: int = 200):
    deliveries = db.session.scalars(
        sa.select(WebhookDelivery)
        .where(WebhookDelivery.token_id == token.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(RECENT_DELIVERIES)
    ).all()
    return render_template("staff/api_tokens/detail.html", token=token, form=form,
                           deliveries=deliveries, button=EmptyForm()), status  # fmt: skip


@bp.post("/api-tokens/<int:token_id>/webhook")
@role_required("admin")
def api_token_webhook(token_id: int):
    token = _token(token_id)
    form = WebhookForm()
    if not form.validate_on_submit() or token.revoked_at is not None:
        return _detail(token, form, 400)
    try:
        secret = api_tokens.set_webhook(token, form.webhook_url.data, form.events.data)
    except TokenError as error:
        db.session.rollback()
        _show_error(form, error)
        return _detail(_token(token_id), form, 400)
    audit.record(current_user, "api_token_webhook", obj=token, detail=token.webhook_url)
    db.session.commit()
    if secret:
        return _once("staff/api_tokens/created.html", token=token, plaintext=None, secret=secret)
    flash(_("Saved."), "success")
    return redirect(url_for("staff.api_token", token_id=token.id))


@bp.post("/api-tokens/<int:token_id>/secret")
@role_required("admin")
def api_token_secret(token_id: int):
    token = _token(token_id)
    if not EmptyForm().validate_on_submit() or token.revoked_at is not None:
        abort(400)
    secret = api_tokens.new_webhook_secret(token)
    audit.record(current_user, "api_token_new_secret", obj=token)
    db.session.commit()
    return _once("staff/api_tokens/created.html", token=token, plaintext=None, secret=secret)


@bp.post("/api-tokens/<int:token_id>/revoke")
@role_required("admin")
def api_token_revoke(token_id: int):
    token = _token(token_id)
    if EmptyForm().validate_on_submit() and api_tokens.revoke(token):
        audit.record(current_user, "revoke_api_token", obj=token)
        db.session.commit()
        flash(_("{name} no longer works.", name=token.name), "success")
    return redirect(url_for("staff.api_tokens"))
