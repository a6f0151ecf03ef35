"""Task pages for coordinators: list, create, choose whom to ask, send waves, follow answers.

The pages do what `flask --app app task …` does (app/cli_tasks.py), through the same
services. Choosing whom to ask shows volunteers' names and masked numbers, and the
task page shows who answered: both are recorded in the audit log.
"""

import logging

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import i18n
from app.extensions import db
from app.i18n import N_
from app.models import Coordinator, Person, Task, Volunteer
from app.services import audit, task_lifecycle, task_overview, task_planning, volunteers
from app.services.people import masked
from app.services.task_planning import TaskError
from app.staff import bp
from app.staff.auth import role_required
from app.staff.forms import EmptyForm
from app.staff.language import _, ui_language
from app.staff.task_forms import CandidateFilterForm, TaskForm, WaveForm
from app.timeutil import local_zone, utcnow

log = logging.getLogger(__name__)
ROLE = "coordinator"


# Statuses and history entries as coordinators read them (msgids, translated by `label`).
LABELS = {
    "open": N_("open"),
    "filled": N_("filled"),
    "expired": N_("expired"),
    "cancelled": N_("cancelled"),
    "planned": N_("planned"),
    "skipped": N_("skipped"),
    "asked": N_("asked"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
    "withdrawn": N_("withdrawn"),
    "taken": N_("too late"),
    "no_longer_needed": N_("told not needed"),
    "created": N_("created"),
    "wave_sent": N_("wave sent"),
    "queued": N_("queued"),
    "sent": N_("sent"),
    "delivered": N_("delivered"),
    "failed": N_("failed"),
    "draft": N_("draft"),
    "sending": N_("sending"),
    "held": N_("held for staff"),
    "blocked": N_("blocked"),
    "simulated": N_("simulated"),
}


def label(key: str) -> str:
    """A status or history entry in the page's language."""
    return _(LABELS[key]) if key in LABELS else key.replace("_", " ")


def _task(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        abort(404)
    return task


def local(moment) -> str:
    """A time as staff read it, in the service's zone and the page's language."""
    if moment is None:
        return "–"
    language, zone = ui_language(), local_zone()
    return f"{i18n.format_day(moment, language, zone)} {i18n.format_clock(moment, language, zone)}"


@bp.context_processor
def _task_helpers() -> dict:
    return {"label": label, "local": local}


@bp.route("/tasks")
@role_required(ROLE)
def tasks():
    show_all = request.args.get("all") == "1"
    return render_template(
        "staff/tasks/list.html", rows=task_overview.listing(show_all), show_all=show_all
    )


# --- creating -------------------------------------------------------------------------


def _coordinator_choices() -> list[SelectChoice]:
    """Active coordinators; 0 stands for "me", made a coordinator from my own phone."""
    found = db.session.scalars(
        sa.select(Coordinator)
        .join(Coordinator.person)
        .where(Coordinator.active)
        .order_by(Coordinator.id)
    ).all()
    choices = [
        SelectChoice(c.id, f"{c.person.name or '-'} ({masked(c.person.phone)})") for c in found
    ]
    mine = current_user.phone
    if mine and all(c.person.phone != mine for c in found):
        choices.insert(0, SelectChoice(0, _("Me ({phone})", phone=masked(mine))))
    return choices


def _default_coordinator(choices: list[SelectChoice]) -> int | None:
    mine = current_user.phone and db.session.scalar(
        sa.select(Coordinator.id).join(Coordinator.person).where(Person.phone == current_user.phone)
    )
    return mine or (choices[0].value if choices else None)


def _chosen_coordinator(choice: int) -> Coordinator | None:
    if choice == 0 and current_user.phone:
        return volunteers.add_coordinator(current_user.phone, current_user.name)
    coordinator = db.session.get(Coordinator, choice)
    return coordinator if coordinator is not None and coordinator.active else None


@bp.route("/tasks/new", methods=["GET", "POST"])
@role_required(ROLE)
def task_new():
    form = TaskForm()
    form.coordinator.choices = _coordinator_choices()
    if request.method == "GET":
        form.coordinator.data = _default_coordinator(form.coordinator.choices)
    problem = None
    if not form.coordinator.choices:
        problem = _(
            "There is no coordinator yet. Add your phone number on your profile page, "
            "and you can be the coordinator yourself."
        )
    elif form.validate_on_submit():
        created, problem = _create(form)
        if created is not None:
            return redirect(url_for("staff.task", task_id=created.id))
    status = 400 if request.method == "POST" else 200
    return render_template("staff/tasks/new.html", form=form, problem=problem), status


def _create(form: TaskForm) -> tuple[Task | None, str | None]:
    """Create the task from a valid form: (the task, None), or (None, a problem for the
    whole form, or None when the problem is shown next to its field)."""
    coordinator = _chosen_coordinator(form.coordinator.data)
    if coordinator is None:
        form.coordinator.errors.append("Choose a coordinator.")
        return None, None
    zone = local_zone()
    try:
        task = task_planning.create_task(
            coordinator,
            title=form.title.data,
            description=form.description.data or "",
            starts_at=form.starts_at.data.replace(tzinfo=zone),
            place=form.place.data,
            now=utcnow(),
            contact=form.contact.data or None,
            needed=form.needed.data,
            area=form.area.data or None,
            tags=form.tags.data or None,
            language=(form.language.data or "").strip().lower() or None,
            expires_at=form.expires_at.data.replace(tzinfo=zone) if form.expires_at.data else None,
            notify_unanswered=form.notify_unanswered.data,
            wave_interval=form.wave_interval.data or None,
        )
    except TaskError as error:
        db.session.rollback()
        return None, _place_error(form, error)
    db.session.commit()
    flash(_("Task {code} is created. Now choose whom to ask.", code=task.code), "success")
    return task, None


def _place_error(form: TaskForm, error: TaskError) -> str | None:
    """The service's reason in the coordinator's language, next to the field it is about;
    a reason about no one field is returned, to be shown above the form."""
    text = _(error.msgid, **error.values)
    if error.field and hasattr(form, error.field):
        getattr(form, error.field).errors.append(text)
        return None
    return text


# --- one task -------------------------------------------------------------------------


def _filters(form: CandidateFilterForm) -> dict:
    data = form.data if form.validate() else {}
    return {
        "tags": volunteers.clean_tags(data.get("tag") or ""),
        "area": (data.get("area") or "").strip() or None,
        "any_area": bool(data.get("any_area")),
        "language": (data.get("language") or "").strip().lower() or None,
        "rest_days": data.get("rest_days"),
    }


def _candidates(task: Task, filters: dict) -> list[volunteers.Candidate]:
    if task.status not in (Task.OPEN, Task.FILLED):
        return []
    return volunteers.candidates(task, utcnow(), **filters)


@bp.route("/tasks/<int:task_id>")
@role_required(ROLE)
def task(task_id: int):
    task = _task(task_id)
    filter_form = CandidateFilterForm(request.args)
    filters = _filters(filter_form)
    found = _candidates(task, filters)
    offers = task_planning.offers(task)
    audit.record(
        current_user,
        "task.view",
        obj=task,
        detail=f"{len(found)} candidates, {len(offers)} on the task",
    )
    db.session.commit()
    wave_form = WaveForm(after_minutes=task.wave_interval)
    return render_template(
        "staff/tasks/show.html",
        task=task,
        candidates=found,
        filter_form=filter_form,
        wave_form=wave_form,
        offers=offers,
        waves=task_planning.waves(task),
        events=task_planning.events(task),
        summary=task_overview.summary(task),
        action_form=EmptyForm(),
        masked=masked,
        query=request.args.to_dict(),
    )


@bp.post("/tasks/<int:task_id>/wave")
@role_required(ROLE)
def task_wave(task_id: int):
    """Put hand-picked volunteers (or the next N candidates) on a wave, and time it."""
    task = _task(task_id)
    form = WaveForm()
    back = redirect(url_for("staff.task", task_id=task.id, **request.args))
    if not form.validate_on_submit():
        flash(
            _(
                "Please check the wave: {problems}",
                problems=" ".join(_(e) for errors in form.errors.values() for e in errors),
            ),
            "error",
        )
        return back
    if form.take.data:
        found = _candidates(task, _filters(CandidateFilterForm(request.args)))
        chosen = [c.volunteer for c in found[: form.take.data]]
    else:
        chosen = [v for v in (db.session.get(Volunteer, i) for i in form.volunteers.data) if v]
    if not chosen:
        flash(
            _("Nobody was chosen. Tick volunteers in the list, or give a number to take."), "error"
        )
        return back
    now = utcnow()
    try:
        wave, added, refused = task_planning.plan_wave(task, chosen)
        due = task_overview.time_wave(task, wave, form.timing.data, form.after_minutes.data, now)
    except TaskError as error:
        db.session.rollback()
        flash(_(error.msgid, **error.values), "error")
        return back
    audit.record(
        current_user,
        "task.plan_wave",
        obj=task,
        detail=f"wave {wave.number}: {len(added)} added, {len(refused)} refused",
    )
    db.session.commit()
    for volunteer, reason in refused:
        name = volunteer.person.name or masked(volunteer.person.phone)
        flash(_("Not added: {name} ({reason}).", name=name, reason=reason), "error")
    flash(_("Wave {n}: {count} volunteer(s) added.", n=wave.number, count=len(added)), "success")
    if due is not None:
        _enqueue(task, due)
    return back


@bp.post("/tasks/<int:task_id>/send")
@role_required(ROLE)
def task_send(task_id: int):
    """Send the next wave now (in quiet hours it waits for the morning)."""
    task = _task(task_id)
    if EmptyForm().validate_on_submit():
        try:
            wave = task_planning.request_send(task, utcnow())
        except TaskError as error:
            flash(_(error.msgid, **error.values), "error")
            return redirect(url_for("staff.task", task_id=task.id))
        if wave is None:
            flash(_("No wave is waiting: choose volunteers first."), "error")
        else:
            db.session.commit()
            _enqueue(task, wave)
    return redirect(url_for("staff.task", task_id=task.id))


def _enqueue(task: Task, wave) -> None:
    from app.jobs.tasks import enqueue_wave

    try:
        enqueue_wave(wave.id)
    except Exception as error:  # noqa: BLE001 - the scheduler sends due waves anyway
        log.warning("tasks: wave %s left to the scheduler (%s)", wave.id, type(error).__name__)
    morning = task_planning.quiet_until(utcnow())
    if morning is not None:
        flash(
            _(
                "Wave {n} waits for the end of the quiet hours: it goes out at {time}.",
                n=wave.number,
                time=morning.strftime("%H:%M"),
            ),
            "info",
        )
    else:
        flash(_("Wave {n} is on its way.", n=wave.number), "success")


@bp.post("/tasks/<int:task_id>/cancel")
@role_required(ROLE)
def task_cancel(task_id: int):
    """Call the task off; volunteers who said yes are told at once."""
    task = _task(task_id)
    if EmptyForm().validate_on_submit():
        if task_lifecycle.cancel(task, utcnow()):
            audit.record(current_user, "task.cancel", obj=task)
            db.session.commit()
            flash(
                _("Task {code} is cancelled. Those who said yes are told.", code=task.code),
                "success",
            )
        else:
            flash(
                _("The task is {status} and cannot be cancelled.", status=label(task.status)),
                "error",
            )
    return redirect(url_for("staff.task", task_id=task.id))


@bp.route("/tasks/<int:task_id>/status.json")
@role_required(ROLE)
def task_status(task_id: int):
    """What the task page refreshes: answers, delivery, who said what, history."""
    task = _task(task_id)
    summary = task_overview.summary(task)
    at = summary.pop("next_wave_at")
    summary["next_wave_at"] = at.isoformat() if at else None
    summary["status_text"] = label(task.status)
    summary["accepted_text"] = _(
        "{accepted} of {needed} have said yes.", accepted=task.accepted, needed=task.needed
    )
    summary["next_wave_text"] = (
        ""
        if not summary["next_wave"]
        else _("Wave {n} is due {time}.", n=summary["next_wave"], time=local(at))
        if at
        else _("Wave {n} is chosen but not sent.", n=summary["next_wave"])
    )
    summary["answers"] = [
        {
            "name": o.person.name or "–",
            "wave": o.wave,
            "status": o.status,
            "phone": o.person.phone if o.status == "accepted" else masked(o.person.phone),
            "status_text": label(o.status),
        }
        for o in task_planning.offers(task)
    ]
    summary["events"] = [
        {
            "at": local(e.created_at),
            "kind": label(e.kind),
            "who": (e.person.name or masked(e.person.phone)) if e.person else "",
            "detail": e.detail or "",
        }
        for e in task_planning.events(task)
    ]
    return jsonify(summary)
