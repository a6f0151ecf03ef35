"""The keywords of a flow in every enabled language, built from the catalogs once."""

from functools import lru_cache

from app import i18n
from app.conversation.engine import KEY_PREFIX
from app.conversation.flow import Flow
from app.conversation.keywords import Vocabulary


@lru_cache(maxsize=16)
def vocabulary(flow: Flow, languages: tuple[str, ...]) -> Vocabulary:
    """Each command's words in each language; English (the msgids) is always understood."""
    words: dict[str, dict[str, list[str]]] = {}
    msgids = {name: c.keyword for name, c in flow.commands.items() if c.keyword}
    # On the phone a word may stand for a key ("ja" for 1); the engine maps it to the key.
    msgids.update({KEY_PREFIX + key: msgid for key, msgid in flow.spoken_keys.items()})
    for name, msgid in msgids.items():
        words[name] = {
            lang: i18n.keyword_words(lang, msgid)
            for lang in dict.fromkeys((*languages, i18n.SOURCE_LANGUAGE))
        }
    return Vocabulary(words)
