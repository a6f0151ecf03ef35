"""Every process must sign with the same key: with real credentials, SECRET_KEY is required."""

import pytest

from app import create_app
from app.config import Config

CREDENTIALS = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "token"}


def test_real_credentials_without_a_secret_key_refuse_to_start(monkeypatch):
    monkeypatch.setattr(Config, "SECRET_KEY_FROM_ENV", False)  # as if the variable were unset
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({**CREDENTIALS, "TESTING": True})


def test_a_given_secret_key_lets_it_start():
    app = create_app({**CREDENTIALS, "TESTING": True, "SECRET_KEY": "a fixed key"})
    assert app.config["SECRET_KEY"] == "a fixed key"


def test_simulator_mode_starts_with_a_key_of_its_own():
    app = create_app({"TESTING": True})
    assert app.config["SIMULATOR_MODE"] and len(app.config["SECRET_KEY"]) >= 32
