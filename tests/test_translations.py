"""Italian is the default language: every catalogue compiles, and nothing is left untranslated or fuzzy."""

import shutil
import subprocess
import sys
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


def tracked_sources(destination: Path) -> None:
    """Copy the files git tracks (what a fresh clone has) into ``destination``."""
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=BASE_DIR, capture_output=True, check=True)
    for name in filter(None, listing.stdout.decode().split("\0")):
        source = BASE_DIR / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def test_every_string_of_every_app_is_in_a_catalogue_and_translated(tmp_path):
    """makemessages over the whole project (sensors and open311 included) finds nothing new to translate."""
    tracked_sources(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "it", "--no-location", "--ignore", "node_modules",
         "--ignore", ".venv", "--ignore", "staticfiles"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    missing = {}
    for catalogue in sorted(tmp_path.glob("**/locale/it/LC_MESSAGES/django.po")):
        po = polib.pofile(str(catalogue))
        untranslated = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
        if untranslated:
            missing[str(catalogue.relative_to(tmp_path))] = untranslated
    assert missing == {}, f"{sum(map(len, missing.values()))} strings to translate: {missing}"
