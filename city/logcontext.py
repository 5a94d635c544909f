"""Who a log line is about: the request id of the web request, or the id of the Celery task, being handled.

The request middleware (``observatory.middleware.RequestIdMiddleware``) and the Celery signals
(``observatory.celery``) set them; ``ContextFilter`` copies them onto every record, so any logger of any
app writes them without passing them around. Context variables keep threads (gunicorn's ``--threads``)
and tasks apart.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="-")
task_id: ContextVar[str] = ContextVar("task_id", default="-")
task_name: ContextVar[str] = ContextVar("task_name", default="-")

# What a proxy's X-Request-ID may look like: a UUID, nginx's $request_id (32 hex), or any short token;
# anything else (spaces, newlines, 200 characters) would let a client forge or break log lines.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def new_request_id() -> str:
    return uuid.uuid4().hex


def acceptable_request_id(value: str | None) -> str | None:
    """``value`` when it can be logged as a request id as it is, else None."""
    return value if value and _ACCEPTABLE.match(value) else None


def forget_request(**_kwargs) -> None:
    """After a response is sent, this thread's next log lines belong to no request (request_finished)."""
    request_id.set("-")


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``task_id`` and ``task_name`` to every record ("-" outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.task_id = task_id.get()
        record.task_name = task_name.get()
        return True
