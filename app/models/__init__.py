"""All tables. Import models from here."""

from app.models.activities import Activity, Occurrence, Organisation, SignUp
from app.models.activity_translations import ActivityTranslation
from app.models.api_tokens import ApiToken, WebhookDelivery
from app.models.broadcasts import Broadcast
from app.models.callbacks import CallbackRequest, StaffCall
from app.models.calls import Call
from app.models.messaging import Conversation, Message
from app.models.people import Person
from app.models.privacy import Deletion, RecordingDeletion
from app.models.staff import AuditEntry, StaffUser
from app.models.volunteers import Coordinator, Task, TaskEvent, TaskOffer, TaskWave, Volunteer

__all__ = [
    "Activity",
    "ActivityTranslation",
    "ApiToken",
    "AuditEntry",
    "Broadcast",
    "Call",
    "CallbackRequest",
    "Conversation",
    "Coordinator",
    "Deletion",
    "Message",
    "Occurrence",
    "Organisation",
    "Person",
    "RecordingDeletion",
    "SignUp",
    "StaffCall",
    "StaffUser",
    "Task",
    "TaskEvent",
    "TaskOffer",
    "TaskWave",
    "Volunteer",
    "WebhookDelivery",
]
