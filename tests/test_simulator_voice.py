"""The simulator's phone call: a keypad on the page that drives the same voice code."""

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import Call, CallbackRequest, Person, SignUp
from tests import factories

PHONE = "+4791234567"
SIMULATOR = {"X-Requested-With": "simulator"}


@pytest.fixture
def phone(client):
    """Start a simulated call and step through it: `phone.start()`, `phone.step(digits=…)`."""

    class Phone:
        data: dict = {}

        def start(self, number=PHONE):
            response = client.post("/simulator/call", json={"phone": number}, headers=SIMULATOR)
            assert response.status_code == 200, response.data
            self.data = response.get_json()
            return self

        def step(self, **answer):
            body = {"phone": PHONE, "call_sid": self.data["call_sid"], "url": self.data["url"],
                    **answer}  # fmt: skip
            response = client.post("/simulator/call/step", json=body, headers=SIMULATOR)
            assert response.status_code == 200, response.data
            self.data = response.get_json()
            return self

        @property
        def text(self) -> str:
            return " ".join(part["text"] for part in self.data["said"])

    return Phone()


def known(language="nb"):
    db.session.add(Person(phone=PHONE, language=language))
    db.session.commit()


def test_the_page_has_a_keypad_and_a_call_button(client):
    html = client.get("/simulator/").get_data(as_text=True)

    assert 'id="call-start"' in html and 'role="group" aria-label="Keypad"' in html
    for key in "1234567890":
        assert f'data-key="{key}"' in html
    assert 'aria-label="star"' in html and 'aria-label="hash"' in html
    assert 'id="call-silence"' in html and "speechSynthesis" in html


def test_a_call_shows_what_is_said_with_its_language(ctx, phone):
    data = phone.start().data

    assert data["call_sid"].startswith("CAsim") and data["waits_for"] == "keys"
    assert data["url"].endswith("/twilio/voice/step?n=1") and data["speech"] is True
    assert {"text": "For English, press 3.", "language": "en-GB"} in data["said"]
    assert {"text": "For norsk, trykk 1.", "language": "nb-NO"} in data["said"]
    assert db.session.scalar(sa.select(Call.call_sid)) == data["call_sid"]


def test_keys_walk_a_sign_up(ctx, phone):
    factories.occurrence("Strikkekafé", capacity=5)

    phone.start().step(digits="1")
    assert phone.text.startswith("Trykk 1 for å høre hva som skjer.")
    assert phone.step(digits="1").text.startswith("Strikkekafé.")
    phone.step(digits="1")

    assert phone.text.startswith("Du er påmeldt Strikkekafé")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignUp)) == 1


def test_silence_and_speech(ctx, phone):
    known()

    assert phone.start().step().text.startswith("Jeg hørte ikke noe.")
    assert phone.step(speech="stjerne").text.startswith("Velkommen til Samtale.")  # again


def test_the_way_to_a_person_is_simulated_too(ctx, app, phone):
    app.config.update(STAFF_PHONE="+4791999999", OPENING_HOURS="mon-sun 00:00-24:00")
    known()

    assert phone.start().step(digits="0").data["waits_for"] == "staff"
    assert phone.step(dial_status="no-answer").data["waits_for"] == "message"
    data = phone.step().data

    assert data["waits_for"] == "nothing" and data["url"] is None
    assert phone.text.startswith("Takk. En person ringer deg")
    request = db.session.scalar(sa.select(CallbackRequest))
    assert (request.channel, request.recording_url) == ("voice", None)


@pytest.mark.parametrize(
    "body",
    [
        {"phone": PHONE, "call_sid": "CAsimx", "url": "https://evil.example/twilio/voice/step?n=1"},
        {"phone": PHONE, "call_sid": "CAsimx", "url": "/elsewhere"},
        {"phone": PHONE, "call_sid": "CA123real", "url": "/twilio/voice/step?n=1"},
        {"phone": PHONE, "call_sid": "CAsimx", "url": "/twilio/voice/step?n=1", "digits": 5},
        {"phone": "12", "call_sid": "CAsimx", "url": "/twilio/voice/step?n=1"},
        ["not", "an", "object"],
    ],
)
def test_a_step_that_is_not_a_simulated_call_is_refused(ctx, client, body):
    response = client.post("/simulator/call/step", json=body, headers=SIMULATOR)

    assert response.status_code == 400 and "error" in response.get_json()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Call)) == 0


@pytest.mark.parametrize("path", ["/simulator/call", "/simulator/call/step"])
def test_calls_without_the_simulator_header_are_refused(ctx, client, path):
    assert client.post(path, json={"phone": PHONE}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Call)) == 0


def test_a_bad_number_cannot_call(ctx, client):
    response = client.post("/simulator/call", json={"phone": "12"}, headers=SIMULATOR)

    assert response.status_code == 400


def test_the_call_simulator_is_absent_unless_enabled():
    app = create_app({"TESTING": True, "SIMULATOR_ENABLED": False})

    assert app.test_client().post("/simulator/call", headers=SIMULATOR).status_code == 404
