"""Italian is the default language: every catalogue compiles, and nothing is left untranslated or fuzzy."""

import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
CATALOGUES = sorted(
    p for p in BASE_DIR.glob("**/locale/*/LC_MESSAGES/django.po") if not {".venv", "node_modules"} & set(p.parts)
)


def test_there_is_an_italian_catalogue():
    assert any("/it/" in str(p) for p in CATALOGUES)


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_each_catalogue_compiles_with_matching_format_strings(catalogue):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.fail("gettext's msgfmt is missing; ./dev installs it")
    result = subprocess.run([msgfmt, "--check", "-o", "/dev/null", str(catalogue)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_each_catalogue_is_fully_translated(catalogue):
    po = polib.pofile(str(catalogue))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
