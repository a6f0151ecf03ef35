"""The keywords of a flow in every enabled language, built from the catalogs once."""

from functools import lru_cache

from app import i18n
from app.conversation.flow import Flow
from app.conversation.keywords import Vocabulary


@lru_cache(maxsize=16)
def vocabulary(flow: Flow, languages: tuple[str, ...]) -> Vocabulary:
    """Each command's words in each language; English (the msgids) is always understood."""
    words: dict[str, dict[str, list[str]]] = {}
    for name, command in flow.commands.items():
        if not command.keyword:
            continue
        words[name] = {
            lang: i18n.keyword_words(lang, command.keyword)
            for lang in dict.fromkeys((*languages, i18n.SOURCE_LANGUAGE))
        }
    return Vocabulary(words)
