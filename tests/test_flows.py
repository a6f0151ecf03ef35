"""The flow files and catalogs: complete, within budget, and checked by `flows check`."""

import shutil

import pytest

from app.conversation.check import check
from app.conversation.flow import FlowError, get_flow, load_flow
from app.services.optout import RESERVED


def test_flows_check_passes_and_prints_a_summary(runner, caplog):
    result = runner.invoke(args=["flows", "check"])
    assert result.exit_code == 0, result.output
    # A placeholder without a sample value would be measured as empty, hiding its length.
    assert "has no value" not in caplog.text
    lines = [line.split() for line in result.output.splitlines()]
    nb = next(line for line in lines if line and line[0] == "nb")
    done, total = nb[1].split("/")
    assert done == total and int(nb[2]) <= 2


def test_an_untranslated_prompt_is_reported(app, tmp_path):
    broken = tmp_path / "sms.yaml"
    text = get_flow("sms").path.read_text(encoding="utf-8")
    broken.write_text(text.replace("Your sign-ups:", "Your sign-ups, all of them:"), "utf-8")
    with app.app_context():
        report = check(load_flow(broken), ["nb", "en"])
    assert any("[nb] not translated" in p and "command my" in p for p in report.problems)


def test_an_overlong_prompt_is_reported(app, tmp_path):
    broken = tmp_path / "sms.yaml"
    text = get_flow("sms").path.read_text(encoding="utf-8")
    broken.write_text(text.replace("Your sign-ups:", "Your sign-ups: " + "x" * 300), "utf-8")
    with app.app_context():
        report = check(load_flow(broken), ["en"])
    assert any("SMS segments" in p for p in report.problems)


def test_a_state_that_cannot_be_reached_is_reported(app, tmp_path):
    broken = tmp_path / "sms.yaml"
    text = get_flow("sms").path.read_text(encoding="utf-8")
    broken.write_text(text + "\n", "utf-8")
    flow = load_flow(broken)
    flow.states["orphan"] = flow.states["menu"].__class__("orphan", ["Hi"], {})
    with app.app_context():
        report = check(flow, ["en"])
    assert "sms.yaml: state orphan cannot be reached" in report.problems


def test_a_flow_pointing_at_a_missing_state_does_not_load(tmp_path):
    broken = tmp_path / "sms.yaml"
    shutil.copy(get_flow("sms").path, broken)
    broken.write_text(broken.read_text("utf-8").replace("next: listing", "next: nowhere"), "utf-8")
    with pytest.raises(FlowError, match="nowhere"):
        load_flow(broken)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_no_keyword_alone_is_a_twilio_word_with_another_meaning(app, language):
    from app import i18n
    from app.conversation.keywords import normalise

    flow = get_flow("sms")
    for command in flow.commands.values():
        if not command.keyword or command.takes or command.name == "help":
            continue
        for word in i18n.keyword_words(language, command.keyword):
            assert normalise(word) not in RESERVED, (command.name, word)
