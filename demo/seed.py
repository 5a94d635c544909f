"""A deterministic synthetic city for demos and benchmarks: zones, months of reports, indicators, logins.

``demo_seed`` wipes the previous demo data and runs ``DEMO_STEPS`` in one transaction. Each step
draws from its own random stream derived from the seed, so a step added later (sensors, grants)
never changes what the others make, and the same seed always gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connection, transaction
from django.utils import timezone

from city import nightslots, roles
from city.models import ZONE_FOR_POINT_SQL, Zone
from city.zones_import import zones_import
from indicators import engine
from indicators.models import Indicator
from reports.models import TRACKING_ALPHABET, TRACKING_CODE_LENGTH, Category, Report

from .cases import seed_cases
from .grants import seed_grants
from .interventions import seed_interventions
from .places import quarter_names, seed_civic_numbers, seed_streets
from .reports import seed_audits, seed_moderation, seed_public_notes
from .sensors import seed_sensors
from .surveys import seed_surveys, weight_surveys


@dataclass(frozen=True)
class Scale:
    zones: int
    reports_per_six_months: int
    # Hexagon circumradius: the three scales cover roughly Torino's 130 km² with finer cells.
    hex_circumradius_m: float


SCALES = {
    "small": Scale(zones=50, reports_per_six_months=5_000, hex_circumradius_m=1000.0),
    "medium": Scale(zones=150, reports_per_six_months=100_000, hex_circumradius_m=580.0),
    "large": Scale(zones=300, reports_per_six_months=1_000_000, hex_circumradius_m=410.0),
}
DEFAULT_SEED = 42
DEFAULT_MONTHS = 6

# Tables emptied before seeding, in one TRUNCATE (RESTART IDENTITY, so ids are reproducible too),
# together with every table that points at them, directly or not (status history, abuse flags,
# alerts, sensors placed in zones...): their rows cannot outlive the zones and reports they refer
# to. The warning printed before seeding names them all.
WIPE_TABLES = ["reports_report", "observatory_indicator", "observatory_stalezonenight", "observatory_zone"]
# grants: its projects point at zones (and its calls and applications go with them).
WIPE_TABLES += [
    "grants_call", "grants_criterion", "grants_application", "grants_applicationattachment",
    "grants_applicationevent", "grants_score", "grants_project", "grants_project_zones", "grants_milestone",
    "grants_disbursement", "grants_outputindicator", "grants_organisation", "grants_commissionmember",
    "grants_tranche",
]  # fmt: skip
# surveys: instruments and campaigns (their versions, invitations, answers, weights and estimates go with them).
WIPE_TABLES += ["surveys_instrument", "surveys_campaign"]
# interventions: funded projects point at theirs; the others go with them (their zones table follows the zones).
WIPE_TABLES += ["interventions_intervention"]
# sensors: readings carry no foreign key (sensors/migrations/0003), so the catalogue cannot find them.
WIPE_TABLES += ["sensors_reading"]

DEMO_ACCOUNTS = (
    # (username, group or None for the superuser)
    ("demo-officer", roles.OFFICER),
    ("demo-moderator", roles.MODERATOR),
    ("demo-grants", roles.GRANTS_ADMIN),
    ("demo-admin", None),
)

# Report volume by local hour: quiet days, busy evenings, a peak around midnight.
HOUR_VOLUME = {
    **dict.fromkeys(range(6, 12), 0.45),
    **dict.fromkeys(range(12, 17), 0.6),
    17: 0.9, 18: 1.3, 19: 1.6, 20: 1.8, 21: 2.0, 22: 2.2, 23: 2.2, 0: 2.0, 1: 1.7, 2: 1.1, 3: 0.7, 4: 0.4, 5: 0.3,
}  # fmt: skip
# Friday and Saturday nights run later.
WEEKEND_LATE_HOURS = {22, 23, 0, 1, 2, 3, 4}
# Shift of the latent feeling of safety by local hour (daylight is reassuring, the small hours are not).
HOUR_SAFETY = {
    **dict.fromkeys(range(6, 18), 0.8),
    18: 0.5, 19: 0.3, 20: 0.1, 21: 0.0, 22: -0.2, 23: -0.3, 0: -0.4, 1: -0.5, 2: -0.6, 3: -0.6, 4: -0.6, 5: -0.5,
}  # fmt: skip
DARK_HOURS = {18, 19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6}
# Night of the week (Monday = 0) -> relative volume: weekends are busier.
WEEKDAY_VOLUME = (0.85, 0.85, 0.9, 1.0, 1.35, 1.5, 1.0)
# Category code -> (relative frequency, shift of the latent feeling of safety). Unknown codes get DEFAULT_CATEGORY.
CATEGORY_MODEL = {
    "broken-street-light": (14, -0.2),
    "dark-area": (12, -0.4),
    "abandoned-place": (7, -0.3),
    "vandalism": (6, -0.1),
    "harassment": (9, -0.9),
    "aggression": (5, -1.2),
    "drug-dealing": (7, -0.7),
    "groups-gathering": (10, -0.5),
    "no-night-transport": (6, -0.1),
    "unsafe-stop": (6, -0.4),
    "unsafe-crossing": (5, 0.0),
    "noise-nightlife": (8, 0.3),
    "other": (5, 0.0),
}
DEFAULT_CATEGORY = (3, 0.0)
# Ordered-logit cut points on the latent scale: very unsafe | a bit unsafe | fairly safe | very safe.
SAFETY_CUTS = (-2.0, -0.5, 1.0)
DESCRIPTIONS = {
    "lighting": [
        "Lampione spento da giorni.",
        "La via è completamente al buio.",
        "Illuminazione insufficiente vicino alla fermata.",
    ],
    "behaviour": [
        "Persone che importunano i passanti.",
        "Un gruppo intimorisce chi passa.",
        "Ho cambiato strada per sicurezza.",
    ],
    "degraded": ["Edificio abbandonato con accessi aperti.", "Rifiuti e vetri rotti sul marciapiede."],
    "mobility": ["Attesa lunga alla fermata senza nessuno intorno.", "Nessun mezzo pubblico dopo mezzanotte."],
    "nightlife": ["Musica alta e schiamazzi fino a tardi."],
}
DESCRIPTION_SHARE = 0.3
DETERIORATION_NIGHTS = 28


@dataclass
class DemoContext:
    """What the steps share: the options, the night window, and notes for the summary."""

    scale_name: str
    scale: Scale
    seed: int
    months: int
    first_night: dt.date
    last_night: dt.date
    zones_paths: tuple[str, ...] = ()
    name_field: str = "name"
    code_field: str = "code"
    population_field: str | None = None
    zone_kind: str = Zone.Kind.OTHER
    notes: list[str] = field(default_factory=list)

    def rng(self, step: str) -> np.random.Generator:
        """The random stream of one step: fixed by the seed and the step's name only."""
        return np.random.default_rng([self.seed, zlib.crc32(step.encode())])

    @property
    def nights(self) -> int:
        return (self.last_night - self.first_night).days + 1


@dataclass(frozen=True)
class DemoSummary:
    scale: str
    seed: int
    first_night: dt.date
    last_night: dt.date
    counts: dict[str, int]
    step_seconds: dict[str, float]
    total_seconds: float
    accounts: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def zones(self) -> int:
        return self.counts.get("zones", 0)

    @property
    def reports(self) -> int:
        return self.counts.get("reports", 0)


# --- zones ---------------------------------------------------------------------------------------


def residents_per_km2(distance_km):
    """A plausible density gradient: a dense core, suburbs, then countryside (scalar or numpy array)."""
    return 13_000 * np.exp(-distance_km / 3.5) + 1_500 * np.exp(-distance_km / 15) + 50


def hex_lattice(count: int) -> list[tuple[int, int]]:
    """The ``count`` pointy-top hexagons (axial q, r) nearest the centre, in a fixed order.

    Ordered by distance from the centre, then by angle, so H001 is the centre and the city grows
    in rings; the cut at ``count`` leaves a roughly round city.
    """
    rings = 1
    while 1 + 3 * rings * (rings + 1) < 2 * count:
        rings += 1
    cells = []
    for q in range(-rings, rings + 1):
        for r in range(max(-rings, -q - rings), min(rings, -q + rings) + 1):
            x, y = math.sqrt(3) * (q + r / 2), 1.5 * r
            cells.append((round(math.hypot(x, y), 9), round(math.atan2(y, x) % (2 * math.pi), 9), q, r))
    cells.sort()
    return [(q, r) for _d, _a, q, r in cells[:count]]


# Corners of a pointy-top hexagon in "doubled" lattice units (x in √3/2·s, y in s/2) around a centre
# at (2q + r, 3r): every corner is an integer lattice point, so neighbours compute the very same
# coordinates for a shared corner and the tessellation has no slivers or overlaps.
HEX_CORNERS = ((1, 1), (0, 2), (-1, 1), (-1, -1), (0, -2), (1, -1))


def hex_polygon(q: int, r: int, *, circumradius_m: float, centre_lat: float, centre_lon: float) -> Polygon:
    metres_per_lon = 111_320.0 * math.cos(math.radians(centre_lat))
    metres_per_lat = 110_574.0
    unit_x, unit_y = math.sqrt(3) / 2 * circumradius_m, circumradius_m / 2
    cx, cy = 2 * q + r, 3 * r

    def corner(dx: int, dy: int) -> tuple[float, float]:
        gx, gy = cx + dx, cy + dy  # the lattice point alone decides the coordinates
        return (
            round(centre_lon + gx * unit_x / metres_per_lon, 7),
            round(centre_lat + gy * unit_y / metres_per_lat, 7),
        )

    ring = [corner(dx, dy) for dx, dy in HEX_CORNERS]
    return Polygon([*ring, ring[0]], srid=4326)


def seed_hex_zones(ctx: DemoContext) -> int:
    """A hexagonal tessellation around the city centre, denser population near the centre."""
    rng = ctx.rng("zones")
    lat0, lon0 = settings.OBSERVATORY_CITY_CENTRE
    size = ctx.scale.hex_circumradius_m
    cell_area_km2 = 3 * math.sqrt(3) / 2 * (size / 1000) ** 2
    cells = hex_lattice(ctx.scale.zones)
    noise = rng.lognormal(0.0, 0.35, size=len(cells))
    open_land = rng.random(len(cells)) < 0.06  # parks, rail yards, industry: few residents
    metres_per_lat, metres_per_lon = 110_574.0, 111_320.0 * math.cos(math.radians(lat0))
    offsets_km = [(math.sqrt(3) * (q + r / 2) * size / 1000, 1.5 * r * size / 1000) for q, r in cells]
    names = quarter_names([(lat0 + y * 1000 / metres_per_lat, lon0 + x * 1000 / metres_per_lon) for x, y in offsets_km])
    zones = []
    for number, ((q, r), (x_km, y_km)) in enumerate(zip(cells, offsets_km, strict=True), start=1):
        distance_km = math.hypot(x_km, y_km)
        population = (
            residents_per_km2(distance_km)
            * cell_area_km2
            * noise[number - 1]
            * (0.15 if open_land[number - 1] else 1.0)
        )
        polygon = hex_polygon(q, r, circumradius_m=size, centre_lat=lat0, centre_lon=lon0)
        name, district = names[number - 1]
        zones.append(
            Zone(
                code=f"H{number:03d}",
                name=name,
                district=district,
                kind=Zone.Kind.HEX,
                geom=MultiPolygon(polygon, srid=4326),
                population=round(population),
            )
        )
    Zone.objects.bulk_create(zones)
    return len(zones)


def import_zone_files(ctx: DemoContext) -> int:
    """Zones from OGR-readable files, through the project's importer (the import_zones command's)."""
    for path in ctx.zones_paths:
        zones_import(
            path=path,
            name_field=ctx.name_field,
            code_field=ctx.code_field,
            kind=ctx.zone_kind,
            population_field=ctx.population_field,
        )
    return Zone.objects.count()


def seed_zones(ctx: DemoContext) -> int:
    count = import_zone_files(ctx) if ctx.zones_paths else seed_hex_zones(ctx)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE observatory_zone SET area_km2 = ST_Area(geom::geography) / 1e6 WHERE area_km2 IS NULL")
        cursor.execute("ANALYZE observatory_zone")  # fresh statistics, so point-in-zone lookups use the index
    return count


# --- reports -------------------------------------------------------------------------------------


def tracking_codes(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` distinct tracking codes drawn from the RNG, in the alphabet and length of real ones."""
    base = len(TRACKING_ALPHABET)
    values = rng.integers(0, base**TRACKING_CODE_LENGTH, size=count, dtype=np.int64)
    while True:
        _unique, first = np.unique(values, return_index=True)
        repeated = np.ones(count, dtype=bool)
        repeated[first] = False
        if not repeated.any():
            break
        values[repeated] = rng.integers(0, base**TRACKING_CODE_LENGTH, size=int(repeated.sum()), dtype=np.int64)
    powers = base ** np.arange(TRACKING_CODE_LENGTH - 1, -1, -1, dtype=np.int64)
    digits = (values[:, None] // powers) % base
    letters = np.array(list(TRACKING_ALPHABET))[digits]
    return np.ascontiguousarray(letters).view(f"<U{TRACKING_CODE_LENGTH}").ravel()


def _zone_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, residents, km from the centre) of every zone, residents guessed from area where unknown."""
    lat0, lon0 = settings.OBSERVATORY_CITY_CENTRE
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id, population, ST_Area(geom::geography) / 1e6,
                   ST_Distance(ST_PointOnSurface(geom)::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography)
                   / 1000
            FROM observatory_zone ORDER BY id
            """,
            [lon0, lat0],
        )
        rows = cursor.fetchall()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    distance_km = np.array([r[3] for r in rows], dtype=float)
    guessed = residents_per_km2(distance_km) * np.array([r[2] for r in rows], dtype=float)
    residents = np.array([r[1] if r[1] is not None else np.nan for r in rows], dtype=float)
    residents = np.where(np.isnan(residents), guessed, residents)
    return ids, np.maximum(residents, 1.0), distance_km


def _pick_per_profile(rng: np.random.Generator, profile: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """One index per row, drawn from the weights of the row's profile (weights[profile, :])."""
    chosen = np.empty(len(profile), dtype=np.int64)
    for p in range(weights.shape[0]):
        rows = np.flatnonzero(profile == p)
        chosen[rows] = rng.choice(weights.shape[1], size=len(rows), p=weights[p] / weights[p].sum())
    return chosen


def seed_reports(ctx: DemoContext) -> int:
    """Months of citizen reports with evening peaks, busy weekends, seasons, unsafe and deteriorating zones.

    Every attribute is drawn in numpy, written with COPY to a staging table, and turned into
    reports by one INSERT ... SELECT that places each report at a point generated inside its zone
    (ST_GeneratePoints with a seed) and stamps zone, night and slot with the project's own SQL.
    """
    rng = ctx.rng("reports")
    zone_ids, residents, distance_km = _zone_table()
    zones, nights = len(zone_ids), ctx.nights
    count = round(ctx.scale.reports_per_six_months * ctx.months / DEFAULT_MONTHS)
    if zones == 0 or count == 0:
        return 0

    # Zones: activity follows residents, plus the pull of the centre's nightlife.
    activity = residents * (1 + 1.5 * np.exp(-distance_km / 2.0)) * rng.lognormal(0.0, 0.4, size=zones)
    safety = rng.normal(0.0, 0.5, size=zones) - 0.2 * np.exp(-distance_km / 3.0)
    unsafe = rng.random(zones) < 0.12
    safety[unsafe] -= 1.2
    deteriorating = np.zeros(zones, dtype=bool)
    candidates = np.flatnonzero(~unsafe & (activity >= np.median(activity)))
    how_many = min(len(candidates), max(2, zones // 60))
    deteriorating[rng.choice(candidates, size=how_many, replace=False)] = True
    worsening = Zone.objects.filter(id__in=zone_ids[deteriorating].tolist()).order_by("code")
    ctx.notes.append(
        f"zones feeling less safe over the last {DETERIORATION_NIGHTS} nights, for alerts to find: "
        + ", ".join(worsening.values_list("code", flat=True))
    )

    # Nights: weekday pattern, a summer peak, adoption growing over the window, and noisy events.
    night_dates = [ctx.first_night + dt.timedelta(days=i) for i in range(nights)]
    weekday = np.array([d.weekday() for d in night_dates])
    season = np.cos(2 * np.pi * (np.array([d.timetuple().tm_yday for d in night_dates]) - 196) / 365.25)
    progress = np.arange(nights) / max(nights - 1, 1)
    night_volume = np.array(WEEKDAY_VOLUME)[weekday] * (1 + 0.2 * season) * (0.85 + 0.3 * progress)
    night_volume *= rng.gamma(20.0, 1 / 20.0, size=nights)
    # The last weeks of a deteriorating zone: more reports, and they feel less safe.
    recent = np.clip((np.arange(nights) - (nights - DETERIORATION_NIGHTS)) / DETERIORATION_NIGHTS, 0.0, 1.0)
    decline = np.outer(deteriorating, recent)  # zones x nights, 0..1
    weights = np.outer(activity, night_volume) * (1 + decline)
    cell = rng.choice(weights.size, size=count, p=(weights / weights.sum()).ravel())
    zone_index, night_index = cell // nights, cell % nights

    # Hours: offset 0..23 from 06:00 local, the start of a night.
    local_hour_of_offset = (np.arange(24) + settings.OBSERVATORY_NIGHT_STARTS_HOURS) % 24
    weekday_hours = np.array([HOUR_VOLUME[h] for h in local_hour_of_offset])
    weekend_hours = weekday_hours * np.array([1.5 if h in WEEKEND_LATE_HOURS else 1.0 for h in local_hour_of_offset])
    weekend = np.isin(weekday[night_index], (4, 5))
    offset = _pick_per_profile(rng, weekend.astype(int), np.vstack([weekday_hours, weekend_hours]))
    local_hour = local_hour_of_offset[offset]
    night_days = np.array([(d - dt.date(2000, 1, 1)).days for d in night_dates], dtype=np.int64)
    # Local wall-clock seconds since 2000-01-01; SQL turns them into instants in the city's zone.
    local_seconds = (
        night_days[night_index] * 86_400
        + settings.OBSERVATORY_NIGHT_STARTS_HOURS * 3_600
        + offset * 3_600
        + rng.integers(0, 3_600, size=count)
    )

    # Categories: lighting matters after dark, behaviour more in unsafe zones.
    categories = list(Category.objects.filter(active=True).order_by("id"))
    if not categories:
        raise ValueError("there is no active report category to seed reports with; run manage.py migrate")
    models = [CATEGORY_MODEL.get(c.code, DEFAULT_CATEGORY) for c in categories]
    base = np.array([m[0] for m in models], dtype=float)
    profiles = []
    for dark in (False, True):
        for in_unsafe_zone in (False, True):
            w = base.copy()
            for i, c in enumerate(categories):
                if not dark and c.group == "lighting":
                    w[i] *= 0.15
                if not dark and c.group == "nightlife":
                    w[i] *= 0.4
                if in_unsafe_zone and c.group == "behaviour":
                    w[i] *= 1.8
            profiles.append(w)
    dark = np.isin(local_hour, list(DARK_HOURS))
    category_index = _pick_per_profile(rng, dark * 2 + unsafe[zone_index], np.vstack(profiles))

    # Perceived safety: an ordered logit on zone, trend, hour, category, season and chance.
    latent = (
        safety[zone_index]
        - 1.6 * decline[zone_index, night_index]
        + np.array([HOUR_SAFETY[h] for h in range(24)])[local_hour]
        + np.array([m[1] for m in models])[category_index]
        + 0.15 * season[night_index]
        - 0.1 * (weekend & dark)
        + rng.logistic(0.0, 1.0, size=count)
    )
    perceived_safety = 1 + sum((latent > cut).astype(np.int64) for cut in SAFETY_CUTS)

    codes = tracking_codes(rng, count)
    described = rng.random(count) < DESCRIPTION_SHARE
    descriptions = np.full(count, "", dtype=object)
    for i, c in enumerate(categories):
        phrases = DESCRIPTIONS.get(c.group)
        rows = np.flatnonzero(described & (category_index == i))
        if phrases and len(rows):
            descriptions[rows] = np.array(phrases, dtype=object)[rng.integers(0, len(phrases), size=len(rows))]
    submit_delay = np.minimum(rng.exponential(2 * 3_600, size=count), 48 * 3_600).astype(np.int64)
    points_per_zone = np.bincount(zone_index, minlength=zones)
    point_seeds = rng.integers(1, 2**31 - 1, size=zones)

    category_ids = np.array([c.id for c in categories], dtype=np.int64)
    columns = (
        np.arange(count).tolist(),
        zone_ids[zone_index].tolist(),
        category_ids[category_index].tolist(),
        perceived_safety.tolist(),
        local_seconds.tolist(),
        submit_delay.tolist(),
        codes.tolist(),
        descriptions.tolist(),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            DROP TABLE IF EXISTS _demo_report, _demo_zone;
            CREATE TEMP TABLE _demo_report (
                seq integer, zone_id bigint, category_id bigint, perceived_safety smallint,
                local_seconds bigint, submit_delay integer, tracking_code text, description text
            ) ON COMMIT DROP;
            CREATE TEMP TABLE _demo_zone (zone_id bigint, points integer, point_seed integer) ON COMMIT DROP;
            """
        )
        _copy_rows(cursor, "_demo_report", zip(*columns, strict=True))
        cursor.execute(
            "INSERT INTO _demo_zone SELECT * FROM unnest(%s::bigint[], %s::int[], %s::int[])",
            [zone_ids.tolist(), points_per_zone.tolist(), point_seeds.tolist()],
        )
        cursor.execute("DELETE FROM _demo_zone WHERE points = 0; ANALYZE _demo_report; ANALYZE _demo_zone")
        # The per-row zone lookup inflates the cost estimate past jit_above_cost, and compiling the
        # plan took longer than running it (0.7 s of 0.85 s at the small scale): no JIT for this
        # one; and enough memory for its sorts not to spill to disk.
        with _local_settings(cursor, jit="off", work_mem="256MB"):
            cursor.execute(_insert_reports_sql(), [settings.TIME_ZONE, Report.Status.SUBMITTED, Report.Source.DEMO])
            inserted = cursor.rowcount
        cursor.execute("ANALYZE reports_report")
    if inserted != count:
        raise RuntimeError(f"seeded {inserted} reports instead of {count}: points missing inside some zone")
    return inserted


@contextmanager
def _local_settings(cursor, **values: str) -> Iterator[None]:
    """PostgreSQL settings changed for the statements inside, then put back (within the transaction)."""
    previous = {}
    for name, value in values.items():
        cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
        previous[name] = cursor.fetchone()[0]
    try:
        yield
    finally:
        for name, value in previous.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def _copy_rows(cursor, table: str, rows, chunk: int = 200_000) -> None:
    """COPY rows (tuples of ints and tab-free strings) into a table, a chunk at a time."""
    buffer = io.StringIO()
    written = 0

    def flush() -> None:
        buffer.seek(0)
        cursor.copy_expert(f"COPY {table} FROM STDIN", buffer)
        buffer.seek(0)
        buffer.truncate()

    for row in rows:
        buffer.write("\t".join(map(str, row)))
        buffer.write("\n")
        written += 1
        if written % chunk == 0:
            flush()
    if written % chunk:
        flush()


def _insert_reports_sql() -> str:
    # The k-th staged report of a zone takes the k-th point ST_GeneratePoints made in that zone.
    # It gives up after 100 rounds of about as many tries as points asked, so for a handful of
    # points in a thin or scattered zone it can come back short: ask for at least 100.
    # the zone, night and slot are then stamped by the same SQL the rest of the project uses. Rows go
    # in time order, so ids grow with time as real reports' do.
    return f"""
        WITH staged AS (
            SELECT s.*,
                   row_number() OVER (PARTITION BY s.zone_id ORDER BY s.seq) AS k,
                   (timestamp '2000-01-01' + s.local_seconds * interval '1 second') AT TIME ZONE %s AS occurred_at
            FROM _demo_report s
        ), points AS (
            SELECT c.zone_id, d.path[1] AS k, d.geom
            FROM _demo_zone c
            JOIN observatory_zone z ON z.id = c.zone_id
            CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(z.geom, greatest(c.points, 100), c.point_seed)) d
        ), placed AS (
            SELECT s.*, p.geom AS location
            FROM staged s JOIN points p ON p.zone_id = s.zone_id AND p.k = s.k
        )
        INSERT INTO reports_report
            (tracking_code, category_id, location, perceived_safety, occurred_at, description,
             zone_id, night, slot, status, source, created_at)
        SELECT tracking_code, category_id, location, perceived_safety, occurred_at, description,
               {ZONE_FOR_POINT_SQL.format(point="location")},
               {nightslots.sql_night_of("occurred_at")},
               {nightslots.sql_slot_of("occurred_at")},
               %s, %s,
               least(occurred_at + submit_delay * interval '1 second', now())
        FROM placed
        ORDER BY occurred_at, seq
    """


# --- indicators and accounts -----------------------------------------------------------------------


def recompute_indicators(ctx: DemoContext) -> int:
    """Indicators computed now, so the dashboard has data before any worker runs."""
    engine.recompute_all()  # also clears the stale markers
    with connection.cursor() as cursor:
        # Statistics for the freshly filled table: without them the next recompute's anti-join
        # is planned for one row and turns quadratic (minutes instead of seconds at medium scale).
        cursor.execute("ANALYZE observatory_indicator")
    return Indicator.objects.count()


def seed_accounts(ctx: DemoContext) -> int:
    """The demo logins, one per role plus a superuser, all with settings.DEMO_PASSWORD."""
    # One hash for the four accounts: password hashing is slow on purpose, and these share a password anyway.
    password = make_password(settings.DEMO_PASSWORD)
    for username, group in DEMO_ACCOUNTS:
        user, _created = User.objects.get_or_create(username=username)
        user.password = password
        user.is_active = True
        # Staff roles reach the admin too (grant administrators work there); what they may change there
        # is limited by their group's permissions. Only demo-admin is a superuser.
        user.is_staff = True
        user.is_superuser = group is None
        user.save()
        user.groups.set([Group.objects.get_or_create(name=group)[0]] if group else [])
    return len(DEMO_ACCOUNTS)


# The steps, in order, each returning how many rows it made. Later apps add theirs here (for
# instance sensors and readings after the reports, grants and projects after the zones); a step
# that feeds indicators goes before recompute_indicators, and its tables into WIPE_TABLES unless a
# foreign key to a zone or a report already brings them in.
DemoStep = Callable[[DemoContext], int]
DEMO_STEPS: list[tuple[str, DemoStep]] = [
    ("zones", seed_zones),
    ("reports", seed_reports),
    ("moderation", seed_moderation),
    ("audits", seed_audits),
    ("notes", seed_public_notes),
    ("streets", seed_streets),
    ("civic_numbers", seed_civic_numbers),
    ("grants", seed_grants),
    ("interventions", seed_interventions),
    ("sensors", seed_sensors),
    ("surveys", seed_surveys),
    ("weighting", weight_surveys),
    ("indicators", recompute_indicators),
    ("accounts", seed_accounts),
    ("cases", seed_cases),
]


def tables_to_wipe() -> list[str]:
    """WIPE_TABLES and the tables whose foreign keys lead to them, read from the database's catalogue."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE wiped(table_oid) AS (
                SELECT to_regclass(name)::oid FROM unnest(%s::text[]) AS name
                UNION
                SELECT c.conrelid FROM pg_constraint c JOIN wiped w ON c.confrelid = w.table_oid
                WHERE c.contype = 'f'
            )
            SELECT table_oid::regclass::text FROM wiped WHERE table_oid IS NOT NULL ORDER BY 1
            """,
            [WIPE_TABLES],
        )
        return [row[0] for row in cursor.fetchall()]


def last_complete_night(now: dt.datetime | None = None) -> dt.date:
    """The night before the one in progress: the last whose every slot is over."""
    return nightslots.night_of(now or timezone.now()) - dt.timedelta(days=1)


def demo_seed(
    *,
    scale: str = "small",
    seed: int = DEFAULT_SEED,
    zones_paths: Sequence[str] = (),
    months: int = DEFAULT_MONTHS,
    until: dt.date | None = None,
    name_field: str = "name",
    code_field: str = "code",
    population_field: str | None = None,
    zone_kind: str = Zone.Kind.OTHER,
    stdout: TextIO | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> DemoSummary:
    """Replace the database's zones, reports and indicators with a synthetic city; same seed, same rows.

    ``until`` is the last night of data (default: the last complete night), and the window runs
    ``months`` back from it. Everything happens in one transaction: a failure leaves the old data.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    if months < 1:
        raise ValueError("months must be at least 1")
    last_night = until or last_complete_night()
    if last_night > last_complete_night():
        raise ValueError(f"the last night must be over; {last_night} is not")
    nights = round(months * 365.25 / 12)
    ctx = DemoContext(
        scale_name=scale,
        scale=SCALES[scale],
        seed=seed,
        months=months,
        first_night=last_night - dt.timedelta(days=nights - 1),
        last_night=last_night,
        zones_paths=tuple(str(p) for p in zones_paths),
        name_field=name_field,
        code_field=code_field,
        population_field=population_field,
        zone_kind=zone_kind,
    )

    def say(line: str) -> None:
        if stdout is not None:
            stdout.write(line + "\n")

    counts: dict[str, int] = {}
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with transaction.atomic():
        step_started = time.perf_counter()
        wiped = tables_to_wipe()
        say(
            f"WARNING: seed_demo deletes every row of {', '.join(wiped)} in database "
            f"{connection.settings_dict['NAME']!r} and replaces them with demo data."
        )
        say(f"Seeding scale {scale!r} with seed {seed}, nights {ctx.first_night} to {ctx.last_night}.")
        with connection.cursor() as cursor:
            # TRUNCATE refuses tables with foreign-key checks still pending (rows written earlier in
            # an enclosing transaction, as in tests): run those checks now, then defer again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            if wiped:  # none on an unmigrated database, where the next step says what is missing
                cursor.execute(f"TRUNCATE {', '.join(wiped)} RESTART IDENTITY")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        seconds["wipe"] = time.perf_counter() - step_started
        say(f"  {'wipe':<12} {'':>10}  {seconds['wipe']:7.2f} s")
        for number, (name, step) in enumerate(DEMO_STEPS):
            if progress is not None:
                progress(name, number, len(DEMO_STEPS))
            step_started = time.perf_counter()
            counts[name] = step(ctx)
            seconds[name] = time.perf_counter() - step_started
            say(f"  {name:<12} {counts[name]:>10,}  {seconds[name]:7.2f} s")
        if progress is not None:
            progress("done", len(DEMO_STEPS), len(DEMO_STEPS))
    total = time.perf_counter() - started
    say(f"Done in {total:.2f} s.")
    for note in ctx.notes:
        say(f"Note: {note}")
    return DemoSummary(
        scale=scale,
        seed=seed,
        first_night=ctx.first_night,
        last_night=ctx.last_night,
        counts=counts,
        step_seconds=seconds,
        total_seconds=total,
        accounts=tuple(username for username, _group in DEMO_ACCOUNTS),
        notes=tuple(ctx.notes),
    )
