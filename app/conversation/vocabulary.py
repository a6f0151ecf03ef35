"""The keywords of a flow in every enabled language, built from the catalogs once."""

from functools import lru_cache

from app import i18n
from app.conversation.engine import KEY_PREFIX, LANGUAGE_PREFIX
from app.conversation.flow import Flow
from app.conversation.keywords import Vocabulary


@lru_cache(maxsize=16)
def vocabulary(flow: Flow, languages: tuple[str, ...]) -> Vocabulary:
    """The flow's vocabulary in `languages` (see `vocabulary_words`), built once."""
    return Vocabulary(vocabulary_words(flow, languages))


def vocabulary_words(flow: Flow, languages: tuple[str, ...]) -> dict[str, dict[str, list[str]]]:
    """Each command's words in each language; English (the msgids) is always understood.

    Everyone's input is matched against every enabled language, so a Ukrainian who
    texts STOP or a Pole who writes JA 45 is understood. A language's names in every
    enabled language ("polski", "Polish", "البولندية") choose it, wherever they are
    written (`LANGUAGE_PREFIX` + its place in `languages`).
    """
    words: dict[str, dict[str, list[str]]] = {}
    msgids = {name: c.keyword for name, c in flow.commands.items() if c.keyword}
    # On the phone a word may stand for a key ("ja" for 1); the engine maps it to the key.
    msgids.update({KEY_PREFIX + key: msgid for key, msgid in flow.spoken_keys.items()})
    for name, msgid in msgids.items():
        words[name] = {
            lang: i18n.keyword_words(lang, msgid)
            for lang in dict.fromkeys((*languages, i18n.SOURCE_LANGUAGE))
        }
    for index, code in enumerate(languages, 1):
        words[f"{LANGUAGE_PREFIX}{index}"] = i18n.names_for(code, languages)
    return words
