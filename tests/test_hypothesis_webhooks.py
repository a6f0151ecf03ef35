"""Property tests through the real webhooks: any text, any keys, any speech, any extra
fields Twilio might add, in any conversation state, always get 200 and valid TwiML in
the person's own language, never a 500 and never an apology for an error of ours.

Each example is a new number, so examples neither share a conversation nor count
towards one number's flood limit.
"""

import itertools
import re
from functools import cache
from xml.etree import ElementTree

import sqlalchemy as sa
from babel.messages.pofile import read_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import i18n
from app.conversation.flow import get_flow
from app.extensions import db
from app.models import Conversation, Person
from tests.conftest import ACCOUNT_SID, SERVICE_NUMBER
from tests.fake_twilio import new_sid

SMS_FLOW = get_flow("sms")
LANGUAGES = ("nb", "en")
SPEECH_TAG = {"nb": "nb-NO", "en": "en-GB"}
APOLOGIES = ("Sorry, something went wrong", "Beklager, noe gikk galt")
# Fields we set ourselves; extra ones may be anything else.
OURS = {"MessageSid", "SmsSid", "AccountSid", "From", "To", "Body", "CallSid", "Digits",
        "SpeechResult", "Confidence", "CallStatus", "Direction", "ApiVersion"}  # fmt: skip
PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_numbers = itertools.count(1)

extra_fields = st.dictionaries(
    st.text(min_size=1, max_size=20).filter(lambda key: key not in OURS),
    st.text(max_size=100),
    max_size=4,
)


def new_number() -> str:
    return f"+4790{next(_numbers) % 1_000_000:06d}"


@cache
def foreign_fragments(language: str) -> tuple[str, ...]:
    """Sentences only the *other* language would say: none may reach a `language` reply.

    The start of every message (before any placeholder) whose two languages differ,
    except those said in every language on purpose (the language menu).
    """
    each = {m for state in SMS_FLOW.states.values() for m in state.each_language}
    with i18n.catalog_path("nb").open("rb") as po:
        catalog = read_po(po, locale="nb")
    fragments = set()
    for message in catalog:
        if not message.id or message.context or not isinstance(message.id, str):
            continue
        if message.id in each or not message.string or message.string == message.id:
            continue
        other = message.string if language == "en" else message.id
        fragment = other.split("{")[0].strip()
        if len(fragment) >= 15:
            fragments.add(fragment)
    return tuple(sorted(fragments))


def assert_in_language(text: str, language: str) -> None:
    names = [i18n.language_name(code) for code in LANGUAGES]
    for name in names:
        text = text.replace(name, "")
    leaked = [f for f in foreign_fragments(language) if f in text]
    assert not leaked, (language, leaked[:3], text)


def twiml(response) -> ElementTree.Element:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/xml"
    root = ElementTree.fromstring(response.data)
    assert root.tag == "Response"
    return root


def known_person(language: str, state: str | None) -> str:
    """A person who chose `language`, in conversation `state` (None: no conversation yet)."""
    phone = new_number()
    person = Person(phone=phone, language=language)
    db.session.add(person)
    db.session.flush()
    if state is not None:
        db.session.add(Conversation(key=f"sms:{person.id}", person_id=person.id, flow="sms",
                                    state=state, data={}))  # fmt: skip
    db.session.commit()
    return phone


@PROPERTY
@given(
    body=st.text(max_size=1600),
    language=st.sampled_from(LANGUAGES),
    state=st.one_of(st.none(), st.sampled_from(sorted(SMS_FLOW.states))),
    extra=extra_fields,
)
def test_any_text_in_any_state_gets_a_kind_answer_in_the_persons_language(
    ctx, post_signed, body, language, state, extra
):
    phone = known_person(language, state)
    form = {**extra, "MessageSid": new_sid(), "AccountSid": ACCOUNT_SID, "From": phone,
            "To": SERVICE_NUMBER, "Body": body}  # fmt: skip
    root = twiml(post_signed("/twilio/sms", form))
    texts = [m.text or "" for m in root.iter("Message")]
    # A body that chooses a language ("3" in the language menu, "English") rightly
    # switches the person: the answer is in the language they have after the text.
    db.session.expire_all()
    language = db.session.scalar(sa.select(Person.language).where(Person.phone == phone))
    for text in texts:
        assert 0 < len(text) <= 1600
        assert not text.startswith(APOLOGIES), text
        assert_in_language(text, language)


@PROPERTY
@given(
    body=st.text(alphabet="0123456789 #*+-", max_size=40),
    extra=extra_fields,
)
def test_a_first_text_of_digits_and_signs_is_answered(ctx, post_signed, body, extra):
    form = {**extra, "MessageSid": new_sid(), "AccountSid": ACCOUNT_SID,
            "From": new_number(), "To": SERVICE_NUMBER, "Body": body}  # fmt: skip
    root = twiml(post_signed("/twilio/sms", form))
    texts = [m.text or "" for m in root.iter("Message")]
    assert texts and all(texts)  # never silence for someone who has not opted out
    assert not any(t.startswith(APOLOGIES) for t in texts)


def voice_form(phone: str, call_sid: str, extra: dict) -> dict:
    return {**extra, "CallSid": call_sid, "AccountSid": ACCOUNT_SID, "From": phone,
            "To": SERVICE_NUMBER, "CallStatus": "in-progress", "Direction": "inbound",
            "ApiVersion": "2010-04-01"}  # fmt: skip


def assert_spoken_in(root: ElementTree.Element, language: str) -> None:
    for say in root.iter("Say"):
        assert say.get("language") == SPEECH_TAG[language], ElementTree.tostring(root)
    for gather in root.iter("Gather"):
        if gather.get("language"):
            assert gather.get("language") == SPEECH_TAG[language]


@PROPERTY
@given(
    language=st.sampled_from(LANGUAGES),
    keys=st.lists(
        st.one_of(
            st.fixed_dictionaries({"Digits": st.text(alphabet="0123456789*#", max_size=6)}),
            st.fixed_dictionaries(
                {"SpeechResult": st.text(max_size=200), "Confidence": st.just("0.5")}
            ),
            st.just({}),  # silence
        ),
        min_size=1,
        max_size=4,
    ),
    extra=extra_fields,
)
def test_any_keys_or_speech_on_the_phone_get_valid_twiml_in_the_callers_language(
    ctx, post_signed, language, keys, extra
):
    phone = known_person(language, None)
    call_sid = new_sid("CA")
    root = twiml(post_signed("/twilio/voice", voice_form(phone, call_sid, extra)))
    assert_spoken_in(root, language)
    for answer in keys:
        gather = root.find("Gather")
        if gather is None:
            break  # handed over to a person (Dial or Record): the call left the menus
        path = gather.get("action").split("://", 1)[-1].split("/", 1)[1]
        root = twiml(post_signed("/" + path, {**voice_form(phone, call_sid, extra), **answer}))
        assert_spoken_in(root, language)


@PROPERTY
@given(
    step=st.one_of(st.integers(min_value=-5, max_value=10**9).map(str), st.text(max_size=12)),
    digits=st.text(max_size=10),
    extra=extra_fields,
)
def test_any_step_number_from_anyone_gets_valid_twiml(ctx, post_signed, step, digits, extra):
    phone = new_number()
    query = re.sub(r"[^0-9A-Za-z-]", "", step)
    root = twiml(
        post_signed(f"/twilio/voice/step?n={query}",
                    {**voice_form(phone, new_sid("CA"), extra), "Digits": digits})
    )  # fmt: skip
    assert len(root) > 0
