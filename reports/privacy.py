"""The one place where a report's location is made public: snapped to a grid of about 150 m.

Public pages, the public API, Open311 and the map all read ``Report.objects.with_public_location()``
(or ``snapped_sql`` in raw SQL), so the rule cannot drift between channels.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.db.models import Func

# Web Mercator stretches distances by 1/cos(latitude); the grid is widened by that factor at the
# city's latitude so a cell is about OBSERVATORY_PRIVACY_GRID_M metres on the ground.
SNAP_TEMPLATE = "ST_Transform(ST_SnapToGrid(ST_Transform({column}, 3857), %s), 4326)"


def grid_size_mercator() -> float:
    latitude = settings.OBSERVATORY_CITY_CENTRE[0]
    return settings.OBSERVATORY_PRIVACY_GRID_M / math.cos(math.radians(latitude))


def snapped_sql(column: str) -> tuple[str, list[float]]:
    """SQL (and its parameter) giving the public, snapped point of a geometry column in SRID 4326."""
    return SNAP_TEMPLATE.format(column=column), [grid_size_mercator()]


class Snapped(Func):
    output_field = PointField(srid=4326)

    def as_sql(self, compiler, connection, **extra_context):
        column_sql, column_params = compiler.compile(self.source_expressions[0])
        sql, params = snapped_sql(column_sql)
        return sql, [*column_params, *params]


def snapped(field: str) -> Snapped:
    """Queryset expression: the field's point snapped to the privacy grid."""
    return Snapped(field)
