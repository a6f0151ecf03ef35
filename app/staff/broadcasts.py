"""Broadcast pages for coordinators: write, preview per language, send, watch it arrive.

A broadcast is written once, previewed as each recipient language will get it (with
its SMS segments and encoding), optionally given the coordinator's own translations,
then sent by a job (`app.jobs.broadcasts`). The progress bar polls a JSON endpoint.
"""

import logging

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.extensions import db
from app.models import Broadcast
from app.services import audit
from app.services import broadcasts as service
from app.services.broadcasts import BroadcastError
from app.services.task_planning import quiet_until
from app.staff import bp
from app.staff.auth import role_required
from app.staff.forms import EmptyForm
from app.staff.language import _
from app.staff.task_forms import BroadcastForm, BroadcastTextForm
from app.staff.tasks import label, local
from app.timeutil import utcnow

log = logging.getLogger(__name__)
ROLE = "coordinator"
# Buckets of the progress bar, in the order they are listed.
SHOWN = ("queued", "sent", "delivered", "failed", "held", "expired", "blocked", "simulated")


def _broadcast(broadcast_id: int) -> Broadcast:
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None:
        abort(404)
    return broadcast


def _error(error: BroadcastError) -> str:
    return _(error.msgid, **error.values)


def audience_text(broadcast: Broadcast) -> str:
    """Who a broadcast goes to, in the page's language."""
    chosen = broadcast.audience_filter or {}
    if broadcast.audience == Broadcast.ACTIVITY:
        occurrence = service.occurrence_of(broadcast)
        what = f"{occurrence.activity.title}, {local(occurrence.starts_at)}" if occurrence else "–"
        if chosen.get("waiting"):
            return _("Signed up to {activity}, and its waiting list", activity=what)
        return _("Signed up to {activity}", activity=what)
    tags = ", ".join(chosen.get("tags") or [])
    area = chosen.get("area")
    if tags and area:
        return _("Volunteers with the tags {tags} in {area}", tags=tags, area=area)
    if tags:
        return _("Volunteers with the tags {tags}", tags=tags)
    if area:
        return _("Volunteers in {area}", area=area)
    return _("All active volunteers")


@bp.context_processor
def _broadcast_helpers() -> dict:
    return {"audience_text": audience_text}


@bp.route("/broadcasts")
@role_required(ROLE)
def broadcasts():
    return render_template("staff/broadcasts/list.html", broadcasts=service.listing())


@bp.route("/broadcasts/new", methods=["GET", "POST"])
@role_required(ROLE)
def broadcast_new():
    form = BroadcastForm()
    occurrences = service.occurrence_choices(utcnow())
    form.occurrence.choices = [SelectChoice(0, _("Choose an activity"))] + [
        SelectChoice(o.id, f"{o.activity.title}, {local(o.starts_at)}") for o in occurrences
    ]
    problem = None
    if form.validate_on_submit():
        try:
            broadcast = service.create_draft(
                current_user,
                body=form.body.data,
                audience=form.audience.data,
                tags=form.tags.data,
                area=form.area.data,
                occurrence_id=form.occurrence.data or None,
                waiting=form.waiting.data,
            )
        except BroadcastError as error:
            db.session.rollback()
            problem = _error(error)
        else:
            db.session.commit()
            return redirect(url_for("staff.broadcast", broadcast_id=broadcast.id))
    status = 400 if request.method == "POST" else 200
    return render_template("staff/broadcasts/new.html", form=form, problem=problem), status


@bp.route("/broadcasts/<int:broadcast_id>")
@role_required(ROLE)
def broadcast(broadcast_id: int):
    broadcast = _broadcast(broadcast_id)
    return _show(broadcast, BroadcastTextForm(body=broadcast.body))


def _show(broadcast: Broadcast, form: BroadcastTextForm, problem: str | None = None, status=200):
    shown = service.preview(broadcast) if broadcast.status == Broadcast.DRAFT else []
    now = utcnow()
    waits_until = quiet_until(now)
    if broadcast.status == Broadcast.SENDING and broadcast.send_at and broadcast.send_at > now:
        waits_until = broadcast.send_at
    return (
        render_template(
            "staff/broadcasts/show.html", broadcast=broadcast, preview=shown, form=form,
            problem=problem, send_form=EmptyForm(), progress=_progress(broadcast),
            waits_until=waits_until, recipients=sum(p.recipients for p in shown),
            warn_segments=current_app.config["BROADCAST_WARN_SEGMENTS"],
        ),
        status,
    )  # fmt: skip


@bp.post("/broadcasts/<int:broadcast_id>/text")
@role_required(ROLE)
def broadcast_text(broadcast_id: int):
    """Change a draft's text and translations, then show the preview again."""
    broadcast = _broadcast(broadcast_id)
    form = BroadcastTextForm()
    if not form.validate_on_submit():
        return _show(broadcast, form, status=400)
    translations = {
        key.removeprefix("text_"): value
        for key, value in request.form.items()
        if key.startswith("text_") and len(key) <= 13
    }
    try:
        service.update_draft(broadcast, form.body.data, translations)
    except BroadcastError as error:
        db.session.rollback()
        return _show(_broadcast(broadcast_id), form, _error(error), 400)
    db.session.commit()
    flash(_("The preview is updated."), "success")
    return redirect(url_for("staff.broadcast", broadcast_id=broadcast.id))


@bp.post("/broadcasts/<int:broadcast_id>/send")
@role_required(ROLE)
def broadcast_send(broadcast_id: int):
    """Send a draft: the job writes one message per recipient (after the quiet hours)."""
    from app.jobs.broadcasts import enqueue_broadcast

    broadcast = _broadcast(broadcast_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    now = utcnow()
    if not service.request_send(broadcast, now):
        flash(_("This message has been sent already."), "info")
        return redirect(url_for("staff.broadcast", broadcast_id=broadcast.id))
    count = len(service.recipients(broadcast))
    audit.record(current_user, "broadcast.send", obj=broadcast, detail=f"{count} recipients")
    db.session.commit()
    try:
        enqueue_broadcast(broadcast.id)
    except Exception as error:  # noqa: BLE001 - the scheduler sends due broadcasts anyway
        log.warning("broadcasts: %s left to the scheduler (%s)", broadcast.id, type(error).__name__)
    morning = quiet_until(now)
    if morning is not None:
        flash(_("It is quiet hours now: the messages wait until {time}.", time=local(morning)),
              "info")  # fmt: skip
    else:
        flash(_("The message is on its way to {n} people.", n=count), "success")
    return redirect(url_for("staff.broadcast", broadcast_id=broadcast.id))


def _progress(broadcast: Broadcast) -> dict:
    found = service.progress(broadcast)
    counts = found["counts"]
    found["shown"] = [
        {"key": key, "label": label(key), "count": counts.get(key, 0)}
        for key in SHOWN
        if key in ("queued", "sent", "delivered", "failed") or counts.get(key)
    ]
    text = _(
        "{delivered} of {total} delivered", delivered=counts.get("delivered", 0),
        total=found["total"],
    )  # fmt: skip
    if counts.get("failed"):
        text += ", " + _("{n} failed", n=counts["failed"])
    found["text"] = text
    found["status_text"] = label(broadcast.status)
    return found


@bp.route("/broadcasts/<int:broadcast_id>/progress.json")
@role_required(ROLE)
def broadcast_progress(broadcast_id: int):
    """Counts of the broadcast's messages by status, for the progress bar."""
    return jsonify(_progress(_broadcast(broadcast_id)))
