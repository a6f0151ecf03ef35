"""The languages Samtale can speak, in one table: what each needs from Babel, SMS and Twilio.

Adding a language is a row here and a catalog in `locales/<code>/`; `LANGUAGES` then
enables it. No Flask here: configuration reads this table when it is built.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str  # the catalog's folder and the value of LANGUAGES / Person.language
    babel: str  # CLDR locale for dates, times and numbers (local time zone applied)
    name: str  # its own name, in its own script, as the language menu shows it
    rtl: bool = False  # written right to left
    speech: str | None = None  # Twilio speech recognition (<Gather language>), if any
    say: str | None = None  # Twilio <Say language>, for the voice below
    voice: str | None = None  # default TTS voice (VOICE_<CODE> overrides); None: recordings
    regions: tuple[str, ...] = ()  # phone number countries whose callers hear it offered first
    # Written in GSM-7 by default in SMS (diacritics dropped), as many people in the
    # language text anyway: 160 characters a segment instead of 70. SMS_TRANSLITERATE
    # overrides the set.
    transliterate: bool = False
    # Other names people write for it, besides its name in every enabled language.
    aliases: tuple[str, ...] = ()
    # Readers of this language read the activities' own language (bokmål) without a note.
    reads: tuple[str, ...] = ()


# Neural Polly voices and Google's take SSML <prosody>, which slows speech for elderly
# callers; Twilio has no voice for Somali, Tigrinya, Urdu or Persian (TWILIO_NOTES.md).
# Nynorsk is read by the bokmål voice: the spoken language is the same.
_TABLE = (
    Language("nb", "nb_NO", "Norsk bokmål", speech="nb-NO", say="nb-NO",
             voice="Polly.Ida-Neural", regions=("NO", "SJ"),
             aliases=("norsk", "bokmål", "norwegian"), reads=("nn",)),
    Language("nn", "nn_NO", "Norsk nynorsk", speech="nb-NO", say="nb-NO",
             voice="Polly.Ida-Neural", aliases=("nynorsk",), reads=("nb",)),
    Language("en", "en_GB", "English", speech="en-GB", say="en-GB", voice="Polly.Amy-Neural",
             regions=("GB", "IE", "US", "CA", "AU", "NZ"), aliases=("engelsk",)),
    Language("pl", "pl_PL", "Polski", speech="pl-PL", say="pl-PL", voice="Polly.Ola-Neural",
             regions=("PL",), transliterate=True),
    Language("lt", "lt_LT", "Lietuvių", speech="lt-LT", say="lt-LT",
             voice="Google.lt-LT-Standard-A", regions=("LT",), transliterate=True),
    Language("uk", "uk_UA", "Українська", speech="uk-UA", say="uk-UA",
             voice="Google.uk-UA-Standard-A", regions=("UA",)),
    Language("ar", "ar", "العربية", rtl=True, speech="ar-EG", say="ar-AE",
             voice="Polly.Hala-Neural",
             regions=("SY", "IQ", "EG", "SA", "AE", "JO", "LB", "PS", "SD", "LY", "TN", "DZ",
                      "MA", "YE", "KW", "QA", "BH", "OM"),
             aliases=("عربي", "arabi", "arabic")),
    Language("so", "so_SO", "Soomaali", regions=("SO", "DJ"), aliases=("af soomaali",)),
    Language("ti", "ti_ER", "ትግርኛ", regions=("ER",), aliases=("tigrigna", "tigrinya")),
    Language("ur", "ur_PK", "اردو", rtl=True, speech="ur-PK", regions=("PK",)),
    Language("fa", "fa_IR", "فارسی / دری", rtl=True, speech="fa-IR", regions=("IR", "AF"),
             aliases=("فارسی", "دری", "farsi", "dari")),
)  # fmt: skip
LANGUAGES: dict[str, Language] = {language.code: language for language in _TABLE}
# The order of the numbered language menu unless LANGUAGES says otherwise.
DEFAULT_ORDER = tuple(LANGUAGES)


def get(code: str) -> Language | None:
    """The table's row for a language code, or None for a code it does not know."""
    return LANGUAGES.get(code)


def default_voices() -> dict[str, str]:
    """{code: voice} for every language Twilio can speak."""
    return {code: lang.voice for code, lang in LANGUAGES.items() if lang.voice}


def for_region(region: str | None, enabled: list[str] | tuple[str, ...]) -> str | None:
    """The enabled language a phone number's country suggests (+48 -> pl), if any."""
    for code in enabled:
        language = LANGUAGES.get(code)
        if language and region in language.regions:
            return code
    return None


def is_rtl(code: str) -> bool:
    language = LANGUAGES.get(code)
    return bool(language and language.rtl)
