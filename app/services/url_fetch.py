"""Fetching a calendar from a URL a coordinator typed, without letting it reach inside.

Only http and https (webcal:// is read as https://, as calendar apps do); at most a few
redirects, each checked like the first URL; a timeout and a size limit. Hosts that
resolve to loopback, private, link-local or otherwise reserved addresses are refused,
so the import page cannot be used to read the service's own network, unless
IMPORT_ALLOW_PRIVATE_URLS is set (tests serve files from loopback).
"""

import ipaddress
import socket
import urllib.error
import urllib.request
from urllib.parse import urljoin, urlsplit

from flask import current_app

from app.i18n import N_

MAX_REDIRECTS = 3
TIMEOUT_SECONDS = 10


class FetchError(Exception):
    """Why a URL could not be read: a msgid for the staff page, with its values."""

    def __init__(self, msgid: str, **values):
        super().__init__(msgid)
        self.msgid = msgid
        self.values = values


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # Redirects are followed by `fetch` itself, so each target is checked first.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def normalise_url(url: str) -> str:
    url = (url or "").strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    return url


def fetch(url: str) -> bytes:
    """The body at `url` (following checked redirects), or FetchError."""
    url = normalise_url(url)
    opener = urllib.request.build_opener(_NoRedirects)
    for _hop in range(MAX_REDIRECTS + 1):
        _check(url)
        request = urllib.request.Request(url, headers={"User-Agent": "Samtale calendar import"})
        try:
            with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                return _read_limited(response)
        except urllib.error.HTTPError as error:
            location = error.headers.get("Location") if 300 <= error.code < 400 else None
            if not location:
                raise FetchError(
                    N_("The address answered with error {status}."), status=error.code
                ) from None
            url = urljoin(url, location)
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise FetchError(N_("The address could not be reached.")) from error
    raise FetchError(N_("The address redirects too many times."))


def _read_limited(response) -> bytes:
    limit = current_app.config["IMPORT_MAX_BYTES"]
    data = response.read(limit + 1)
    if len(data) > limit:
        raise FetchError(N_("The file is larger than {size} MB."), size=_megabytes(limit))
    return data


def _megabytes(limit: int) -> str:
    return f"{limit / 1_000_000:g}"


def _check(url: str) -> None:
    check_url(url, current_app.config["IMPORT_ALLOW_PRIVATE_URLS"])


def check_url(url: str, allow_private: bool) -> None:
    """FetchError unless `url` is http(s) on a public address (any address if
    `allow_private`). Also checks the addresses webhooks are sent to."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(N_("Only http and https addresses can be imported."))
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(N_("The address could not be reached.")) from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise FetchError(N_("Addresses inside the service's own network are not allowed."))
