"""Demo data for the citizen channel: a deterministic share of the seeded reports is published, so the
public map, the public API and Open311 have something to show. Set-based, one UPDATE."""

from __future__ import annotations

from django.db import connection

# Every fourth demo report (by id, which RESTART IDENTITY makes reproducible) counts as moderated.
PUBLISH_EVERY = 4
PUBLISH_DEMO_SQL = """
    UPDATE reports_report
    SET is_published = true, public_description = description, published_at = created_at
    WHERE source = 'demo' AND id %% %s = 0
"""


def seed_moderation(ctx) -> int:
    with connection.cursor() as cursor:
        cursor.execute(PUBLISH_DEMO_SQL, [PUBLISH_EVERY])
        return cursor.rowcount
