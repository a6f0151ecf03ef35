"""The actions of a person's own data, as flows name them: PERSONVERN, SLETT, SLETT JA.

Deleting asks first. `SLETT` answers with what will be gone (and what it cancels) and
remembers when it asked; `SLETT JA` deletes only within a day of that question, so a
stray or forwarded "SLETT JA" asks again rather than erase anyone. The question is a
yes/no question, so a plain `JA` or `NEI` soon after it answers it too, unless a task
request is waiting for that answer. The answer to the deletion is the last message the
person gets: it goes back in the webhook's reply, which needs no stored number.
"""

from datetime import datetime, timedelta

from flask import current_app

from app import i18n
from app.conversation.actions import ACTIONS, PersonActions, action
from app.conversation.engine import Outcome, Prompt
from app.conversation.flow import get_flow
from app.conversation.render import render
from app.conversation.task_actions import accept_task, decline_task
from app.services import privacy, tasks
from app.timeutil import local_zone

ASKED = "delete_asked_at"  # conversation data: when SLETT last asked
CONFIRM_WITHIN = timedelta(days=1)
# A plain JA/NEI this soon after the question answers it; later it means tasks again.
ANSWER_WITHIN = timedelta(hours=1)


@action("privacy_notice", "ok")
def privacy_notice(actions: PersonActions, argument, data) -> Outcome:
    """What we keep, how long, who sees it, how to get a copy and how to delete it."""
    flow = get_flow("sms")
    days = current_app.config["MESSAGE_RETENTION_DAYS"]
    [text] = render(flow, [Prompt(flow.texts["privacy_notice"], {"days": days})],
                    actions.language)  # fmt: skip
    return Outcome("ok", {"details": text})


@action("ask_delete", "ask", "ask_one", "ask_more")
def ask_delete(actions: PersonActions, argument, data) -> Outcome:
    """SLETT: ask before deleting, naming the first thing it would cancel."""
    data[ASKED] = actions.now.isoformat()
    cancels = privacy.what_deletion_cancels(actions.person, actions.now)
    if not cancels:
        return Outcome("ask")
    first = cancels[0]
    values = {
        "title": first.title,
        "day": i18n.format_day(first.starts_at, actions.language, local_zone()),
    }
    return Outcome("ask_one" if len(cancels) == 1 else "ask_more", values)


@action("confirm_delete", "deleted", "ask", "ask_one", "ask_more")
def confirm_delete(actions: PersonActions, argument, data) -> Outcome:
    """SLETT JA: delete, if SLETT asked within a day; otherwise ask now."""
    if not _asked_within(data, actions.now, CONFIRM_WITHIN):
        return ask_delete(actions, argument, data)
    data.pop(ASKED, None)
    privacy.delete_person(actions.person, by="resident", now=actions.now)
    return Outcome("deleted")


@action("answer_yes", *ACTIONS["accept_task"][1], "deleted")
def answer_yes(actions: PersonActions, code, data) -> Outcome:
    """JA: yes to the deletion question just asked, else to a task request."""
    if code is None and _answers_the_question(actions, data):
        return confirm_delete(actions, code, data)
    return accept_task(actions, code, data)


@action("answer_no", *ACTIONS["decline_task"][1], "kept")
def answer_no(actions: PersonActions, code, data) -> Outcome:
    """NEI: no to the deletion question just asked (nothing is deleted), else to a task."""
    if code is None and _answers_the_question(actions, data):
        data.pop(ASKED, None)
        return Outcome("kept")
    return decline_task(actions, code, data)


def _answers_the_question(actions: PersonActions, data: dict) -> bool:
    """SLETT asked a moment ago, and no task request waits for a yes or no."""
    return _asked_within(data, actions.now, ANSWER_WITHIN) and not tasks.open_requests(
        actions.person, actions.now
    )


def _asked_within(data: dict, now: datetime, within: timedelta) -> bool:
    try:
        asked = datetime.fromisoformat(data.get(ASKED) or "")
    except ValueError:
        return False
    return now - within <= asked <= now
