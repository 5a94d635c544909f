"""A table's keys and indexes as PostgreSQL itself describes them, to build them again on another table.

Bulk writers that load an unindexed table and index it afterwards (the indicator engine's full
rebuild, the sensor import's new month partitions) read the definitions from the catalog rather
than repeating them, so they always match what the migrations made.
"""

from __future__ import annotations

import re

INDEX_DEFINITION = re.compile(r"^CREATE (?P<unique>UNIQUE )?INDEX \S+ ON (ONLY )?\S+ (?P<rest>USING .*)$")


def constraints_of(cursor, table: str, kinds: str = "pufc") -> list[tuple[str, str, str]]:
    """(name, kind, definition) of the table's constraints of the given kinds (p, u, f, c), keys first."""
    cursor.execute(
        """
        SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = %s::regclass AND contype = ANY(%s)
        ORDER BY contype <> 'p', contype <> 'u', conname
        """,
        [table, list(kinds)],
    )
    return cursor.fetchall()


def plain_indexes_of(cursor, table: str) -> list[tuple[str, str]]:
    """(name, definition) of the table's indexes that no constraint owns."""
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid)
        ORDER BY i.relname
        """,
        [table],
    )
    return cursor.fetchall()


def index_on(definition: str, *, name: str, table: str) -> str:
    """The statement that builds the index ``definition`` describes, as ``name`` on ``table``."""
    match = INDEX_DEFINITION.match(definition)
    if match is None:
        raise RuntimeError(f"unexpected index definition {definition!r}")
    return f'CREATE {match.group("unique") or ""}INDEX "{name}" ON {table} {match.group("rest")}'
