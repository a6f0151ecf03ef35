"""Phone actions for volunteers: who gets the volunteer menu, and their open requests,
read one at a time. The task services decide, tell coordinators and text confirmations;
here their results become outcomes and the values prompts read aloud.
"""

from app.conversation.actions import PersonActions, action
from app.conversation.engine import Outcome
from app.conversation.voice_actions import CURSOR, is_mobile, spoken_day
from app.models import Task
from app.services import tasks, volunteers
from app.services.task_texts import task_values

TASK = "task"  # call data: the number of the request read last


@action("is_volunteer", "yes", "no")
def is_volunteer(actions: PersonActions, argument, data) -> Outcome:
    return Outcome("yes" if volunteers.is_active_volunteer(actions.person) else "no")


def _spoken(actions: PersonActions, task: Task) -> dict:
    values = task_values(task, actions.language)
    values["day"] = spoken_day(task.starts_at, actions.language)
    return values


def _read(actions: PersonActions, index: int, data: dict) -> Outcome | None:
    offers = tasks.open_requests(actions.person, actions.now)
    if not 0 <= index < len(offers):
        return None
    task = offers[index].task
    data[CURSOR], data[TASK] = index, task.code
    return Outcome("read", _spoken(actions, task))


@action("voice_first_task", "read", "none")
def first_task(actions: PersonActions, argument, data) -> Outcome:
    return _read(actions, 0, data) or Outcome("none")


@action("voice_next_task", "read", "end")
def next_task(actions: PersonActions, argument, data) -> Outcome:
    return _read(actions, data.get(CURSOR, -1) + 1, data) or Outcome("end")


@action("voice_accept_task", "accepted", "accepted_texted", "already", "taken", "closed",
        "not_found")  # fmt: skip
def accept_task(actions: PersonActions, argument, data) -> Outcome:
    texted = is_mobile(actions.person.phone) and not actions.person.opted_out
    result = tasks.accept(actions.person, data.get(TASK), actions.now, confirm_by_sms=texted)
    outcome = result.outcome if result.outcome in ("accepted", "already", "taken",
                                                   "closed") else "not_found"  # fmt: skip
    if outcome == "accepted" and texted:
        outcome = "accepted_texted"
    return Outcome(outcome, _spoken(actions, result.task) if result.task else {})


@action("voice_decline_task", "declined", "withdrawn", "not_found")
def decline_task(actions: PersonActions, argument, data) -> Outcome:
    result = tasks.decline(actions.person, data.get(TASK), actions.now)
    outcome = result.outcome if result.outcome in ("declined", "withdrawn") else "not_found"
    return Outcome(outcome, _spoken(actions, result.task) if result.task else {})
