"""Schemas of organisations, activities, their dates (occurrences) and sign-ups."""

from datetime import date, datetime
from typing import Literal

from pydantic import Field, model_validator

from app.api.schemas.common import (
    Day,
    Id,
    Input,
    Output,
    PageQuery,
    PhoneOut,
    When,
    paged,
    text,
)
from app.timeutil import local_zone

MAX_UPSERT = 1000


class OrganisationOut(Output):
    id: int
    name: str
    phone: PhoneOut | None
    email: str | None


OrganisationPage = paged(OrganisationOut, "OrganisationPage")


class ActivityFields(Input):
    title: text(80, 1)
    description: text(2000) | None = None
    place: text(120, 1)
    address: text(200) | None = None
    directions: text(300) | None = Field(None, description="How to find it.")
    cost: text(60) | None = None
    contact: text(120) | None = None
    capacity: int | None = Field(None, ge=1, le=100_000, description="null: no limit.")
    starts_at: When = Field(description="The first (or only) start, with its offset.")
    duration_minutes: int = Field(120, ge=1, le=10_080)
    repeat_weekly: bool = False
    repeat_until: Day | None = Field(None, description="Last date of a weekly series.")

    @model_validator(mode="after")
    def _until_after_start(self):
        first = self.starts_at.astimezone(local_zone()).date()
        if self.repeat_until is not None and self.repeat_until < first:
            raise ValueError("repeat_until must be on or after the first date")
        return self


class ActivityCreate(ActivityFields):
    organisation_id: Id | None = Field(None, description="An existing organisation …")
    organisation: text(120, 1) | None = Field(None, description="… or its name (added if new).")


class ActivityUpdate(Input):
    """Only the fields sent change; null clears a field that may be empty."""

    title: text(80, 1) = None
    description: text(2000) | None = None
    place: text(120, 1) = None
    address: text(200) | None = None
    directions: text(300) | None = None
    cost: text(60) | None = None
    contact: text(120) | None = None
    capacity: int | None = Field(None, ge=1, le=100_000)
    starts_at: When = None
    duration_minutes: int = Field(None, ge=1, le=10_080)
    repeat_weekly: bool = None
    repeat_until: Day | None = None
    organisation_id: Id = None


class ActivityQuery(PageQuery):
    organisation_id: Id | None = None
    source: text(300) | None = None
    external_id: text(300) | None = None
    cancelled: bool | None = Field(None, description="Only (not) cancelled ones.")
    starts_after: When | None = None
    starts_before: When | None = None
    q: text(80) | None = Field(None, description="Words in the title.")


class ActivityOut(Output):
    id: int
    organisation_id: int
    organisation: str
    title: str
    description: str | None
    place: str
    address: str | None
    directions: str | None
    cost: str | None
    contact: str | None
    capacity: int | None
    starts_at: datetime
    duration_minutes: int
    repeat_weekly: bool
    repeat_until: date | None
    cancelled: bool
    source: str | None
    external_id: str | None
    created_at: datetime


ActivityPage = paged(ActivityOut, "ActivityPage")


class ActivityChanged(Output):
    activity: ActivityOut
    people_told: int = Field(description="People who get an SMS about the change.")


class UpsertItem(ActivityFields):
    external_id: text(300, 1) = Field(description="Your id for it: the same id updates it.")
    organisation: text(120, 1) | None = None
    skip_dates: list[Day] = Field(
        default_factory=list, max_length=366, description="Dates a weekly series skips."
    )


class Upsert(Input):
    source: text(100, 1) = Field(
        "api", description="Names this set of activities: the same source and external_id "
                           "is the same activity.")  # fmt: skip
    organisation: text(120, 1) | None = Field(None, description="For items without one.")
    dry_run: bool = Field(False, description="Say what would change, change nothing.")
    activities: list[UpsertItem] = Field(max_length=MAX_UPSERT)


class UpsertSkipped(Output):
    external_id: str
    message: str


class UpsertEntry(Output):
    external_id: str
    id: int | None = Field(description="null for one a dry run would create.")
    result: Literal["created", "updated", "unchanged"]


class UpsertResult(Output):
    source: str = Field(description="As stored on the activities.")
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    past: int = Field(description="Items already over, left out.")
    people_told: int
    activities: list[UpsertEntry]
    skipped: list[UpsertSkipped]
    gone: list[int] = Field(
        description="Activities of this source not sent this time "
        "(left as they are: cancel them if they are off)."
    )


class OccurrenceOut(Output):
    id: int
    activity_id: int
    code: int | None = Field(description="The number people text (MELD 12); null once over.")
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    booked: int
    waiting: int
    cancelled: bool


OccurrencePage = paged(OccurrenceOut, "OccurrencePage")


class OccurrenceQuery(PageQuery):
    include_past: bool = False


class PersonRef(Output):
    id: int
    name: str | None
    phone: PhoneOut
    language: str | None


class SignUpOut(Output):
    id: int
    occurrence_id: int
    status: Literal["confirmed", "waiting", "cancelled"]
    person: PersonRef
    created_at: datetime
    waiting_position: int | None


SignUpPage = paged(SignUpOut, "SignUpPage")


class SignUpQuery(PageQuery):
    status: Literal["confirmed", "waiting", "cancelled"] | None = None
