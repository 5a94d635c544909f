"""Survey rows for tests, built through the product's own services."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from surveys import services
from surveys.models import Campaign, InstrumentVersion

_numbers = itertools.count(1)


def standard_version() -> InstrumentVersion:
    """ISTAT's headline item and the three further items, published (services.instrument_create_standard)."""
    n = next(_numbers)
    return services.instrument_create_standard(
        code=f"safety-{n}", name_it=f"Sicurezza percepita {n}", name_en=f"Perceived safety {n}"
    )


def campaign(mode: str, *, zones=(), version: InstrumentVersion | None = None, code: str = "", **fields) -> Campaign:
    """A campaign open since yesterday and for a month, in ``mode``."""
    now = timezone.now()
    created = Campaign.objects.create(
        code=code or f"{mode}-{next(_numbers)}",
        title_it=fields.pop("title_it", "Come si sente la sera"),
        title_en=fields.pop("title_en", "How the evening feels"),
        instrument_version=version or standard_version(),
        mode=mode,
        opens_at=fields.pop("opens_at", now - dt.timedelta(days=1)),
        closes_at=fields.pop("closes_at", now + dt.timedelta(days=30)),
        **fields,
    )
    if zones:
        created.zones.set(zones)
    return created


def invitations(campaign: Campaign, per_zone: dict[str, int], *, seed: int = 7):
    """Draw a sample without a frame (codes for letters): population from the zones' population field."""
    draw = services.sample_draw(campaign=campaign, seed=seed, sample_sizes=per_zone)
    return list(draw.invitations.order_by("code"))
