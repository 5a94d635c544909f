"""Error reports to Sentry or a self-hosted GlitchTip (the same protocol), without personal data.

``send_default_pii`` off keeps Sentry from adding the user, the client's address and the cookies, but not
everything: the SDK still sends the request body (a citizen's report, its text and contact e-mail) and the local
variables of every frame of the stack trace, and a log record's ``extra`` carries the request's path and query
string. So the SDK is told to read neither body nor frame variables, and ``scrub_event`` removes from every event
(web, Celery, log records) what could still name a person: request body, cookies, query string, the WSGI
environment (``REMOTE_ADDR``), every header but a short allow-list, the user, frame variables, and any e-mail
address left in a message or an exception's text. What remains is what a developer needs: the exception, its
stack trace (file, line, function), the path, the method, environment and release.
"""

from __future__ import annotations

import re
from typing import Any

# Headers that say nothing about who sent the request.
KEPT_HEADERS = frozenset({"accept", "accept-language", "content-type", "content-length", "host", "user-agent"})
REQUEST_KEYS_DROPPED = ("data", "cookies", "query_string", "env")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
REDACTED = "[redacted]"


def _redact_strings(value: Any) -> Any:
    """Every string inside ``value`` (dicts and lists walked) with e-mail addresses replaced."""
    if isinstance(value, str):
        return EMAIL.sub(REDACTED, value)
    if isinstance(value, dict):
        return {key: _redact_strings(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_strings(item) for item in value]
    return value


def _frames(event: dict):
    for exception in (event.get("exception") or {}).get("values") or []:
        yield from (exception.get("stacktrace") or {}).get("frames") or []
    for thread in (event.get("threads") or {}).get("values") or []:
        yield from (thread.get("stacktrace") or {}).get("frames") or []


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Sentry's ``before_send`` (and ``before_send_transaction``): the event without personal data."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in REQUEST_KEYS_DROPPED:
            request.pop(key, None)
        headers = request.get("headers") or {}
        request["headers"] = {name: value for name, value in headers.items() if name.lower() in KEPT_HEADERS}
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
    event.pop("user", None)
    for frame in _frames(event):
        frame.pop("vars", None)
    extra = event.get("extra")
    if isinstance(extra, dict):
        extra.pop("request", None)  # django.request's log records put the request object (path and query) here
    for key in ("message", "logentry", "exception", "extra", "breadcrumbs", "transaction"):
        if key in event:
            event[key] = _redact_strings(event[key])
    return event


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    """Start the SDK (Django, Celery and logging integrations are enabled by what is installed)."""
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,  # None: the SDK's own guess (SENTRY_RELEASE, a git checkout's commit)
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_send_transaction=scrub_event,
    )
