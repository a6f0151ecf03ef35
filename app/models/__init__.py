"""All tables. Import models from here."""

from app.models.activities import Activity, Occurrence, Organisation, SignUp
from app.models.callbacks import CallbackRequest
from app.models.calls import Call
from app.models.messaging import Conversation, Message
from app.models.people import Person
from app.models.volunteers import Coordinator, Task, TaskEvent, TaskOffer, TaskWave, Volunteer

__all__ = [
    "Activity",
    "Call",
    "CallbackRequest",
    "Conversation",
    "Coordinator",
    "Message",
    "Occurrence",
    "Organisation",
    "Person",
    "SignUp",
    "Task",
    "TaskEvent",
    "TaskOffer",
    "TaskWave",
    "Volunteer",
]
