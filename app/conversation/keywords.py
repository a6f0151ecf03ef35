"""Turn what a person typed into a command, a number, or nothing we know.

Forgiving by design: case, accents, surrounding punctuation, a missing space
(`Meld12`), a `#` before the number and one slipped key (`AKTIVITTER`) are all fine.
"""

import re
import unicodedata
from dataclasses import dataclass

# Letters people type without a Norwegian keyboard; Unicode does not decompose these.
# Arabic-script letters that people write one for the other, depending on keyboard and
# country (Persian and Urdu yeh and kaf, alef maksura, teh marbuta, heh forms), and the
# tatweel that only stretches a word: each the same letter here.
_FOLD = str.maketrans({
    "ø": "o", "æ": "ae", "đ": "d", "ł": "l", "ı": "i",
    "ی": "ي", "ى": "ي", "ک": "ك", "ة": "ه", "ۀ": "ه", "ہ": "ه", "ھ": "ه", "ـ": None,
})  # fmt: skip
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
# Only the first part of a long message can hold a command.
_PARSE_LIMIT = 200


def normalise(text: str) -> str:
    """Lower case, no accents or vowel marks, any script's digits as 0-9, words separated
    by one space. The same for keywords and for what people type, so they meet.

    Digits: Arabic-Indic (٤٥), Persian (۴۵), full-width and every other Unicode decimal
    digit read as 0-9; Ge'ez numerals ፩-፱ as 1-9. Invisible format characters (direction
    marks) are dropped; the Persian zero-width non-joiner separates like a space, which
    is what people without a Persian keyboard type in its place.
    """
    text = unicodedata.normalize("NFKC", text[:_PARSE_LIMIT]).casefold().replace("\u200c", " ")
    chars = []
    for ch in unicodedata.normalize("NFD", text):
        category = unicodedata.category(ch)
        if category in ("Mn", "Cf"):
            continue  # a combining accent or vowel mark (harakat), or an invisible mark
        digit = unicodedata.decimal(ch, None)
        if digit is None and "\u1369" <= ch <= "\u1371":
            digit = unicodedata.digit(ch, None)
        chars.append(str(digit) if digit is not None else ch)
    text = "".join(chars).translate(_FOLD)
    text = re.sub(r"[^\w]+|_", " ", text)
    return " ".join(_LETTER_DIGIT.sub(" ", text).split())


@dataclass(frozen=True)
class Parsed:
    """What a message means. `command` is None for a bare number or for unknown text."""

    command: str | None = None
    number: int | None = None
    language: str | None = None  # the language whose keyword matched, when only one did
    empty: bool = False


@dataclass(frozen=True)
class _Entry:
    command: str
    languages: frozenset[str]


class Vocabulary:
    """Every keyword of every enabled language, normalised, mapped to its command."""

    def __init__(self, words: dict[str, dict[str, list[str]]], no_typos: set[str] = frozenset()):
        """`words[command][language]` lists the words; `no_typos` are never guessed at."""
        found: dict[str, dict[str, set[str]]] = {}
        for command, by_language in words.items():
            for language, variants in by_language.items():
                for word in variants:
                    key = normalise(word)
                    if key:
                        found.setdefault(key, {}).setdefault(command, set()).add(language)
        self._phrases: dict[str, _Entry] = {}
        self.collisions: list[tuple[str, set[str]]] = []
        for key, commands in found.items():
            if len(commands) > 1:
                self.collisions.append((key, set(commands)))
            command = sorted(commands)[0]
            self._phrases[key] = _Entry(command, frozenset(commands[command]))
        self._longest = max((len(k.split()) for k in self._phrases), default=1)
        self._no_typos = {normalise(w) for w in no_typos}

    def parse(self, text: str) -> Parsed:
        words = normalise(text).split()
        if not words:
            return Parsed(empty=True)
        if len(words) == 1 and words[0].isdigit():
            return Parsed(number=_to_int(words[0]))
        for size in range(min(self._longest, len(words)), 0, -1):
            entry = self._phrases.get(" ".join(words[:size]))
            if entry:
                return self._parsed(entry, words[size:])
        entry = self._near(words[0])
        return self._parsed(entry, words[1:]) if entry else Parsed()

    def _parsed(self, entry: _Entry, rest: list[str]) -> Parsed:
        number = next((_to_int(w) for w in rest if w.isdigit()), None)
        language = next(iter(entry.languages)) if len(entry.languages) == 1 else None
        return Parsed(command=entry.command, number=number, language=language)

    def _near(self, word: str) -> _Entry | None:
        """The one keyword within a slipped key of `word`, if exactly one is."""
        if len(word) < 4 or word.isdigit():
            return None
        limit = 1 if len(word) < 8 else 2
        best: dict[str, _Entry] = {}
        best_distance = limit + 1
        for key, entry in self._phrases.items():
            if " " in key or key in self._no_typos or abs(len(key) - len(word)) > limit:
                continue
            distance = _edit_distance(word, key, limit)
            if distance < best_distance:
                best, best_distance = {entry.command: entry}, distance
            elif distance == best_distance:
                best[entry.command] = entry
        return next(iter(best.values())) if len(best) == 1 else None


def _to_int(digits: str) -> int | None:
    # A 40-digit "number" is not a code; keep it from growing into a huge int.
    return int(digits) if len(digits) <= 9 else None


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of two letters counts once), capped."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
