"""A backup made by `./dev backup` restores with `./dev restore` into a new database: every table, every row."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command

from tests.processes import BASE_DIR, database_url

pytestmark = pytest.mark.django_db(transaction=True)


def table_fingerprints(dbname: str) -> dict[str, tuple[int, str]]:
    """{table: (rows, md5 of its rows in a stable order)} for every table of the public schema."""
    db = settings.DATABASES["default"]
    connection = psycopg2.connect(
        dbname=dbname, user=db["USER"], password=db["PASSWORD"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            tables = [name for (name,) in cursor.fetchall()]
            fingerprints = {}
            for table in tables:
                rows = "md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                cursor.execute(f'SELECT count(*), {rows} FROM "{table}" t')
                fingerprints[table] = cursor.fetchone()
        return fingerprints
    finally:
        connection.close()


def outbox_quiet(seconds: float = 60) -> None:
    """Every e-mail the seed queued is sent before the backup: a Celery worker an earlier test started would
    otherwise mark them sent between the backup and the comparison, and the source would no longer be what was
    backed up."""
    from city.models import OutboundEmail
    from city.outbox import send_due

    deadline = time.monotonic() + seconds
    while True:
        send_due(limit=100_000)
        if not OutboundEmail.objects.filter(sent_at__isnull=True, given_up=False).exists():
            return
        if time.monotonic() > deadline:
            pytest.fail("the seeded e-mails were still not sent after a minute")
        time.sleep(0.2)  # a worker holds some of them (SKIP LOCKED): it sends them


def dev(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BASE_DIR / "dev"), *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_backup_of_a_seeded_observatory_restores_every_row_and_photo(tmp_path: Path):
    call_command("seed_demo", "--scale", "small", "--seed", "7", verbosity=0)
    outbox_quiet()
    source_media = tmp_path / "media"
    (source_media / "reports").mkdir(parents=True)
    (source_media / "reports" / "photo.jpg").write_bytes(b"\xff\xd8 a photo \xff\xd9")
    env = dict(os.environ, DATABASE_URL=database_url(), MEDIA_ROOT=str(source_media))

    backup = dev("backup", str(tmp_path / "backups"), env=env)
    assert backup.returncode == 0, backup.stdout + backup.stderr
    archive = Path(backup.stdout.strip().splitlines()[-1])
    assert archive.is_file() and archive.suffix == ".tar"

    restored_name = f"test_restore_{uuid.uuid4().hex[:8]}"
    restored_media = tmp_path / "restored-media"
    restored_url = database_url().rsplit("/", 1)[0] + "/" + restored_name
    restore_env = dict(os.environ, DATABASE_URL=restored_url, MEDIA_ROOT=str(restored_media))
    try:
        restore = dev("restore", str(archive), env=restore_env)
        assert restore.returncode == 0, restore.stdout + restore.stderr
        original = table_fingerprints(settings.DATABASES["default"]["NAME"])
        assert original["reports_report"][0] > 0 and original["sensors_reading"][0] > 0
        assert table_fingerprints(restored_name) == original
        assert (restored_media / "reports" / "photo.jpg").read_bytes() == b"\xff\xd8 a photo \xff\xd9"

        # A second restore over a database that has tables needs --replace, and says so.
        again = dev("restore", str(archive), env=restore_env)
        assert again.returncode != 0
        assert "--replace" in again.stderr
    finally:
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c",
             f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)'],
            capture_output=True, check=False,
        )  # fmt: skip


def test_a_damaged_backup_is_refused(tmp_path: Path):
    archive = tmp_path / "observatory-broken.tar"
    work = tmp_path / "work"
    work.mkdir()
    (work / "database.dump").write_bytes(b"not what was dumped")
    (work / "media.tar").write_bytes(b"")
    (work / "SHA256SUMS").write_text("0" * 64 + "  database.dump\n" + "0" * 64 + "  media.tar\n")
    subprocess.run(
        ["tar", "-C", str(work), "-cf", str(archive), "SHA256SUMS", "database.dump", "media.tar"], check=True
    )
    restore_url = database_url().rsplit("/", 1)[0] + "/never_created"
    result = dev("restore", str(archive), env=dict(os.environ, DATABASE_URL=restore_url))
    assert result.returncode != 0
    assert "damaged" in result.stderr
