"""The floor: a bare Flask app that checks Twilio's signature and answers constant TwiML.

Run under the same gunicorn settings as the real app, it is the most any webhook of
ours could do on this machine: the benchmarks report our throughput as a share of it.
"""

import os

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

app = Flask(__name__)
BASE = os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000").rstrip("/")
VALIDATOR = RequestValidator(os.environ.get("TWILIO_AUTH_TOKEN", ""))

SMS = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Takk for meldingen. '
    "Svar MENY for menyen.</Message></Response>"
)
GATHER = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="'
    + BASE
    + '/twilio/voice/step?n=1" input="dtmf speech" timeout="8"><Say language="nb-NO">'
    "Trykk 1 for hva som skjer.</Say></Gather></Response>"
)


def _signed() -> None:
    query = request.query_string.decode("latin-1")
    url = f"{BASE}{request.path}" + (f"?{query}" if query else "")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not VALIDATOR.validate(url, request.form, signature):
        abort(403)


@app.get("/healthz")
def healthz():
    return "ok"


@app.post("/twilio/sms")
def sms():
    _signed()
    return Response(SMS, mimetype="text/xml")


@app.post("/twilio/voice")
@app.post("/twilio/voice/step")
def voice():
    _signed()
    return Response(GATHER, mimetype="text/xml")
