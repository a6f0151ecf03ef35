"""How many SMS segments a text costs: GSM-7 (160/153) or, with one other character, UCS-2.

`to_gsm7` drops the diacritics GSM-7 lacks, for languages configured to be texted so
(SMS_TRANSLITERATE); other scripts (Cyrillic, Arabic, Ge'ez) are always UCS-2.
"""

import math
import unicodedata

# GSM 03.38 basic character set, and the extension set whose characters count twice.
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")
# Letters Unicode does not decompose into a base letter and an accent.
_PLAIN = {
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "ŧ": "t",
    "„": '"', "“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "...",
}  # fmt: skip
# Per segment: (one segment, each segment of a longer message), in units of the encoding.
LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}
# Most segments a notice carrying an activity's or a task's details may take: in UCS-2
# (Cyrillic, Arabic, Ge'ez) two segments are 134 characters, which the details alone
# nearly fill. Replies are held to two in both.
NOTICE_SEGMENTS = {"GSM-7": 2, "UCS-2": 3}


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text)


def encoding(text: str) -> str:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def _units(text: str) -> int:
    if is_gsm7(text):
        return sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
    # UCS-2 counts UTF-16 code units: an emoji outside the BMP takes two.
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """Segments the text is sent in (0 for an empty text)."""
    if not text:
        return 0
    single, multi = LIMITS[encoding(text)]
    units = _units(text)
    return 1 if units <= single else math.ceil(units / multi)


def room(text: str, max_segments: int = 2) -> int:
    """Units still free before `text` needs more than `max_segments` (negative: over)."""
    single, multi = LIMITS[encoding(text)]
    budget = single if max_segments == 1 else multi * max_segments
    return budget - _units(text)


def to_gsm7(text: str) -> str:
    """The text with each character GSM-7 lacks replaced by its plain letter where it has
    one ("Zapisałeś się" -> "Zapisales sie"); characters of other scripts stay as they are.
    """
    out = []
    for ch in text:
        if ch in _GSM_BASIC or ch in _GSM_EXTENDED:
            out.append(ch)
            continue
        if ch in _PLAIN:
            out.append(_PLAIN[ch])
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        out.append(base if base and is_gsm7(base) else ch)
    return "".join(out)
