"""The demo city's places: the quarters its hexagonal zones are named after and its street register.

Zones read as places people know (a Torino quarter and its district, "San Salvario 2, Circoscrizione 8"),
and the street register (the offline address search) is a grid of real Torino street names laid over the
demo city and clipped to its boundary in one set-based INSERT.
"""

from __future__ import annotations

import math

from django.db import connection

# Torino's quarters near their real centres (lat, lon) and their district (circoscrizione).
QUARTERS = (
    ("Centro", 45.0703, 7.6869, 1), ("Crocetta", 45.0560, 7.6700, 1), ("San Salvario", 45.0560, 7.6810, 8),
    ("Borgo Po", 45.0620, 7.7010, 8), ("Cavoretto", 45.0430, 7.6950, 8), ("Nizza Millefonti", 45.0350, 7.6700, 8),
    ("Lingotto", 45.0300, 7.6600, 8), ("Santa Rita", 45.0420, 7.6450, 2), ("Mirafiori Nord", 45.0350, 7.6300, 2),
    ("Mirafiori Sud", 45.0150, 7.6350, 2), ("San Paolo", 45.0640, 7.6480, 3), ("Cenisia", 45.0700, 7.6580, 3),
    ("Pozzo Strada", 45.0670, 7.6280, 3), ("San Donato", 45.0800, 7.6650, 4), ("Parella", 45.0840, 7.6350, 4),
    ("Campidoglio", 45.0820, 7.6520, 4), ("Borgo Vittoria", 45.1000, 7.6750, 5),
    ("Madonna di Campagna", 45.0980, 7.6620, 5), ("Lucento", 45.1000, 7.6400, 5), ("Vallette", 45.1120, 7.6350, 5),
    ("Barriera di Milano", 45.0950, 7.7000, 6), ("Regio Parco", 45.0930, 7.7150, 6), ("Falchera", 45.1250, 7.7000, 6),
    ("Rebaudengo", 45.1050, 7.6900, 6), ("Aurora", 45.0830, 7.6930, 7), ("Vanchiglia", 45.0710, 7.6980, 7),
    ("Madonna del Pilone", 45.0750, 7.7150, 7), ("Sassi", 45.0800, 7.7300, 7),
)  # fmt: skip


def quarter_names(centres: list[tuple[float, float]]) -> list[tuple[str, str]]:
    """(name, district) for zones with these centres (lat, lon): the nearest quarter, numbered from the second
    zone of a quarter on ("San Salvario", "San Salvario 2", ...), numbered by distance to the quarter's centre."""
    nearest = []
    for index, (lat, lon) in enumerate(centres):
        scale = math.cos(math.radians(lat))
        distances = [math.hypot(lat - q_lat, (lon - q_lon) * scale) for _n, q_lat, q_lon, _d in QUARTERS]
        best = min(range(len(QUARTERS)), key=distances.__getitem__)
        nearest.append((best, distances[best], index))
    names: list[tuple[str, str]] = [("", "")] * len(centres)
    seen: dict[int, int] = {}
    for quarter, _distance, index in sorted(nearest):
        seen[quarter] = seen.get(quarter, 0) + 1
        name, _lat, _lon, district = QUARTERS[quarter]
        names[index] = (name if seen[quarter] == 1 else f"{name} {seen[quarter]}", f"Circoscrizione {district}")
    return names


# Real Torino street names: the east-west ones, then the north-south ones, laid out in that order from the
# city's south to its north and from its west to its east (the demo's geography, not Torino's).
EAST_WEST = (
    "Corso Unione Sovietica",
    "Via Guido Reni",
    "Corso Traiano",
    "Via Onorato Vigliani",
    "Corso Sebastopoli",
    "Via Tripoli",
    "Corso Bramante",
    "Via Nizza",
    "Corso Dante",
    "Via Madama Cristina",
    "Corso Vittorio Emanuele II",
    "Via San Secondo",
    "Via Andrea Doria",
    "Via Po",
    "Via Garibaldi",
    "Via della Consolata",
    "Corso Regina Margherita",
    "Corso Francia",
    "Via Cigna",
    "Corso Vercelli",
    "Via Stradella",
    "Corso Grosseto",
    "Via Reiss Romoli",
    "Strada di Settimo",
    "Corso Cincinnato",
    "Via delle Querce",
    "Strada della Pronda",
    "Via Artom",
)
NORTH_SOUTH = (
    "Corso Marche",
    "Via Pietro Cossa",
    "Corso Lecce",
    "Via Nicola Fabrizi",
    "Corso Racconigi",
    "Via Frejus",
    "Corso Ferrucci",
    "Via San Donato",
    "Corso Inghilterra",
    "Via della Libertà",
    "Corso Re Umberto",
    "Via Roma",
    "Via Lagrange",
    "Via Accademia Albertina",
    "Corso Cairoli",
    "Via Rossini",
    "Corso San Maurizio",
    "Lungo Dora Napoli",
    "Corso Casale",
    "Via Villa della Regina",
    "Corso Moncalieri",
    "Strada del Fioccardo",
    "Via Santena",
    "Strada di Superga",
    "Corso Giulio Cesare",
    "Corso Taranto",
)
# The streets run this far apart (metres), whatever the scale.
STREET_SPACING_M = 450.0

STREETS_SQL = """
    WITH city AS (SELECT ST_Union(geom) AS geom FROM observatory_zone),
    box AS (SELECT ST_XMin(geom) x0, ST_YMin(geom) y0, ST_XMax(geom) x1, ST_YMax(geom) y1 FROM city),
    lines AS (
        SELECT name, ST_SetSRID(ST_MakeLine(ST_MakePoint(box.x0, y), ST_MakePoint(box.x1, y)), 4326) AS geom
        FROM box, unnest(%(east_west)s::text[]) WITH ORDINALITY AS n(name, i),
             LATERAL (SELECT box.y0 + (box.y1 - box.y0) * i / (cardinality(%(east_west)s::text[]) + 1) AS y) yy
        UNION ALL
        SELECT name, ST_SetSRID(ST_MakeLine(ST_MakePoint(x, box.y0), ST_MakePoint(x, box.y1)), 4326)
        FROM box, unnest(%(north_south)s::text[]) WITH ORDINALITY AS n(name, i),
             LATERAL (SELECT box.x0 + (box.x1 - box.x0) * i / (cardinality(%(north_south)s::text[]) + 1) AS x) xx
    )
    INSERT INTO city_street (name, geom, created_at)
    SELECT lines.name, ST_Multi(ST_CollectionExtract(ST_Intersection(lines.geom, city.geom), 2)), now()
    FROM lines, city
    WHERE ST_Intersects(lines.geom, city.geom)
      AND NOT ST_IsEmpty(ST_CollectionExtract(ST_Intersection(lines.geom, city.geom), 2))
"""


def seed_streets(ctx) -> int:
    """The demo's street register, replacing any other: as many grid streets as the city's size holds."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM city_street")
        cursor.execute("SELECT ST_YMax(ST_Extent(geom)) - ST_YMin(ST_Extent(geom)) FROM observatory_zone")
        (span,) = cursor.fetchone()
        if span is None:
            return 0
        # Spread the names so that neighbouring streets stay about STREET_SPACING_M apart at any scale.
        rows = max(2, min(len(EAST_WEST), round(span * 110_574 / STREET_SPACING_M)))
        columns = max(2, min(len(NORTH_SOUTH), rows))
        cursor.execute(
            STREETS_SQL,
            {"east_west": list(EAST_WEST[:rows]), "north_south": list(NORTH_SOUTH[:columns])},
        )
        count = cursor.rowcount
        cursor.execute("ANALYZE city_street")
    return count


# A pair of doors (odd on one side, even on the other, a few metres off the street's line) every this many metres.
CIVIC_SPACING_M = 24.0
CIVIC_OFFSET_M = 8.0
MAX_CIVIC_PAIRS = 300

CIVIC_NUMBERS_SQL = """
    INSERT INTO city_civicnumber (street_name, number, suffix, point, created_at)
    SELECT s.name, 2 * k - side, '',
           ST_Project(ST_LineInterpolatePoint(l.line, (k - 0.5) / l.pairs)::geography, %(offset)s,
                      l.azimuth + CASE side WHEN 1 THEN -pi() / 2 ELSE pi() / 2 END)::geometry,
           now()
    FROM city_street s
    CROSS JOIN LATERAL (SELECT d.geom AS line FROM ST_Dump(ST_LineMerge(s.geom)) d
                        ORDER BY ST_Length(d.geom) DESC LIMIT 1) p
    CROSS JOIN LATERAL (
        SELECT p.line,
               GREATEST(1, LEAST(%(max_pairs)s, floor(ST_Length(p.line::geography) / %(spacing)s)))::int AS pairs,
               ST_Azimuth(ST_StartPoint(p.line), ST_EndPoint(p.line)) AS azimuth
    ) l
    CROSS JOIN LATERAL generate_series(1, l.pairs) AS k
    CROSS JOIN (VALUES (1), (0)) AS sides(side)
"""


def seed_civic_numbers(ctx) -> int:
    """House numbers along every demo street (replacing any register), so "Via Roma 12" finds its door."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM city_civicnumber")
        cursor.execute(
            CIVIC_NUMBERS_SQL, {"offset": CIVIC_OFFSET_M, "max_pairs": MAX_CIVIC_PAIRS, "spacing": CIVIC_SPACING_M}
        )
        count = cursor.rowcount
        cursor.execute("ANALYZE city_civicnumber")
    return count
