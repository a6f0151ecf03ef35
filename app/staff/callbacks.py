"""The callback queue: who is waiting, claim one, call them through Twilio, say how it went."""

from babel import Locale
from babel.dates import format_timedelta
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.extensions import db
from app.i18n import N_, babel_locale
from app.jobs.calls import enqueue_call
from app.models import CallbackRequest
from app.services import audit, callbacks, outbox
from app.services.people import masked
from app.staff import bp
from app.staff.auth import role_required
from app.staff.forms import EmptyForm, OutcomeForm
from app.staff.language import _, ui_language
from app.timeutil import utcnow

REASONS = {
    "asked": N_("Asked for a call"),
    "stuck": N_("Got stuck in the text conversation"),
    "voice": N_("Called and wanted a person"),
    "volunteer": N_("Wants to become a volunteer"),
    "flooding": N_("Sent very many texts in a short time (answers slowed down)"),
    "loop": N_("Another machine kept answering our texts (replies paused)"),
}
CHANNELS = {"sms": N_("SMS"), "voice": N_("Phone call")}
CALL_STATUS = {
    "queued": N_("Ringing your phone…"),
    "dialling": N_("Ringing your phone…"),
    "initiated": N_("Ringing your phone…"),
    "ringing": N_("Ringing your phone…"),
    "in-progress": N_("Call in progress."),
    "completed": N_("The call has ended."),
    "busy": N_("Your phone was busy."),
    "no-answer": N_("Your phone was not answered."),
    "failed": N_("The call could not be placed. Try again."),
    "canceled": N_("The call was cancelled."),
    "no-phone": N_("Add your phone number in your profile first."),
    "simulated": N_("Simulator mode: no call was placed. Record the outcome as if you had called."),
}
FINAL_CALL = {"completed", "busy", "no-answer", "failed", "canceled", "no-phone", "simulated"}
MESSAGE_KINDS = {
    "reminder": N_("Reminder of an activity"),
    "promoted": N_("A place opened up"),
    "broadcast": N_("Broadcast"),
    "task_request": N_("Request for a volunteer task"),
    "activity_cancelled": N_("Activity cancelled"),
    "activity_changed": N_("Activity changed"),
}


def _request(request_id: int) -> CallbackRequest:
    found = callbacks.get(request_id)
    if found is None:
        abort(404)
    return found


def describe(item: CallbackRequest, now) -> dict:
    """What the page says about a request, in the staff member's language."""
    language = ui_language()
    try:
        language_name = Locale.parse(item.language).get_display_name(language) or item.language
    except (ValueError, TypeError):
        language_name = item.language
    return {
        "item": item,
        "name": item.person.name,
        "number": masked(item.person.phone),
        "waiting": format_timedelta(
            now - item.created_at, granularity="minute", locale=babel_locale(language)
        ),  # fmt: skip
        "overdue": callbacks.is_overdue(item, now),
        "language": language_name,
        "reason": _(REASONS.get(item.reason, item.reason)),
        "channel": _(CHANNELS.get(item.channel, item.channel)),
        "recording": item.recording_url + ".mp3" if item.recording_url else None,
        "mine": callbacks.is_holder(item, current_user),
    }


def call_label(status: str | None) -> str:
    return _(CALL_STATUS.get(status or "", CALL_STATUS["queued"]))


def kind_label(kind: str) -> str:
    return _(MESSAGE_KINDS.get(kind, N_("Automatic message")))


@bp.route("/callbacks", endpoint="callbacks")
@role_required("staff")
def callbacks_page():
    now = utcnow()
    items = [describe(item, now) for item in callbacks.queue()]
    held = outbox.held_counts([entry["item"].person_id for entry in items])
    return render_template(
        "staff/callbacks.html",
        items=items,
        held=held,
        form=EmptyForm(),
        promise_hours=callbacks.promise().total_seconds() // 3600,
    )


@bp.route("/callbacks/<int:request_id>")
@role_required("staff")
def callback_detail(request_id: int):
    item = _request(request_id)
    messages = callbacks.recent_messages(item.person_id)
    held = callbacks.held_messages(item.person_id)
    # Reading someone's messages is a look at their data: it goes in the audit log.
    audit.record(current_user, "view_messages", person=item.person_id, obj=item,
                 detail=f"{len(messages)} messages")  # fmt: skip
    db.session.commit()
    call = callbacks.latest_call(item)
    form = OutcomeForm()
    return render_template(
        "staff/callback_detail.html",
        entry=describe(item, utcnow()),
        messages=messages,
        held=held,
        call=call,
        call_label=call_label(call.status) if call else None,
        call_final=(call.status in FINAL_CALL) if call else True,
        kind_label=kind_label,
        form=form,
        button=EmptyForm(),
    )


@bp.post("/callbacks/<int:request_id>/claim")
@role_required("staff")
def callback_claim(request_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    result = callbacks.claim(request_id, current_user)
    if result.request is None:
        abort(404)
    if not result.won:
        db.session.rollback()
        if result.request.status == CallbackRequest.DONE:
            flash(_("This request has already been closed."), "error")
        else:
            holder = result.holder.name if result.holder else _("someone else")
            flash(_("Already taken by {name}.", name=holder), "error")
        return redirect(url_for("staff.callbacks"))
    audit.record(current_user, "claim_callback", person=result.request.person_id,
                 obj=result.request)  # fmt: skip
    db.session.commit()
    flash(_("You have taken this request. Call when you are ready."), "success")
    return redirect(url_for("staff.callback_detail", request_id=request_id))


@bp.post("/callbacks/<int:request_id>/release")
@role_required("staff")
def callback_release(request_id: int):
    item = _request(request_id)
    if EmptyForm().validate_on_submit() and callbacks.release(item, current_user):
        db.session.commit()
        flash(_("The request is back in the queue."), "success")
    else:
        flash(_("Only the person who took this request can give it back."), "error")
    return redirect(url_for("staff.callbacks"))


@bp.post("/callbacks/<int:request_id>/call")
@role_required("staff")
def callback_call(request_id: int):
    item = _request(request_id)
    here = url_for("staff.callback_detail", request_id=request_id) + "#call"
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not callbacks.is_holder(item, current_user):
        flash(_("Take the request before you call."), "error")
        return redirect(here)
    simulated = callbacks.simulated()
    if not current_user.phone and not simulated:
        flash(_("Add your phone number in your profile first."), "error")
        return redirect(here)
    call = callbacks.start_call(item, current_user)
    audit.record(current_user, "call_resident", person=item.person_id, obj=item)
    db.session.commit()
    if not simulated:
        try:
            enqueue_call(call.id)
        except Exception:  # Redis down: say so rather than pretend the phone will ring
            call.status = "failed"
            db.session.commit()
    return redirect(here)


@bp.get("/callbacks/<int:request_id>/call-status")
@role_required("staff")
def callback_call_status(request_id: int):
    call = callbacks.latest_call(_request(request_id))
    status = call.status if call else None
    return jsonify(
        status=status,
        label=call_label(status) if call else "",
        final=status in FINAL_CALL if call else True,
    )


@bp.post("/callbacks/<int:request_id>/outcome")
@role_required("staff")
def callback_outcome(request_id: int):
    item = _request(request_id)
    form = OutcomeForm()
    here = url_for("staff.callback_detail", request_id=request_id)
    if not callbacks.is_holder(item, current_user):
        flash(_("Take the request before you record what happened."), "error")
        return redirect(here)
    if not form.validate_on_submit():
        for error in form.outcome.errors:
            flash(_(error), "error")
        return redirect(here + "#outcome")
    done = request.form.get("done") == "1"
    told = callbacks.record_outcome(
        item, current_user, form.outcome.data, form.note.data,
        done=done, send_text=form.send_text.data,
    )  # fmt: skip
    audit.record(current_user, "callback_outcome", person=item.person_id, obj=item,
                 detail=form.outcome.data + (" done" if done else ""))  # fmt: skip
    db.session.commit()
    if told is not None:
        flash(_("A text saying we tried to call has been sent."), "success")
    if done:
        flash(_("The request is closed."), "success")
        return redirect(url_for("staff.callbacks"))
    flash(_("Saved."), "success")
    return redirect(here)
