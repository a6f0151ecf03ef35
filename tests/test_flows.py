"""The flow files and catalogs: complete, within budget, and checked by `flows check`."""

import shutil

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from app import i18n
from app.conversation.check import check, check_all, code_texts
from app.conversation.flow import FlowError, get_flow, load_flow
from app.services.optout import RESERVED


def test_flows_check_passes_and_prints_a_summary(runner, caplog):
    """Every enabled language (all eleven): fails until every catalog is complete."""
    result = runner.invoke(args=["flows", "check"])
    assert result.exit_code == 0, result.output
    # A placeholder without a sample value would be measured as empty, hiding its length.
    assert "has no value" not in caplog.text
    lines = [line.split() for line in result.output.splitlines()]
    nb = next(line for line in lines if line and line[0] == "nb")
    done, total = nb[1].split("/")
    assert done == total and int(nb[2]) == int(done) and int(nb[4]) <= 2


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


# --- each rule of the check, on a small flow and catalogs of the test's own -------------------

FIXTURE = """
flow: sms
start: menu
home: menu
commands:
  hello:
    keyword: "HELLO"
    say:
      ok: ["Hello {name}, reply {BYE}."]
  bye:
    keyword: "BYE"
    next: end
  back:
    keyword: "BACK"
    next: menu
  choose_language:
    action: set_language
    say:
      chosen: ["Chosen."]
      not_offered: ["Not offered."]
opt_out:
  stop: "STOP"
  start: "START"
states:
  menu:
    say: ["Menu."]
    digits: {"1": bye}
  end:
    say: ["The end."]
    digits: {}
unknown:
  - ["Sorry."]
stuck:
  say:
    ok: ["Stuck."]
"""
COMPLETE = {
    "Hello {name}, reply {BYE}.": "Cześć {name}, odpisz {BYE}.", "Chosen.": "Wybrano.",
    "Not offered.": "Nie ma.", "Menu.": "Menu.", "The end.": "Koniec.", "Sorry.": "Przepraszamy.",
    "Stuck.": "Utknęło.", ("keyword", "HELLO"): "CZESC", ("keyword", "BYE"): "PA",
    ("keyword", "BACK"): "WROC", ("keyword", "STOP"): "STOP|KONIEC",
    ("keyword", "START"): "START",
}  # fmt: skip


def _clear_caches():
    from app.conversation import render, vocabulary
    from app.services import optout

    i18n.clear_caches()
    render.keyword_values.cache_clear()
    vocabulary.vocabulary.cache_clear()
    optout._words.cache_clear()


@pytest.fixture
def catalogs(tmp_path, monkeypatch):
    """write(language, {msgid or (context, msgid): text}, unreviewed=[keys]) in a locales
    folder of the test's own, which the app then reads instead of locales/."""
    root = tmp_path / "locales"
    monkeypatch.setattr(i18n, "LOCALES_DIR", root)
    _clear_caches()

    def write(language: str, entries: dict, unreviewed=()) -> None:
        catalog = Catalog(locale=language)
        for key, text in entries.items():
            context, msgid = key if isinstance(key, tuple) else (None, key)
            flags = ["unreviewed"] if key in unreviewed else []
            catalog.add(msgid, text, context=context, flags=flags)
        folder = root / language / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "messages.po").open("wb") as po:
            write_po(po, catalog)
        _clear_caches()

    yield write
    monkeypatch.undo()
    _clear_caches()


@pytest.fixture
def fixture_flow(tmp_path):
    def make(old: str = "", new: str = ""):
        path = tmp_path / "sms.yaml"
        assert old in FIXTURE
        path.write_text(FIXTURE.replace(old, new, 1), "utf-8")
        return load_flow(path)

    return make


def run(app, flow, languages, **config):
    app.config.update(config)
    with app.app_context():
        return check(flow, languages)


def test_a_complete_flow_has_no_problems_and_counts_reviewed_translations(
    app, catalogs, fixture_flow
):
    catalogs("pl", COMPLETE, unreviewed=["Menu.", ("keyword", "BYE")])
    catalogs("nb", {"Menu.": "Meny."}, unreviewed=["Menu."])

    report = run(app, fixture_flow(), ["en", "pl"])

    assert report.problems == []
    pl = report.summary["pl"]
    assert (pl.translated, pl.total, pl.reviewed, pl.unreviewed) == (12, 12, 10, 2)
    assert pl.longest == 1
    nb = run(app, fixture_flow(), ["nb"]).summary["nb"]
    assert (nb.translated, nb.reviewed) == (1, 1)  # the team's own: reviewed as written


def test_a_missing_translation_names_file_place_language_and_text(app, catalogs, fixture_flow):
    catalogs("pl", {k: v for k, v in COMPLETE.items() if k != "Menu."})

    problems = run(app, fixture_flow(), ["pl"]).problems

    assert problems == ['sms.yaml: state menu: [pl] not translated: "Menu."']


def test_a_missing_keyword_translation_is_reported(app, catalogs, fixture_flow):
    catalogs("pl", {k: v for k, v in COMPLETE.items() if k != ("keyword", "BACK")})

    problems = run(app, fixture_flow(), ["pl"]).problems

    assert problems == ['sms.yaml: keyword back: [pl] not translated: "BACK"']


def test_a_placeholder_that_differs_is_reported(app, catalogs, fixture_flow):
    catalogs("pl", {**COMPLETE, "Hello {name}, reply {BYE}.": "Cześć {imie}, odpisz {BYE}."})

    problems = run(app, fixture_flow(), ["pl"]).problems

    assert problems == ["sms.yaml: command hello, ok: [pl] placeholders differ: "
                        "['BYE', 'name'] vs ['BYE', 'imie']"]  # fmt: skip


def test_ucs2_is_held_to_134_characters_where_gsm7_has_306(app, catalogs, fixture_flow):
    catalogs("uk", {**COMPLETE, "The end.": "ж" * 135})
    catalogs("so", {**COMPLETE, "The end.": "x" * 300})

    report = run(app, fixture_flow(), ["uk", "so"])

    assert report.problems == ["sms.yaml: state end: [uk] 3 SMS segments (at most 2)"]
    assert report.summary["so"].longest == 2


def test_transliterated_languages_are_measured_as_sent(app, catalogs, fixture_flow):
    catalogs("pl", {**COMPLETE, "The end.": "Zażółć gęślą jaźń. " * 14})  # 266 characters

    assert run(app, fixture_flow(), ["pl"], SMS_TRANSLITERATE=["pl"]).problems == []
    problems = run(app, fixture_flow(), ["pl"], SMS_TRANSLITERATE=[]).problems
    assert problems == ["sms.yaml: state end: [pl] 4 SMS segments (at most 2)"]


def test_a_keyword_with_two_meanings_in_one_language_is_reported(app, catalogs, fixture_flow):
    catalogs("pl", {**COMPLETE, ("keyword", "BYE"): "PA|CZESC"})

    problems = run(app, fixture_flow(), ["pl"]).problems

    assert problems == ["sms.yaml: [pl] keyword 'czesc' means bye [pl] and hello [pl]"]


def test_a_keyword_with_two_meanings_across_languages_is_reported(app, catalogs, fixture_flow):
    catalogs("pl", {**COMPLETE, ("keyword", "HELLO"): "TAK"})
    catalogs("uk", {**COMPLETE, ("keyword", "BYE"): "TAK"})

    problems = run(app, fixture_flow(), ["pl", "uk"]).problems

    assert problems == ["sms.yaml: keyword 'tak' means bye [uk] and hello [pl] across languages"]


def test_a_keyword_that_is_a_languages_name_or_an_opt_out_word_is_reported(
    app, catalogs, fixture_flow
):
    catalogs("pl", {**COMPLETE, ("keyword", "BYE"): "POLSKI", ("keyword", "HELLO"): "KONIEC"})

    problems = run(app, fixture_flow(), ["en", "pl"]).problems

    assert ("sms.yaml: [pl] keyword 'polski' means bye [pl] and the language menu's "
            "choice 2 [pl]") in problems  # fmt: skip
    assert "sms.yaml: [pl] keyword 'koniec' means hello [pl] and opt-stop [pl]" in problems


def test_a_keyword_alone_that_twilio_acts_on_is_reported(app, catalogs, fixture_flow):
    catalogs("pl", {**COMPLETE, ("keyword", "BACK"): "END"})

    problems = run(app, fixture_flow(), ["pl"]).problems

    assert problems == ["sms.yaml: command back: [pl] 'END' alone is a Twilio "
                        "opt-out/opt-in/help word"]  # fmt: skip


def test_a_state_with_no_way_out_is_reported(app, catalogs, fixture_flow):
    catalogs("pl", COMPLETE)
    flow = fixture_flow("  back:\n    keyword: \"BACK\"\n    next: menu\n", "")

    problems = run(app, flow, ["en"]).problems

    assert problems == ["sms.yaml: state end has no way out"]


def test_resident_texts_in_code_are_found_and_staff_ones_left_out():
    texts = {msgid: where for where, msgid in code_texts()}

    assert texts["(in Norwegian)"].startswith("app/services/activity_translations.py:")
    assert texts["(and {count} more)"].startswith("app/conversation/actions.py:")
    assert texts["For {language}, press {digit}."].startswith("app/channels/voice_twiml.py:")
    assert "This call could not be connected." not in texts  # voice_bridge: staff hear it
    assert "The title needs 1 to {most} characters." not in texts  # "# staff:" comment
    assert not any(w.startswith("app/staff/") for w in texts.values())


def test_an_untranslated_text_in_code_is_reported(app, catalogs, fixture_flow):
    catalogs("pl", COMPLETE)
    with app.app_context():
        problems = check_all([fixture_flow()], ["pl"]).problems
    line = next(p for p in problems if '"(in Norwegian)"' in p)
    assert line.startswith("app/services/activity_translations.py:")
    assert line.endswith(': [pl] not translated: "(in Norwegian)"')


@pytest.mark.parametrize("old, new, choices", [("per_step: 3", "per_step: 4", 5),
                                               ("    per_step: 3\n", "", 11)])  # fmt: skip
def test_a_phone_language_menu_with_too_many_keys_a_step_is_reported(app, tmp_path, old, new,
                                                                     choices):  # fmt: skip
    text = get_flow("voice").path.read_text("utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    if not new:  # no steps: the `more` prompt has nothing to do
        text = text.replace('    more: ["For more languages, press {digit}."]\n', "", 1)
    path = tmp_path / "voice.yaml"
    path.write_text(text, "utf-8")
    languages = ["nb", "nn", "en", "pl", "lt", "uk", "ar", "so", "ti", "ur", "fa"]
    with app.app_context():
        problems = check(load_flow(path), languages).problems
    assert any(f"state language offers {choices} choices" in p for p in problems), problems


def test_the_phone_language_menu_in_steps_of_three_passes(app):
    languages = ["nb", "nn", "en", "pl", "lt", "uk", "ar", "so", "ti", "ur", "fa"]
    with app.app_context():
        problems = check(get_flow("voice"), languages).problems
    assert not [p for p in problems if "choices" in p or "reached" in p or "way out" in p]


def test_flows_check_exits_non_zero_and_names_what_is_missing(app, runner, catalogs):
    app.config["LANGUAGES"] = ["en", "pl"]
    catalogs("pl", {"Menu.": "Menu."})

    result = runner.invoke(args=["flows", "check"])

    assert result.exit_code == 1
    assert 'PROBLEM sms.yaml: keyword menu: [pl] not translated: "MENU|HI|HELLO"' in result.output
    assert "PROBLEM voice.yaml: state menu: [pl] not translated: " in result.output
    header, en, pl = result.output.splitlines()[:3]
    assert header.split()[:4] == ["language", "translated", "reviewed", "unreviewed"]
    assert pl.split()[1].startswith("0/")
