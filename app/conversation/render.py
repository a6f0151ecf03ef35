"""Prompts to text in a person's language: translate, then fill the placeholders.

Text messages get two more touches, in rendering rather than in the translations so
that translators write plain text: languages configured to be texted in GSM-7 lose the
diacritics GSM-7 lacks (SMS_TRANSLITERATE), and right-to-left languages get a
right-to-left mark before a line that would otherwise be laid out left to right.
"""

import logging
import string
import unicodedata
from functools import lru_cache

from flask import current_app

from app import i18n, languages
from app.conversation.engine import Prompt
from app.conversation.flow import Flow
from app.sms_length import segments, to_gsm7

log = logging.getLogger(__name__)
# RIGHT-TO-LEFT MARK: an invisible strong right-to-left character.
RLM = "\u200f"


class _Values(dict):
    def __missing__(self, key):
        # A missing value must not cost the person their answer; the flow check catches it.
        log.error("prompt placeholder %r has no value", key)
        return ""


@lru_cache(maxsize=64)
def keyword_values(flow: Flow, language: str) -> dict[str, str]:
    """{JOIN} -> "MELD": the first word of each keyword in the person's language.

    Cached: catalogs and flows are read once per process. Callers must not change it.
    """
    values = {}
    msgids = {name: c.keyword for name, c in flow.commands.items() if c.keyword}
    msgids.update({k: flow.opt_out[k] for k in ("stop", "start") if k in flow.opt_out})
    for name, msgid in sorted(msgids.items()):
        words = i18n.keyword_words(language, msgid)
        values[name.upper()] = words[0] if words else msgid.split("|")[0]
    return values


def render(flow: Flow, prompts: list[Prompt], language: str) -> list[str]:
    """Each prompt translated into `language` with its values filled in."""
    keywords = keyword_values(flow, language)
    texts = []
    for prompt in prompts:
        template = i18n.gettext(language, prompt.msgid)
        values = _Values(keywords, languages=i18n.language_menu())
        values.update(prompt.values)
        # A list value starts on a line of its own ("…the number: {languages}").
        text = string.Formatter().vformat(template, (), values).replace(" \n", "\n")
        texts.append(for_sms(text, language) if flow.channel == "sms" else text)
    return texts


def fits(flow: Flow, msgids: list[str], values: dict, language: str, most: int = 2) -> bool:
    """Whether these prompts, as one SMS in `language`, take at most `most` segments."""
    texts = render(flow, [Prompt(m, values) for m in msgids], language)
    return segments("\n".join(t for t in texts if t)) <= most


def for_sms(text: str, language: str) -> str:
    """A text as it is sent by SMS in `language`: GSM-7 letters where configured, and
    right-to-left lines marked so that phones lay them out right to left."""
    if language in current_app.config["SMS_TRANSLITERATE"]:
        text = to_gsm7(text)
    if languages.is_rtl(language):
        text = mark_rtl(text)
    return text


def mark_rtl(text: str) -> str:
    """An RLM before each line that holds right-to-left words but starts with a
    left-to-right one.

    Phones take a line's direction from its first letter, so "JA 45 للتسجيل" or a
    Norwegian title first would be laid out left to right and read backwards by an
    Arabic reader. Latin keywords and digits *inside* a right-to-left line need nothing:
    the bidirectional algorithm keeps "JA 45" together. A line with no right-to-left
    letter (a language menu's "1 Norsk bokmål") is left alone. Each mark costs one UCS-2
    character, so it is added only where the layout would be wrong.
    """
    return "\n".join(RLM + line if _needs_mark(line) else line for line in text.split("\n"))


def _needs_mark(line: str) -> bool:
    first = next((_direction(ch) for ch in line if _direction(ch) in ("L", "R")), None)
    return first == "L" and any(_direction(ch) == "R" for ch in line)


def _direction(ch: str) -> str:
    kind = unicodedata.bidirectional(ch)
    return "R" if kind in ("R", "AL") else kind
