"""Tables of hostile inputs, one module per channel, read by tests/test_nasty_inputs.py.

Each row is a ``Nasty``: the request an attacker or a broken client sends, the status it must get, and
words the answer must contain so a person can act on it. Placeholders in paths, bodies and headers
(``{sensor_id}``, ``{sensor_token}``, ``{report_code}``, ``{open311_key}``, ``{zone_code}``, ``{photo_code}``,
``{unpublished_photo_code}``) are filled from the world the test builds.

A row with ``method="COMMAND"`` runs the management command named by ``path`` on a file holding
``body`` (bytes or text; written to a temporary file ending in ``suffix``, passed as the first argument
unless ``args`` hold ``{file}``): it must fail with a CommandError whose exit code is ``status`` and
whose message and error output hold ``says`` (the line and column of the bad row, for the importers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Nasty:
    id: str
    method: str
    path: str
    # A dict (form fields or JSON, by content_type), raw bytes/str, or a callable(world) -> one of those.
    body: object = None
    content_type: str | None = None  # None: form-encoded for dicts; "json": the dict as JSON
    headers: dict[str, str] = field(default_factory=dict)
    as_role: str | None = None  # None (anonymous), "officer", "moderator", "grants_admin", "sensor"
    status: int | tuple[int, ...] = 400
    # Each must appear (case-insensitive) in the answer's text; say the field and the limit.
    says: tuple[str, ...] = ()
    # The answer's format: "json", "xml", "html", "csv" or None (not checked).
    format: str | None = None
    # The language cookie to send ("en"); None: none, so the city's language (Italian) answers.
    language: str | None = None
    # Extra check on the response (e.g. no partition created); gets (response, world).
    check: Callable | None = None
    # COMMAND rows: the command's other arguments (placeholders filled; ``{file}`` is the file) and the
    # file's suffix.
    args: tuple[str, ...] = ()
    suffix: str = ".csv"
