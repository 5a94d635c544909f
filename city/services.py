"""Writes on zones outside the bulk importer (``city.zones_import``): the admin's edits and deletions.

Pages cache derived data per zone under the indicator data version, so every write that changes a
zone moves it on once the change commits.
"""

from __future__ import annotations

from django.db import transaction

from .dataversion import bump_data_version
from .models import Zone


def zone_save(*, zone: Zone) -> Zone:
    """Save a zone's edited fields (name, code, kind, parent, population)."""
    with transaction.atomic():
        zone.save()
        transaction.on_commit(bump_data_version)
    return zone


def zone_delete(*, zone: Zone) -> None:
    """Delete a zone; its indicators, hot spots and alerts go with it (CASCADE)."""
    with transaction.atomic():
        zone.delete()
        transaction.on_commit(bump_data_version)
