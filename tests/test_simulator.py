"""The phone simulator: a page, a thread per number, and sending through handle_sms."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import Message, Person
from app.timeutil import utcnow

PHONE = "+4791234567"
OTHER = "+4798765432"
SIMULATOR = {"X-Requested-With": "simulator"}


def _person_with_messages(phone: str, texts: list[tuple[str, str, str]]) -> None:
    person = Person(phone=phone)
    db.session.add(person)
    db.session.flush()
    start = utcnow() - timedelta(minutes=10)
    for minute, (direction, body, status) in enumerate(texts):
        db.session.add(
            Message(
                person_id=person.id,
                direction=direction,
                body=body,
                status=status,
                created_at=start + timedelta(minutes=minute),
            )
        )
    db.session.commit()


def test_page_renders_a_labelled_phone(client):
    response = client.get("/simulator/")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<label for="phone">' in html and 'id="phone"' in html
    assert '<label for="body">' in html and 'id="body"' in html
    assert 'aria-live="polite"' in html
    assert PHONE in html


def test_page_shows_the_thread_of_the_number_asked_for(client, ctx):
    _person_with_messages(OTHER, [("in", "HJELP", "received")])

    html = client.get("/simulator/", query_string={"phone": OTHER}).get_data(as_text=True)

    assert "HJELP" in html


def test_thread_lists_both_directions_oldest_first_for_that_number_only(client, ctx):
    _person_with_messages(
        PHONE,
        [
            ("in", "AKTIVITETER", "received"),
            ("out", "Strikkekafé ons 11:00", "replied"),
            ("out", "Du har fått plass!", "delivered"),
        ],
    )
    _person_with_messages(OTHER, [("in", "not for you", "received")])

    # A number written the local way is the same person.
    response = client.get("/simulator/thread?phone=912 34 567", headers=SIMULATOR)

    assert response.status_code == 200
    data = response.get_json()
    assert data["phone"] == PHONE
    assert [(m["direction"], m["body"], m["status"]) for m in data["messages"]] == [
        ("in", "AKTIVITETER", "received"),
        ("out", "Strikkekafé ons 11:00", "replied"),
        ("out", "Du har fått plass!", "delivered"),
    ]
    assert all(m["local_time"] and m["created_at"] for m in data["messages"])


def test_thread_of_an_unknown_number_is_empty(client):
    response = client.get("/simulator/thread", query_string={"phone": OTHER}, headers=SIMULATOR)

    assert response.status_code == 200
    assert response.get_json() == {"phone": OTHER, "messages": []}


@pytest.mark.parametrize("phone", ["", "12", "not a number", "+47 123"])
def test_thread_refuses_an_invalid_number(client, phone):
    response = client.get("/simulator/thread", query_string={"phone": phone}, headers=SIMULATOR)

    assert response.status_code == 400
    assert "error" in response.get_json()


def test_thread_without_the_simulator_header_is_refused(client):
    response = client.get("/simulator/thread", query_string={"phone": PHONE})

    assert response.status_code == 403


def test_send_without_the_simulator_header_is_refused(client, ctx):
    response = client.post("/simulator/send", json={"phone": PHONE, "body": "HJELP"})

    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_a_cross_site_form_post_is_refused(client, ctx):
    response = client.post("/simulator/send", data={"phone": PHONE, "body": "STOPP"})

    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"phone": "12", "body": "HJELP"},
        {"phone": PHONE, "body": "x" * 1601},
        {"phone": PHONE, "body": None},
        ["not", "an", "object"],
    ],
)
def test_send_refuses_bad_input_before_the_service_sees_it(client, ctx, payload):
    response = client.post("/simulator/send", json=payload, headers=SIMULATOR)

    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_send_texts_the_service_and_the_reply_is_in_the_thread(client):
    response = client.post(
        "/simulator/send", json={"phone": "912 34 567", "body": "HJELP"}, headers=SIMULATOR
    )

    assert response.status_code == 200, response.data
    data = response.get_json()
    assert data["phone"] == PHONE
    assert data["replies"] and all(reply.strip() for reply in data["replies"])
    inbound = [m for m in data["messages"] if m["direction"] == "in"]
    outbound = [m["body"] for m in data["messages"] if m["direction"] == "out"]
    assert [m["body"] for m in inbound] == ["HJELP"]
    assert set(data["replies"]) <= set(outbound)

    polled = client.get("/simulator/thread", query_string={"phone": PHONE}, headers=SIMULATOR)
    assert polled.get_json()["messages"] == data["messages"]


def test_the_simulator_is_absent_unless_enabled():
    app = create_app({"TESTING": True, "SIMULATOR_ENABLED": False})

    assert app.test_client().get("/simulator/").status_code == 404
