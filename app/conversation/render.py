"""Prompts to text in a person's language: translate, then fill the placeholders."""

import logging
import string
from functools import lru_cache

from app import i18n
from app.conversation.engine import Prompt
from app.conversation.flow import Flow

log = logging.getLogger(__name__)


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
        texts.append(string.Formatter().vformat(template, (), values))
    return texts
