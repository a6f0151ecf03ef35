"""flows/voice.yaml under `flows check`: short menus, every state reachable, translated."""

import pytest

from app.conversation.check import check
from app.conversation.flow import FlowError, get_flow, load_flow

LONG_MENU = '{"1": activities, "2": my}'


def broken(tmp_path, old: str, new: str):
    text = get_flow("voice").path.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "voice.yaml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return load_flow(path)


def test_the_voice_flow_passes_the_check(app):
    with app.app_context():
        report = check(get_flow("voice"), ["nb", "en"])
    assert report.problems == []
    summary = report.summary["nb"]
    assert summary.translated == summary.total > 30


def test_a_menu_of_more_than_four_choices_is_reported(app, tmp_path):
    flow = broken(tmp_path, LONG_MENU, '{"1": activities, "2": my, "3": my, "4": my, "5": my}')
    with app.app_context():
        problems = check(flow, ["en"]).problems
    assert "voice.yaml: state menu offers 5 choices (at most 4 besides 0 and *)" in problems


def test_a_state_that_takes_zero_or_star_for_itself_is_reported(app, tmp_path):
    flow = broken(tmp_path, LONG_MENU, '{"1": activities, "*": my}')
    with app.app_context():
        problems = check(flow, ["en"]).problems
    assert any("state menu takes ['*']" in p for p in problems)


def test_zero_must_lead_to_a_person(app, tmp_path):
    flow = broken(tmp_path, '"0": person', '"0": my')
    with app.app_context():
        problems = check(flow, ["en"]).problems
    assert "voice.yaml: key '0' must handoff in every state" in problems


def test_an_unreachable_voice_state_is_reported(app, tmp_path):
    flow = broken(tmp_path, '"3": previous_signup, ', "")
    with app.app_context():
        problems = check(flow, ["en"]).problems
    assert problems == []  # still reachable through the other digits
    flow = broken(tmp_path, "next: {ask: confirm_cancel}", "next: {}")
    with app.app_context():
        problems = check(flow, ["en"]).problems
    assert "voice.yaml: state confirm_cancel cannot be reached" in problems


def test_an_untranslated_voice_prompt_is_reported(app, tmp_path):
    flow = broken(tmp_path, "I did not hear anything.", "I heard nothing at all.")
    with app.app_context():
        problems = check(flow, ["nb"]).problems
    assert any("silence #1: [nb] not translated" in p for p in problems)


def test_long_spoken_prompts_are_not_counted_as_sms(app, tmp_path):
    flow = broken(tmp_path, "I did not hear anything.", "I did not hear anything. " + "x" * 400)
    with app.app_context():
        problems = check(flow, ["en"]).problems
    assert not any("SMS segments" in p for p in problems)


def test_a_key_leading_nowhere_does_not_load(tmp_path):
    with pytest.raises(FlowError, match="key '0' leads to unknown"):
        broken(tmp_path, '"0": person', '"0": nobody')


def test_a_variant_naming_no_state_does_not_load(tmp_path):
    with pytest.raises(FlowError, match="variant of 'menu'"):
        broken(tmp_path, "use: menu_volunteer", "use: nowhere")
