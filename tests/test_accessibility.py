"""axe-core, injected by Playwright, finds no serious or critical violation on the citizen pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Polygon

from observatory.models import Zone
from reports.models import Category
from reports.ratelimit import rate_limit_reset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def published_report(db):
    from conftest import make_user
    from reports.services import report_publish
    from reports.tests.factories import submit

    rate_limit_reset("127.0.0.1")
    Zone.objects.create(
        code="CENTRO", name="Centro", geom=MultiPolygon(Polygon.from_bbox((7.66, 45.05, 7.71, 45.09)), srid=4326)
    )
    category, _ = Category.objects.get_or_create(
        code="dark-area", defaults={"name_it": "Zona buia", "name_en": "Dark area"}
    )
    return report_publish(report=submit(category, lon=7.68, lat=45.07), user=make_user("mod-axe", "moderator"))


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("path", ["/reports/new/", "/reports/audit/new/", "/map/", "tracking"])
def test_no_serious_or_critical_violation(page, published_report, path):
    url = published_report.get_absolute_url() if path == "tracking" else path
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert serious_violations(page) == []


def test_the_form_with_errors_has_no_serious_violation(page, published_report):
    page.goto("/reports/new/")
    page.get_by_role("button", name="Invia la segnalazione").click()
    page.wait_for_load_state()
    assert serious_violations(page) == []
