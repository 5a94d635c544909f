"""The one progress display of the long commands (seed_demo, import_zones, import_reports, import_readings,
recompute_indicators): a tqdm bar on standard error, shown only when that is a terminal, so logs, cron mail and
CI output get the commands' summaries and nothing else.

Services take a plain callback ``progress(label, done, total)`` and know nothing of tqdm; the command makes one
with ``progress_bar`` and passes ``bar.report`` down.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm


class ProgressBar:
    """A tqdm bar that can be told "``done`` of ``total`` in step ``label``" (a callback services can call)."""

    def __init__(self, bar: tqdm):
        self.bar = bar

    def report(self, label: str, done: int, total: int | None) -> None:
        if self.bar.disable:
            return
        if total is not None and self.bar.total != total:
            self.bar.reset(total=total)
        if label and self.bar.desc != label:
            self.bar.set_description_str(label, refresh=False)
        self.bar.update(done - self.bar.n)

    def advance(self, amount: int = 1) -> None:
        if not self.bar.disable:
            self.bar.update(amount)

    @property
    def shown(self) -> bool:
        return not self.bar.disable


def on_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress_bar(
    description: str, *, total: int | None = None, unit: str = "it", unit_scale: bool = False,
    stream: TextIO | None = None,
) -> Iterator[ProgressBar]:  # fmt: skip
    """A progress bar on ``stream`` (standard error), silent unless it is a terminal."""
    stream = stream or sys.stderr
    bar = tqdm(
        total=total, desc=description, unit=unit, unit_scale=unit_scale, file=stream,
        disable=not on_terminal(stream), dynamic_ncols=True, leave=True, mininterval=0.2,
    )  # fmt: skip
    try:
        yield ProgressBar(bar)
    finally:
        bar.close()
