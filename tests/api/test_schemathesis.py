"""Schemathesis against the live app (WSGI): generated requests for every operation in the
OpenAPI document, valid and invalid ones, with a token holding every scope. No answer may
be a 5xx, and every answer must match the document: its status, content type and schema.

Schemathesis' own pytest integration (`from_fixture`) does not run under this pytest, so
the test walks the operations itself with each one's Hypothesis strategy.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.extensions import db
from app.services import callbacks, people
from tests import factories
from tests.api.conftest import ALL_SCOPES

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip
# Examples per operation and mode: enough to find a 5xx, small enough for a quick suite.
EXAMPLES = 6


@pytest.fixture
def seeded(app):
    """Some data for the generated ids to find now and then."""
    app.config["QUIET_HOURS"] = "0-0"
    with app.app_context():
        factories.occurrence(capacity=2)
        factories.volunteer("+4791234501", "Anne")
        factories.task(description="Skyss.")
        callbacks.request_callback(people.find_or_create("+4791234567"), "nb", "asked")
        db.session.commit()


@pytest.mark.slow
def test_every_operation_answers_as_documented(app, seeded, make_token):
    bearer = {"Authorization": f"Bearer {make_token(*ALL_SCOPES)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(mode, headers=bearer))
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            def check(case):
                response = case.call(headers=bearer)
                case.validate_response(response, checks=CHECKS, headers=bearer)

            try:
                check()
            except Unsatisfiable:
                pass  # nothing invalid to send (a path that takes any text)
            except Exception as error:  # noqa: BLE001 - gathered, so every operation runs
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): "
                                f"{str(error)[:1500]}")  # fmt: skip
    assert operations >= 29
    assert not failures, "\n\n".join(failures)
