"""Actions two people can take at once on rows they both lock: retried when PostgreSQL picks them as a deadlock's
victim.

A moderator's step locks the report, then (through ``reports.signals.report_status_changed``) its case; a
department closing its task locks the case, then the case's reports. When both happen at the same moment on the
same case, PostgreSQL detects the cycle after ``deadlock_timeout`` and cancels one transaction. Nothing of that
transaction was written (its e-mails are outbox rows in it, its after-commit tasks never run), so running it
again is safe and gives the person the result they asked for instead of a server error.
"""

from __future__ import annotations

import functools
import logging
import random
import time

from django.db import OperationalError, connection
from psycopg2 import errors as pg_errors

logger = logging.getLogger(__name__)
RETRYABLE = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)
ATTEMPTS = 3


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, OperationalError) and isinstance(error.__cause__, RETRYABLE)


def retry_on_deadlock(func):
    """Run ``func`` again (up to ``ATTEMPTS`` times in all) when its transaction is cancelled as a deadlock's
    victim or a serialization failure. Only at the outermost level: inside someone else's transaction the
    error goes up to whoever owns that transaction (a savepoint cannot outlive the cancelled transaction)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if connection.in_atomic_block:
            return func(*args, **kwargs)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except OperationalError as error:
                if not is_retryable(error) or attempt == ATTEMPTS:
                    raise
                logger.warning("%s: %s, attempt %s of %s; running it again", func.__qualname__,
                               type(error.__cause__).__name__, attempt, ATTEMPTS)  # fmt: skip
                time.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311 (jitter) the other transaction finishes first
        raise AssertionError("unreachable")

    return wrapper
