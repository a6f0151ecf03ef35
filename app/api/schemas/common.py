"""Building blocks of the API's schemas: text, times, phone numbers, pages, errors.

Inputs refuse unknown fields (a typo is an error, not silently ignored), text is
stripped and may not hold NUL (PostgreSQL refuses it), times need an offset, and every
number has bounds, so nothing a client sends can reach the database as a 500.
"""

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, create_model

from app.timeutil import local_zone

# No NUL: PostgreSQL cannot store it in text.
NO_NUL = r"^[^\x00]*$"
FIRST_YEAR, LAST_YEAR = 2000, 2100
INT_MAX = 2_147_483_647


class Input(BaseModel):
    """A request body or query: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def text(most: int, least: int = 0, description: str | None = None):
    """A string of `least` to `most` characters once surrounding spaces are stripped."""

    def clean(value: str) -> str:
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise ValueError("must be valid Unicode text")
        value = value.strip()
        if len(value) < least:
            raise ValueError("must not be empty" if least == 1 else f"needs {least} characters")
        return value

    field = Field(min_length=least, max_length=most, pattern=NO_NUL, description=description)
    return Annotated[str, field, AfterValidator(clean)]


def _in_range(value: datetime) -> datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value.astimezone(UTC)


def _day_in_range(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


# ISO 8601 with an offset ("2026-12-01T18:00:00+01:00"); stored in UTC.
When = Annotated[AwareDatetime, AfterValidator(_in_range)]
Day = Annotated[date, AfterValidator(_day_in_range)]
Id = Annotated[int, Field(ge=1, le=INT_MAX)]
# National ("912 34 567", DEFAULT_REGION) or international ("+47 912 34 567"); E.164 out.
PhoneIn = Annotated[str, Field(min_length=3, max_length=30, pattern=r"^[0-9+()\-. ]+$",
                               description="National or international form.")]  # fmt: skip
PhoneOut = Annotated[str, Field(description="E.164, e.g. +4791234567.")]


def local(moment: datetime | None) -> datetime | None:
    """A stored UTC time as the service's local time, with its offset."""
    return moment.astimezone(local_zone()) if moment is not None else None


class Problem(Output):
    """An error: a short code for programs, a sentence for people."""

    error: str
    message: str


class FieldError(Output):
    field: str = Field(description="The field, with dots into nested ones: activities.2.title.")
    message: str


class ValidationProblem(Output):
    """422: the request's fields that were wrong, each with why."""

    error: str = "invalid"
    message: str
    errors: list[FieldError]


class PageQuery(Input):
    page: int = Field(1, ge=1, le=100_000, description="Page number, from 1.")
    per_page: int = Field(50, ge=1, le=200, description="Items per page, at most 200.")


class PageMeta(Output):
    page: int
    per_page: int
    total: int = Field(description="Items on all pages.")
    next: str | None = Field(description="The next page's URL; null on the last page.")


def paged(model: type[BaseModel], name: str) -> type[PageMeta]:
    """A page of `model`s: `{"data": [...], "page", "per_page", "total", "next"}`."""
    return create_model(name, __base__=PageMeta, data=(list[model], ...))
