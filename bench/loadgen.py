"""The load generator: a second process that posts signed Twilio webhooks over loopback.

Pure Python (asyncio, raw sockets, requests built and signed before the clock starts),
so that `make bench` needs nothing outside the virtual environment. Two modes:

- closed: `concurrency` clients, each sending its next request when the last one is
  answered, for `duration` seconds: the most the server can do (requests per second);
- rate: requests started at a fixed rate, whether or not earlier ones were answered;
  latency is counted from the moment a request was due (no coordinated omission).

Usage: python -m bench.loadgen '<json spec>'  -> prints one JSON result on stdout.
Requests are grouped in sessions (a phone call's steps); a session's requests go in order.
"""

import asyncio
import json
import random
import sys
import time
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

from bench.env import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, SERVICE_NUMBER

# What a reply must not contain: our "something went wrong" apologies (nb and en).
APOLOGIES = (b"noe gikk galt hos oss", b"something went wrong on our side")
SMS_MIX = ("new_person", "menu", "activity_list", "sign_up", "unknown_text")
VOICE_STEPS = (
    ("answer", None),
    ("whats_on", "1"),
    ("next", "2"),
    ("previous", "3"),
    ("back_to_menu", "#"),
)


def resident_phone(i: int) -> str:
    """The seeded residents' numbers (bench.seed): Norwegian mobiles +474xxxxxxx."""
    return f"+474{i:07d}"


class Builder:
    def __init__(self, host: str, port: int) -> None:
        self.validator = RequestValidator(AUTH_TOKEN)
        self.host = f"{host}:{port}"

    def request(self, path: str, params: dict) -> bytes:
        body = urlencode(params).encode()
        signature = self.validator.compute_signature(PUBLIC_BASE_URL + path, params)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signature}\r\n"
            "Connection: close\r\n\r\n"
        )
        return head.encode() + body


def sms_sessions(builder: Builder, spec: dict, count: int) -> list[list[tuple[str, bytes]]]:
    """The realistic mix: each session is one text, in equal shares of SMS_MIX."""
    rnd = random.Random(spec.get("phase", 0))
    residents, codes = spec["residents"], range(10, 10 + spec["activities"])
    phase = spec.get("phase", 0)
    sessions = []
    for i in range(count):
        kind = SMS_MIX[i % len(SMS_MIX)]
        if kind == "new_person":
            phone = f"+479{phase:02d}{i:05d}"  # never seen before in this database
            body = "Hei"
        else:
            phone = resident_phone(rnd.randrange(residents))
            body = {
                "menu": "MENY",
                "activity_list": "AKTIVITETER",
                "sign_up": f"MELD {rnd.choice(codes)}",
                "unknown_text": "hva er klokka",
            }[kind]
        params = {
            "MessageSid": f"SM{phase:02d}{i:030x}",
            "AccountSid": ACCOUNT_SID,
            "From": phone,
            "To": SERVICE_NUMBER,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        }
        sessions.append([(kind, builder.request("/twilio/sms", params))])
    return sessions


def voice_sessions(builder: Builder, spec: dict, count: int) -> list[list[tuple[str, bytes]]]:
    """A call by a known resident: the menu, what is on, next, previous, back (5 <Gather>s)."""
    rnd = random.Random(1000 + spec.get("phase", 0))
    phase = spec.get("phase", 0)
    sessions = []
    for c in range(count):
        sid = f"CA{phase:02d}{c:030x}"
        phone = resident_phone(rnd.randrange(spec["residents"]))
        steps = []
        for n, (kind, digits) in enumerate(VOICE_STEPS):
            params = {
                "CallSid": sid,
                "AccountSid": ACCOUNT_SID,
                "From": phone,
                "To": SERVICE_NUMBER,
                "CallStatus": "in-progress",
                "Direction": "inbound",
                "ApiVersion": "2010-04-01",
            }
            if digits is None:
                path = "/twilio/voice"
            else:
                path = f"/twilio/voice/step?n={n}"
                params["Digits"] = digits
            steps.append((kind, builder.request(path, params)))
        sessions.append(steps)
    return sessions


def accept_sessions(builder: Builder, spec: dict, count: int) -> list[list[tuple[str, bytes]]]:
    """Volunteers +4795xxxxxx (bench.accept_race) all answering JA <code>."""
    phase = spec.get("phase", 0)
    sessions = []
    for i in range(spec["volunteers"]):
        params = {
            "MessageSid": f"SM{phase:02d}{i:030x}",
            "AccountSid": ACCOUNT_SID,
            "From": f"+4795{i:06d}",
            "To": SERVICE_NUMBER,
            "Body": f"JA {spec['code']}",
        }
        sessions.append([("accept", builder.request("/twilio/sms", params))])
    return sessions


async def burst(host, port, sessions, markers: list[str]) -> dict:
    """Every request at once; elapsed is until the last answer. Counts replies by marker."""
    stats, found = Stats(), {m: 0 for m in markers}
    start = time.perf_counter()

    async def go(kind, raw):
        status, data = await send(host, port, raw)
        stats.add(kind, time.perf_counter() - start, status, any(a in data for a in APOLOGIES))
        text = data.decode("utf-8", "replace")
        for m in markers:
            found[m] += m in text

    await asyncio.gather(*(go(*s[0]) for s in sessions))
    result = stats.summary(time.perf_counter() - start)
    result["replies"] = found
    return result


class Stats:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.status: dict[str, int] = {}
        self.apologies = 0

    def add(self, kind: str, seconds: float, status: str, apology: bool) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.status[status] = self.status.get(status, 0) + 1
        self.apologies += apology

    def summary(self, elapsed: float) -> dict:
        every = sorted(x for values in self.latencies.values() for x in values)
        ok = self.status.get("200", 0)
        return {
            "requests": len(every),
            "ok": ok,
            "errors": len(every) - ok,
            "apologies": self.apologies,
            "status": self.status,
            "elapsed_s": round(elapsed, 3),
            "rps": round(len(every) / elapsed, 1) if elapsed else None,
            **percentiles(every),
            "by_kind": {
                k: {"requests": len(v), **percentiles(sorted(v))}
                for k, v in sorted(self.latencies.items())
            },
        }


def percentiles(values: list[float]) -> dict:
    if not values:
        return {}

    def at(q: float) -> float:
        return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 2)

    return {
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(values[-1] * 1000, 2),
    }


async def send(host: str, port: int, raw: bytes) -> tuple[str, bytes]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(raw)
        await writer.drain()
        data = await reader.read()  # Connection: close; gunicorn's sync workers close anyway
    finally:
        writer.close()
    status = data[9:12].decode() if data[:5] == b"HTTP/" else "none"
    return status, data


async def one(host, port, kind, raw, stats: Stats, started: float) -> None:
    try:
        status, data = await send(host, port, raw)
        apology = any(a in data for a in APOLOGIES)
    except OSError as error:
        status, apology = type(error).__name__, False
    stats.add(kind, time.perf_counter() - started, status, apology)


async def closed(host, port, sessions, concurrency: int, duration: float) -> dict:
    stats = Stats()
    queue = iter(sessions)
    stop = time.perf_counter() + duration

    async def client() -> None:
        for session in queue:
            for kind, raw in session:
                if time.perf_counter() >= stop:
                    return
                await one(host, port, kind, raw, stats, time.perf_counter())

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    result = stats.summary(time.perf_counter() - start)
    result["exhausted"] = time.perf_counter() < stop
    return result


async def at_rate(host, port, sessions, rate: float, duration: float, block: int) -> dict:
    """Interleave `block` sessions step by step, so a call's next step is due
    block/rate seconds after its previous one (it has long been answered by then)."""
    ordered = []
    for b in range(0, len(sessions), block):
        group = sessions[b : b + block]
        for step in range(max(len(s) for s in group)):
            ordered += [s[step] for s in group if step < len(s)]
    total = min(len(ordered), int(rate * duration))
    stats, tasks = Stats(), []
    start = time.perf_counter()
    for k in range(total):
        due = start + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        kind, raw = ordered[k]
        tasks.append(asyncio.create_task(one(host, port, kind, raw, stats, due)))
    await asyncio.gather(*tasks)
    result = stats.summary(time.perf_counter() - start)
    result["target_rps"] = rate
    return result


def run(spec: dict) -> dict:
    parts = urlsplit(spec["url"])
    builder = Builder(parts.hostname, parts.port)
    if spec["mode"] == "burst":
        make = accept_sessions if spec["scenario"] == "accept" else sms_sessions
        sessions = make(builder, spec, spec.get("volunteers", 200))
        return asyncio.run(burst(parts.hostname, parts.port, sessions, spec.get("markers", [])))
    make = sms_sessions if spec["scenario"] == "sms" else voice_sessions
    per = 1 if spec["scenario"] == "sms" else len(VOICE_STEPS)
    if spec["mode"] == "closed":
        count = int(spec.get("max_rps", 6000) * spec["duration"] / per) + 1
    else:
        count = int(spec["rate"] * spec["duration"] / per) + spec.get("block", 200)
    sessions = make(builder, spec, count)
    if spec["mode"] == "closed":
        coro = closed(parts.hostname, parts.port, sessions, spec["concurrency"], spec["duration"])
    else:
        coro = at_rate(
            parts.hostname,
            parts.port,
            sessions,
            spec["rate"],
            spec["duration"],
            spec.get("block", 200),
        )
    return asyncio.run(coro)


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
