"""The possible-duplicates answers cannot be used to find where a report was made.

An attacker who knows roughly where a report is (its street) asks /reports/nearby.json from as many points as
they like and uses whatever the answers expose: distances (trilateration) and whether the report is listed or
said to be nearby (bisection along rays to the edge of the "nearby" circle, then the circle's centre). Of an
unpublished report they may learn no more than its grid cell, and of a published one no more than its snapped
place, which the public map shows anyway.
"""

from __future__ import annotations

import math

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.urls import reverse

from reports.models import Report
from reports.services import report_publish

from .factories import submit

pytestmark = pytest.mark.django_db
EARTH_RADIUS_M = 6_370_986  # PostGIS's sphere (ST_DistanceSphere)


class LocalFrame:
    """Metres east and north of an origin, on the sphere PostGIS measures with."""

    def __init__(self, origin: Point):
        self.lon0, self.lat0 = origin.x, origin.y
        self.metres_per_degree = EARTH_RADIUS_M * math.pi / 180

    def point(self, east: float, north: float) -> Point:
        return Point(
            self.lon0 + east / (self.metres_per_degree * math.cos(math.radians(self.lat0))),
            self.lat0 + north / self.metres_per_degree,
            srid=4326,
        )

    def metres(self, point: Point) -> tuple[float, float]:
        return (
            (point.x - self.lon0) * self.metres_per_degree * math.cos(math.radians(self.lat0)),
            (point.y - self.lat0) * self.metres_per_degree,
        )


class Attacker:
    def __init__(self, client, category, frame: LocalFrame, code: str):
        self.client, self.category, self.frame, self.code = client, category, frame, code
        self.transcript: list[tuple[float, float, dict]] = []

    def ask(self, east: float, north: float) -> dict:
        where = self.frame.point(east, north)
        response = self.client.get(
            reverse("reports:nearby"), {"category": self.category.pk, "lat": f"{where.y:.8f}", "lon": f"{where.x:.8f}"}
        )
        assert response.status_code == 200
        body = response.json()
        self.transcript.append((round(east, 3), round(north, 3), body))
        return body

    def listed(self, body: dict) -> dict | None:
        return next((item for item in body["reports"] if item["tracking_code"] == self.code), None)

    def sees(self, east: float, north: float) -> bool:
        body = self.ask(east, north)
        return self.listed(body) is not None or bool(body.get("unpublished_nearby"))

    def trilaterate(self, start: tuple[float, float]) -> tuple[float, float] | None:
        """Least squares on the distances the answers give, from a ring of points around ``start``."""
        circles = []
        for step in range(16):
            angle = 2 * math.pi * step / 16
            east, north = start[0] + 120 * math.cos(angle), start[1] + 120 * math.sin(angle)
            item = self.listed(self.ask(east, north))
            if item is not None and item.get("distance_m") is not None:
                circles.append((east, north, float(item["distance_m"])))
        if len(circles) < 3:
            return None
        # Subtracting the first circle's equation from the others leaves linear equations in (x, y).
        x0, y0, r0 = circles[0]
        rows = [(2 * (x - x0), 2 * (y - y0), r0**2 - r**2 + x**2 - x0**2 + y**2 - y0**2) for x, y, r in circles[1:]]
        return solve_least_squares(rows)

    def edge_centre(self, start: tuple[float, float]) -> tuple[float, float] | None:
        """Bisect along 16 rays to where the report stops being 'nearby', then fit a circle to those edges."""
        if not self.sees(*start):
            return None
        edges = []
        for step in range(16):
            angle = 2 * math.pi * step / 16
            inside, outside = 0.0, 800.0
            while outside - inside > 0.25:
                middle = (inside + outside) / 2
                seen = self.sees(start[0] + middle * math.cos(angle), start[1] + middle * math.sin(angle))
                inside, outside = (middle, outside) if seen else (inside, middle)
            edges.append((start[0] + inside * math.cos(angle), start[1] + inside * math.sin(angle)))
        # Kasa's fit: x² + y² + D x + E y + F = 0, linear in D, E, F; the centre is (-D/2, -E/2).
        rows = [(x, y, 1.0, -(x**2 + y**2)) for x, y in edges]
        d, e, _f = solve_least_squares(rows)
        return -d / 2, -e / 2

    def best_guesses(self, start: tuple[float, float]) -> list[tuple[float, float]]:
        return [guess for guess in (self.trilaterate(start), self.edge_centre(start)) if guess is not None]


def solve_least_squares(rows: list[tuple[float, ...]]) -> tuple[float, ...]:
    """Solve A x = b in the least-squares sense (normal equations, Gaussian elimination); rows are (*A_i, b_i)."""
    size = len(rows[0]) - 1
    normal = [
        [sum(r[i] * r[j] for r in rows) for j in range(size)] + [sum(r[i] * r[-1] for r in rows)] for i in range(size)
    ]
    for column in range(size):
        pivot = max(range(column, size), key=lambda row: abs(normal[row][column]))
        normal[column], normal[pivot] = normal[pivot], normal[column]
        for row in range(size):
            if row != column:
                factor = normal[row][column] / normal[column][column]
                normal[row] = [a - factor * b for a, b in zip(normal[row], normal[column], strict=True)]
    return tuple(normal[i][-1] / normal[i][i] for i in range(size))


def snap_point(report: Report) -> Point:
    return Report.objects.with_public_location().get(pk=report.pk).public_location


def place(report: Report, where: Point) -> None:
    Report.objects.filter(pk=report.pk).update(location=where)


def attack_from_two_places_in_one_cell(client, report: Report) -> list[dict]:
    """Put the report at two places of its grid cell, about 74 m from the cell's snap point on opposite sides,
    and attack it each time from the same rough idea of where it is. Returns what the attacker got each time."""
    frame = LocalFrame(snap_point(report))
    runs = []
    for offset in ((52.0, 52.0), (-52.0, -52.0)):
        where = frame.point(*offset)
        place(report, where)
        assert snap_point(report).equals_exact(frame.point(0, 0), 1e-9)  # still the same cell
        attacker = Attacker(client, report.category, frame, report.tracking_code)
        guesses = attacker.best_guesses(start=(20.0, -15.0))
        errors = [math.dist(guess, offset) for guess in guesses]
        runs.append({"transcript": attacker.transcript, "errors": errors, "requests": len(attacker.transcript)})
    return runs


def test_an_unpublished_report_cannot_be_located_better_than_its_grid_cell(client, two_zones, category):
    report = submit(category, lon=7.6752, lat=45.0651)
    runs = attack_from_two_places_in_one_cell(client, report)
    assert all(run["requests"] > 100 for run in runs)
    cell = settings.OBSERVATORY_PRIVACY_GRID_M
    for run in runs:
        assert run["errors"], "the attacker learnt nothing at all: the test no longer probes anything"
        assert min(run["errors"]) > 0.4 * cell, f"located within {min(run['errors']):.1f} m"
    assert runs[0]["transcript"] == runs[1]["transcript"]  # the answers are the same wherever it is in the cell
    for _east, _north, body in runs[0]["transcript"]:
        assert body["reports"] == []  # no code, time or distance of it, ever
        assert report.tracking_code not in str(body)


def test_a_published_report_cannot_be_located_better_than_its_snapped_place(client, two_zones, category, moderator):
    report = report_publish(report=submit(category, lon=7.6752, lat=45.0651), user=moderator)
    runs = attack_from_two_places_in_one_cell(client, report)
    assert any(body["reports"] for _e, _n, body in runs[0]["transcript"])  # it is listed, with a distance
    cell = settings.OBSERVATORY_PRIVACY_GRID_M
    for run in runs:
        assert len(run["errors"]) == 2  # both the distances and the list's edge were used
        assert min(run["errors"]) > 0.4 * cell, f"located within {min(run['errors']):.1f} m"
    assert runs[0]["transcript"] == runs[1]["transcript"]


def test_published_distances_are_whole_grid_cells_measured_from_the_snapped_place(
    client, two_zones, category, moderator
):
    report = report_publish(report=submit(category, lon=7.6752, lat=45.0651), user=moderator)
    snapped = snap_point(report)
    response = client.get(reverse("reports:nearby"), {"category": category.pk, "lat": snapped.y, "lon": snapped.x})
    (item,) = response.json()["reports"]
    assert item["distance_m"] == settings.OBSERVATORY_PRIVACY_GRID_M  # at least one cell, never "0 m"
    assert item["distance_m"] % settings.OBSERVATORY_PRIVACY_GRID_M == 0
