"""The long commands show one tqdm progress bar on a terminal and nothing when their output is not a terminal."""

from __future__ import annotations

import fcntl
import io
import json
import os
import struct
import subprocess
import sys
import termios

import pytest
from django.conf import settings
from django.core.management import call_command

from city.progress import progress_bar
from tests.processes import process_env

pytestmark = pytest.mark.django_db


def zones_file(tmp_path) -> str:
    features = [
        {"type": "Feature", "properties": {"name": f"Zona {n}", "code": f"Z{n}"},
         "geometry": {"type": "Polygon", "coordinates": [[[7.6 + n / 100, 45.0], [7.61 + n / 100, 45.0],
                                                           [7.61 + n / 100, 45.01], [7.6 + n / 100, 45.0]]]}}
        for n in range(3)
    ]  # fmt: skip
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return str(path)


def pseudo_terminal() -> tuple[int, int]:
    """A pseudo-terminal of 100 x 30 characters, as a person's terminal window (main end, secondary end)."""
    main, secondary = os.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    return main, secondary


def read_terminal(fd: int) -> str:
    chunks = []
    os.set_blocking(fd, False)
    while True:
        try:
            chunk = os.read(fd, 65536)
        except (BlockingIOError, OSError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def test_a_bar_on_a_terminal_reports_each_step():
    main, secondary = pseudo_terminal()
    with os.fdopen(secondary, "w") as terminal, progress_bar("features", stream=terminal) as bar:
        assert bar.shown
        for done in range(1, 4):
            bar.report("features", done, 3)
    shown = read_terminal(main)
    os.close(main)
    assert "features" in shown and "3/3" in shown


def test_nothing_is_drawn_when_the_output_is_not_a_terminal(tmp_path):
    stderr = io.StringIO()
    call_command("import_zones", zones_file(tmp_path), "--dry-run", stdout=io.StringIO(), stderr=stderr)
    assert stderr.getvalue() == ""


def test_import_zones_on_a_terminal_shows_the_bar(tmp_path):
    main, secondary = pseudo_terminal()
    result = subprocess.run(
        [sys.executable, "manage.py", "import_zones", zones_file(tmp_path), "--dry-run"],
        cwd=settings.BASE_DIR, env=process_env(), stdout=subprocess.PIPE, stderr=secondary, timeout=120,
    )  # fmt: skip
    os.close(secondary)
    shown = read_terminal(main)
    os.close(main)
    assert result.returncode == 0, shown
    assert "features" in shown and "3/3" in shown
