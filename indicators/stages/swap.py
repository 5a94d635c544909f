"""The full rebuild's own steps: the kept rolling windows, the build table and its swap at commit."""

from __future__ import annotations

from city import ddl, nightslots

from .base import BUILD_TABLE, LIVE_TABLE, ROLLING_NIGHTS

# --- the full rebuild's table swap -----------------------------------------------------------------


def create_build_table(cursor) -> None:
    """An empty copy of the indicator table's columns (types, defaults, identity), without indexes."""
    cursor.execute(
        f"""
        DROP TABLE IF EXISTS {BUILD_TABLE};
        CREATE TABLE {BUILD_TABLE} (LIKE {LIVE_TABLE} INCLUDING DEFAULTS INCLUDING IDENTITY)
        """
    )


def _build_name(name: str) -> str:
    return f"{name[:50]}_build"


def swap_in_build_table(cursor) -> None:
    """Give the build table the live table's constraints and indexes, then put it in its place.

    The definitions are read from the live table itself (whatever the migrations made it), built
    under temporary names on the new rows (one sort each, in parallel where PostgreSQL can), and
    renamed back once the old table is dropped, so the schema Django's migrations know is unchanged.
    """
    constraints = ddl.constraints_of(cursor, LIVE_TABLE)
    indexes = ddl.plain_indexes_of(cursor, LIVE_TABLE)
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [LIVE_TABLE])
    live_sequence = cursor.fetchone()[0]
    cursor.execute(
        "SELECT set_config('maintenance_work_mem', '512MB', true), set_config('max_parallel_maintenance_workers',"
        " '2', true)"
    )
    renames: list[str] = []
    for name, kind, definition in constraints:
        # Primary and unique keys own an index whose name must be unique: built under a temporary name.
        built = _build_name(name) if kind in ("p", "u") else name
        cursor.execute(f'ALTER TABLE {BUILD_TABLE} ADD CONSTRAINT "{built}" {definition}')
        if built != name:
            renames.append(f'ALTER TABLE {LIVE_TABLE} RENAME CONSTRAINT "{built}" TO "{name}"')
    for name, definition in indexes:
        cursor.execute(ddl.index_on(definition, name=_build_name(name), table=BUILD_TABLE))
        renames.append(f'ALTER INDEX "{_build_name(name)}" RENAME TO "{name}"')
    cursor.execute(f"SELECT pg_get_serial_sequence('{BUILD_TABLE}', 'id')")
    build_sequence = cursor.fetchone()[0]
    cursor.execute(f"ANALYZE {BUILD_TABLE}")
    # Deferred foreign-key checks queued by earlier writes in this transaction must run before the
    # old table can go (an outer transaction, as in tests, may have written indicators).
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(f"LOCK TABLE {LIVE_TABLE} IN ACCESS EXCLUSIVE MODE")
    cursor.execute(f"DROP TABLE {LIVE_TABLE}")
    cursor.execute(f"ALTER TABLE {BUILD_TABLE} RENAME TO {LIVE_TABLE}")
    for statement in renames:
        cursor.execute(statement)
    if live_sequence and build_sequence:
        cursor.execute(f"ALTER SEQUENCE {build_sequence} RENAME TO {live_sequence.split('.')[-1]}")


def add_kept_windows(cursor) -> None:
    """A full rebuild empties the table first; the rolling windows it kept are recomputed too."""
    cursor.execute(
        """
        INSERT INTO _cells
        SELECT DISTINCT t.zone_id, 'rolling28', k.period_start, k.period_start + %s
        FROM _touched t JOIN _kept_windows k ON t.night BETWEEN k.period_start AND k.period_start + %s
        EXCEPT SELECT * FROM _cells;
        INSERT INTO _groups
        SELECT DISTINCT c.period_kind, c.period_start, s.slot FROM _cells c CROSS JOIN unnest(%s::text[]) s(slot)
        EXCEPT SELECT * FROM _groups;
        ANALYZE _cells; ANALYZE _groups;
        """,
        [ROLLING_NIGHTS - 1, ROLLING_NIGHTS - 1, nightslots.slot_codes()],
    )
