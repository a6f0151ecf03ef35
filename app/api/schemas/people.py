"""Schemas of volunteers, callback requests and a person's data export."""

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.api.schemas.common import Input, Output, PageQuery, PhoneIn, PhoneOut, paged, text

Tag = text(40, 1)
VolunteerStatus = Literal["pending", "active", "paused", "inactive"]


class VolunteerCreate(Input):
    phone: PhoneIn
    name: text(120, 1)
    language: text(8, 2) | None = Field(None, description="One of the service's languages.")
    tags: list[Tag] = Field(
        default_factory=list,
        max_length=30,
        description='Skills and languages spoken: ["driver", "pl"].',
    )
    area: text(60) | None = None
    note: text(2000) | None = None


class VolunteerUpdate(Input):
    """Only the fields sent change; null clears area and note."""

    name: text(120, 1) = None
    language: text(8, 2) = None
    tags: list[Tag] = Field(None, max_length=30)
    area: text(60) | None = None
    note: text(2000) | None = None
    status: Literal["active", "inactive"] = Field(
        None, description="active approves a pending volunteer; inactive ends it."
    )


class TagsIn(Input):
    tags: list[Tag] = Field(max_length=30)


class VolunteerQuery(PageQuery):
    status: VolunteerStatus | None = None
    tag: text(40) | None = Field(None, description="Only volunteers with this tag.")


class VolunteerOut(Output):
    id: int
    person_id: int
    name: str | None
    phone: PhoneOut
    language: str | None
    status: VolunteerStatus
    tags: list[str]
    area: str | None
    note: str | None
    paused_at: datetime | None
    approved_at: datetime | None
    created_at: datetime


VolunteerPage = paged(VolunteerOut, "VolunteerPage")


class CallbackOut(Output):
    id: int
    person_id: int
    name: str | None
    phone: PhoneOut
    language: str = Field(description="The language to call back in.")
    reason: str = Field(description="asked, stuck, voice or volunteer.")
    channel: str
    status: Literal["open", "claimed", "done"]
    overdue: bool = Field(description="Waiting longer than the promise made to residents.")
    recording_url: str | None
    note: str | None
    claimed_by: str | None = Field(description="The staff member's email.")
    claimed_at: datetime | None
    outcome: str | None
    attempts: int
    created_at: datetime
    closed_at: datetime | None


CallbackPage = paged(CallbackOut, "CallbackPage")


class CallbackQuery(PageQuery):
    status: Literal["open", "claimed", "done", "active"] = Field(
        "active", description="active: open and claimed."
    )


class ClaimIn(Input):
    staff_email: text(254, 3) | None = Field(
        None, description="Who takes it (an active staff account); default: the token's maker."
    )


class ResolveIn(ClaimIn):
    outcome: Literal["reached", "no_answer", "try_later"]
    note: text(2000) | None = None
    done: bool = Field(True, description="Close the request (false keeps it for another try).")
    send_text: bool = Field(True, description="Not reached: text them that we tried.")


class PersonExport(Output):
    """Everything the service keeps about one person: profile, sign-ups, volunteering,
    callback requests, messages, calls, and when staff opened their data."""

    model_config = {"extra": "allow"}
    format: int = Field(description="The export's format version.")
    exported_at: str
    person: dict


class Cancelled(Output):
    kind: Literal["signup", "task"]
    title: str
    starts_at: datetime


class DeletionOut(Output):
    """What deleting did."""

    person_id: int = Field(description="The anonymous id that stays, with counts only.")
    already: bool = Field(description="The data had been deleted before: nothing changed.")
    cancelled: list[Cancelled] = Field(description="Sign-ups and task places given up.")
    callbacks_closed: int
    counts: dict[str, int] = Field(description="What was erased, counted.")
