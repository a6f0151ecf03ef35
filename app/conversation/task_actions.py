"""The actions of volunteer tasks, as flows name them: JA/NEI/AVBRYT 45, FRIVILLIG, PAUSE.

Thin on purpose: the task services decide and tell coordinators; here their results
become outcomes and the values prompts show.
"""

from app import i18n
from app.conversation.actions import ACTIONS, PersonActions, action
from app.conversation.engine import Outcome
from app.i18n import N_
from app.models import Task
from app.services import callbacks, tasks, volunteers
from app.services.task_texts import task_values

CHOICES_SHOWN = 3


def _values(actions: PersonActions, task: Task | None) -> dict:
    return task_values(task, actions.language) if task is not None else {}


def _outcome(actions: PersonActions, result: tasks.TaskResult, code: int | None) -> Outcome:
    values = _values(actions, result.task)
    if result.outcome == "not_found":
        values["code"] = code
    if result.outcome == "choose":
        line = i18n.gettext(actions.language, N_("{code} {title}, {day}"))
        shown = [line.format(**_values(actions, t)) for t in result.choices[:CHOICES_SHOWN]]
        values.update(items="\n".join(shown), code=result.choices[0].code)
    return Outcome(result.outcome, values)


@action("accept_task", "accepted", "already", "taken", "closed", "none", "choose", "not_found")
def accept_task(actions: PersonActions, code, data) -> Outcome:
    return _outcome(actions, tasks.accept(actions.person, code, actions.now), code)


@action("decline_task", "declined", "withdrawn", "none", "choose", "not_found")
def decline_task(actions: PersonActions, code, data) -> Outcome:
    result = tasks.decline(actions.person, code, actions.now)
    if result.outcome in ("not_accepted", "closed"):
        result = tasks.TaskResult("declined", result.task, result.offer)
    return _outcome(actions, result, code)


@action("withdraw_task", "withdrawn", "not_accepted", "closed", "none", "choose", "not_found")
def withdraw_task(actions: PersonActions, code, data) -> Outcome:
    return _outcome(actions, tasks.withdraw(actions.person, code, actions.now), code)


@action("cancel_signup_or_task", "cancelled", "left_waiting", "not_signed_up", "no_code",
        "not_found", "withdrawn")  # fmt: skip
def cancel_signup_or_task(actions: PersonActions, code, data) -> Outcome:
    """CANCEL 45 (English): a task this person said yes to comes before an activity.

    Task and activity numbers can meet (both start at 10); only the person's own
    accepted task is taken, so "CANCEL 12" still cancels activity 12 for everyone else.
    """
    if code is not None:
        mine = [o for o in tasks.accepted_upcoming(actions.person, actions.now)
                if o.task.code == code]  # fmt: skip
        if mine:
            result = tasks.withdraw(actions.person, code, actions.now)
            if result.outcome == "withdrawn":
                return _outcome(actions, result, code)
    cancel_signup, _ = ACTIONS["cancel_signup"]
    return cancel_signup(actions, code, data)


@action("register_volunteer", "registered", "pending", "active")
def register_volunteer(actions: PersonActions, argument, data) -> Outcome:
    """FRIVILLIG: a pending volunteer, and a promise that a person calls to talk first."""
    volunteer, created = volunteers.express_interest(actions.person)
    if volunteer.status == volunteer.ACTIVE:
        return Outcome("active")
    if created:
        callbacks.request_callback(actions.person, actions.language, "volunteer",
                                   actions.channel)  # fmt: skip
        return Outcome("registered")
    return Outcome("pending")


@action("pause_volunteer", "paused", "already", "not_volunteer")
def pause_volunteer(actions: PersonActions, argument, data) -> Outcome:
    volunteer = volunteers.volunteer_for(actions.person)
    if volunteer is None:
        return Outcome("not_volunteer")
    return Outcome("paused" if volunteers.pause(volunteer, actions.now) else "already")


@action("resume_volunteer", "resumed", "not_paused", "not_volunteer")
def resume_volunteer(actions: PersonActions, argument, data) -> Outcome:
    volunteer = volunteers.volunteer_for(actions.person)
    if volunteer is None:
        return Outcome("not_volunteer")
    return Outcome("resumed" if volunteers.resume(volunteer) else "not_paused")
