"""The simulator's phone call: the same voice code as Twilio's webhooks, driven by JSON.

The page starts a call, shows (and speaks) what the TwiML says, and posts keys to the
URL the TwiML names, as Twilio would. Staff's phone and the recording are simulated:
the page offers "staff answers" / "nobody answers" and "leave a message" buttons.
"""

import uuid
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

from flask import current_app, jsonify, request

from app.channels import voice_call
from app.simulator import bp
from app.simulator.routes import _bad_phone, _normalise, _require_simulator_header

_KINDS = {path: kind for kind, path in voice_call.PATHS.items()}
_REDIRECTS = 5  # a <Redirect> is followed at once, as Twilio does; a loop is cut short


@bp.post("/call")
def start_call():
    """Ring the service from a number; returns what the call says first."""
    _require_simulator_header()
    data = request.get_json(silent=True)
    phone = _normalise(data.get("phone", "")) if isinstance(data, dict) else None
    if phone is None:
        return _bad_phone()
    req = voice_call.CallRequest(call_sid="CAsim" + uuid.uuid4().hex, phone=phone)
    return jsonify(_follow(req, voice_call.handle(req, "answer")))


@bp.post("/call/step")
def call_step():
    """Press a key, say words, stay silent, or end a <Dial>/<Record>, at the URL given."""
    _require_simulator_header()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="Send a JSON object."), 400
    phone = _normalise(data.get("phone", ""))
    if phone is None:
        return _bad_phone()
    kind, n = _step_of(data.get("url"))
    sid = data.get("call_sid")
    if kind is None or not isinstance(sid, str) or not sid.startswith("CAsim"):
        return jsonify(error="That is not a step of a simulated call."), 400
    fields = {k: data.get(k) for k in ("digits", "speech", "dial_status", "recording_url")}
    if any(v is not None and (not isinstance(v, str) or len(v) > 200) for v in fields.values()):
        return jsonify(error="Keys, words and statuses are short texts."), 400
    req = voice_call.CallRequest(
        call_sid=sid[:64], phone=phone, text=fields["digits"] or fields["speech"] or "",
        dial_status=(fields["dial_status"] or "").lower(),
        recording_url=fields["recording_url"] or "",
    )  # fmt: skip
    return jsonify(_follow(req, voice_call.handle(req, kind, n)))


def _step_of(url) -> tuple[str | None, int | None]:
    if not isinstance(url, str):
        return None, None
    parts = urlsplit(url)
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    if parts.netloc and parts.netloc != base.netloc:
        return None, None
    kind = _KINDS.get(parts.path)
    n = parse_qs(parts.query).get("n", [""])[0]
    return kind, int(n) if n.isdigit() and len(n) < 7 else None


def _follow(req: "voice_call.CallRequest", xml: str) -> dict:
    for _ in range(_REDIRECTS):
        root = ElementTree.fromstring(xml)
        first = next(iter(root), None)
        if first is None or first.tag != "Redirect":
            return describe(req.call_sid, root)
        kind, n = _step_of(first.text)
        xml = voice_call.handle(req, kind, n)
    return describe(req.call_sid, ElementTree.fromstring(xml))


def describe(call_sid: str, root: ElementTree.Element) -> dict:
    """What the page needs from TwiML: what is said, and what the call waits for."""
    said = []
    for element in root.iter():
        if element.tag == "Say":
            said.append({"text": "".join(element.itertext()).strip(),
                         "language": element.get("language") or ""})  # fmt: skip
        elif element.tag == "Play":
            said.append({"text": "(recorded prompt)", "language": "", "audio": element.text})
    waits = {"Gather": "keys", "Dial": "staff", "Record": "message"}
    verb = next((e for e in root if e.tag in waits), None)
    return {
        "call_sid": call_sid,
        "said": said,
        "waits_for": waits[verb.tag] if verb is not None else "nothing",
        "url": verb.get("action") if verb is not None else None,
        "speech": verb is not None and "speech" in (verb.get("input") or ""),
        "dialled": verb is not None and verb.tag == "Dial",
    }
