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


# --- walkers' safety audits -------------------------------------------------------------------------

# One audit per this many demo reports, at the report's place and time: walkers go where people report.
AUDIT_EVERY = 40
# Each score is the report's feeling moved by -1, 0, 0 or +1 (a hash of the report and the parameter, so
# the same seed gives the same audits), clipped to Safetipin's 0-3.
AUDIT_PARAMETERS = (
    "lighting", "openness", "visibility", "people", "security", "walk_path", "public_transport",
    "gender_diversity", "feeling",
)  # fmt: skip
AUDIT_SCORE_SQL = (
    "greatest(0, least(3, r.perceived_safety - 1 + (abs(hashtext(r.tracking_code || '{p}')) %% 4 + 1) / 2 - 1))"
)
SEED_AUDITS_SQL = f"""
    INSERT INTO reports_safetyaudit (tracking_code, location, occurred_at, {", ".join(AUDIT_PARAMETERS)},
                                     comment, zone_id, night, slot, status, source, created_at)
    SELECT 'AU' || r.tracking_code, r.location, r.occurred_at,
           {", ".join(AUDIT_SCORE_SQL.format(p=p) for p in AUDIT_PARAMETERS)},
           '', r.zone_id, r.night, r.slot, 'submitted', 'demo', r.created_at
    FROM reports_report r
    WHERE r.source = 'demo' AND r.id %% %s = 1
"""


def seed_audits(ctx) -> int:
    """Walkers' safety audits (Safetipin's nine scores), so the audit component of the index has data."""
    with connection.cursor() as cursor:
        cursor.execute(SEED_AUDITS_SQL, [AUDIT_EVERY])
        count = cursor.rowcount
        cursor.execute("ANALYZE reports_safetyaudit")
    return count


# --- public notes ---------------------------------------------------------------------------------

# (status, public note) given to every third published demo report in turn: what the city answered.
PUBLIC_NOTES = (
    ("in_progress", "La segnalazione è stata inoltrata al servizio competente, che effettuerà un sopralluogo."),
    ("action_scheduled", "È previsto un intervento entro le prossime due settimane."),
    ("resolved", "Il lampione è stato riparato e l'illuminazione ripristinata. Grazie per la segnalazione."),
    ("resolved", "L'area è stata pulita e messa in sicurezza."),
    ("no_further_action", "Dopo il sopralluogo non sono emersi problemi che richiedano un intervento."),
    ("referred", "La segnalazione è stata trasmessa alla Circoscrizione, che la seguirà."),
)
NOTE_EVERY = 3
SEED_NOTES_SQL = """
    WITH chosen AS (
        SELECT r.id, r.status AS before, n.status, n.note, r.published_at
        FROM reports_report r
        JOIN unnest(%s::text[], %s::text[]) WITH ORDINALITY AS n(status, note, i)
          ON n.i = (r.id / %s / %s) %% cardinality(%s::text[]) + 1
        WHERE r.source = 'demo' AND r.is_published AND (r.id / %s) %% %s = 0
    ),
    changed AS (
        UPDATE reports_report r SET status = chosen.status FROM chosen WHERE r.id = chosen.id RETURNING r.id
    )
    INSERT INTO reports_statuschange (report_id, action, from_status, to_status, public_note, detail, created_at)
    SELECT id, 'status', before, status, note, '', published_at + interval '2 days' FROM chosen
"""


def seed_public_notes(ctx) -> int:
    """The city's public answers on some published reports: a status and a note, as a moderator sets them."""
    statuses = [status for status, _note in PUBLIC_NOTES]
    notes = [note for _status, note in PUBLIC_NOTES]
    with connection.cursor() as cursor:
        cursor.execute(
            SEED_NOTES_SQL, [statuses, notes, PUBLISH_EVERY, NOTE_EVERY, statuses, PUBLISH_EVERY, NOTE_EVERY]
        )
        return cursor.rowcount
