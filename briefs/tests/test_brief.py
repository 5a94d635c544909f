"""The monthly brief: what it says for a month and a scope, who may read it, and its PDF and command."""

import datetime as dt
import subprocess

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from briefs import rendering
from briefs.selectors import brief_build, month_parse, scope_resolve
from city.models import Zone
from conftest import make_user
from grants.tests.conftest import cell_centre
from indicators import registry
from indicators.models import Alert, Indicator
from interventions.models import Intervention
from interventions.services import intervention_record
from tests.processes import OUTPUT_DIR

NOVEMBER = dt.date(2026, 11, 1)


def _nightly(zone, first, last, *, share, n=20, slot="night"):
    rows, night = [], first
    while night <= last:
        k = round(share * n)
        rows.append(Indicator(zone=zone, period_kind="night", period_start=night, slot=slot,
                              metric=registry.SHARE_FEELING_SAFE, method_version=registry.METHOD_VERSION,
                              value=k / n, numerator=k, n=n, computed_at=timezone.now()))  # fmt: skip
        night += dt.timedelta(days=1)
    Indicator.objects.bulk_create(rows)


@pytest.fixture
def autumn(grid):
    """G11 at 50% feeling safe in October and 80% in November (20 answers a night); G22 at 60% throughout."""
    g11, g22 = Zone.objects.get(code="G11"), Zone.objects.get(code="G22")
    _nightly(g11, dt.date(2026, 10, 1), dt.date(2026, 10, 31), share=0.5)
    _nightly(g11, dt.date(2026, 11, 1), dt.date(2026, 11, 30), share=0.8)
    _nightly(g22, dt.date(2026, 10, 1), dt.date(2026, 11, 30), share=0.6)
    Indicator.objects.create(zone=g11, period_kind="month", period_start=NOVEMBER, slot="night", metric=registry.PSI,
                             method_version=registry.METHOD_VERSION, value=64.0, lower=60.0, upper=68.0, n=600,
                             computed_at=timezone.now())  # fmt: skip
    Alert.objects.create(zone=g22, slot="night", metric=registry.SHARE_FEELING_SAFE, window_start=NOVEMBER,
                         window_end=dt.date(2026, 11, 28), method_version=registry.METHOD_VERSION, baseline=0.7,
                         current=0.6, baseline_n=300, current_n=200, statistic=-2.5, p_value=0.01, q_value=0.03,
                         created_at=timezone.now())  # fmt: skip
    intervention_record(
        what="Lampioni riparati",
        kind=Intervention.Kind.LIGHTING_REPAIR,
        place=Point(*cell_centre(1, 1), srid=4326),
        start_on=dt.date(2026, 11, 3),
        night_time=True,
    )
    return g11, g22


@pytest.mark.django_db
def test_one_zones_brief_shows_its_share_with_interval_and_the_rise_on_the_previous_month(autumn):
    brief = brief_build(month=NOVEMBER, scope=scope_resolve(zone_code="G11"))
    night = next(line for line in brief.shares if line.code == "night")
    assert night.current.value == pytest.approx(80.0) and night.current.n == 600
    assert night.current.lower < 80.0 < night.current.upper
    assert night.previous.value == pytest.approx(50.0)
    assert night.change == pytest.approx(30.0) and night.trend == "up"
    assert brief.headline.current.value == pytest.approx(80.0)  # after dark pooled: only night answers here
    assert [m.month for m in night.months][-2:] == [dt.date(2026, 10, 1), NOVEMBER]
    assert next(line for line in brief.index if line.code == "night").current.value == pytest.approx(64.0)
    assert [i["what"] for i in brief.interventions] == ["Lampioni riparati"]
    assert brief.alerts == []  # the alert is G22's


@pytest.mark.django_db
def test_the_citys_brief_pools_every_zone_and_lists_the_alerts_of_the_month(autumn):
    brief = brief_build(month=NOVEMBER, scope=scope_resolve())
    night = next(line for line in brief.shares if line.code == "night")
    assert night.current.value == pytest.approx(70.0) and night.current.n == 1200
    assert [a["zone"] for a in brief.alerts] == [f"{autumn[1].name} (G22)"]


def test_a_month_is_given_as_year_and_month():
    assert month_parse("2026-11") == NOVEMBER
    for bad in ("2026-13", "11/2026", "", "2026-1", "abcd-ef"):
        with pytest.raises(ValueError):
            month_parse(bad)


@pytest.mark.django_db
def test_the_page_is_for_staff_only(client, autumn, officer):
    url = reverse("briefs:brief") + "?month=2026-11"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(make_user("citizen-with-account"))
    assert client.get(url).status_code == 403
    client.force_login(officer)
    page = client.get(url + "&zone=G11")
    assert page.status_code == 200
    assert "Lampioni riparati" in page.text and 'id="brief-pdf-link"' in page.text
    assert "data:image/svg+xml;base64," in page.text  # the charts are drawn on the server


@pytest.mark.django_db
def test_a_bad_month_or_an_unknown_zone_is_refused_in_the_readers_language(client, grid, officer):
    client.force_login(officer)
    page = client.get(reverse("briefs:brief"), {"month": "2026-13", "zone": "NOPE"})
    assert page.status_code == 400
    assert "Indica il mese come AAAA-MM" in page.text and "Non esiste una zona con il codice NOPE" in page.text
    client.cookies["django_language"] = "en"
    page = client.get(reverse("briefs:pdf"), {"month": "2026/11"})
    assert page.status_code == 400 and "Give the month as YYYY-MM" in page.text


@pytest.mark.django_db
def test_the_pdf_is_rendered_on_the_server_in_the_chosen_language(client, autumn, officer):
    client.force_login(officer)
    response = client.get(reverse("briefs:pdf"), {"month": "2026-11", "zone": "G11", "language": "en"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert 'filename="brief-2026-11-G11-en.pdf"' in response["Content-Disposition"]
    # The PDF itself speaks English; its first page is kept as an image in test-output/ to be looked at.
    OUTPUT_DIR.mkdir(exist_ok=True)
    pdf = OUTPUT_DIR / "brief-2026-11-G11-en.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "intersectoral brief" in text.lower() and "November 2026" in text
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(OUTPUT_DIR / "brief-2026-11-G11-en-page1")], check=True)  # fmt: skip
    assert (OUTPUT_DIR / "brief-2026-11-G11-en-page1.png").stat().st_size > 10_000
    _brief, html = rendering.brief_document(month=NOVEMBER, scope=scope_resolve(zone_code="G11"), language="it")
    assert "Nota mensile intersettoriale" in html and "novembre 2026" in html


@pytest.mark.django_db
def test_the_command_writes_the_pdf_and_refuses_bad_arguments_with_a_message(autumn, tmp_path):
    output = tmp_path / "brief.pdf"
    call_command("brief", "--month", "2026-11", "--zone", "G11", "--language", "en", "--output", str(output))
    assert output.read_bytes().startswith(b"%PDF-")
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("brief", "--month", "nov", "--language", "en", "--output", str(output))
    with pytest.raises(CommandError, match="no zone with the code XX"):
        call_command("brief", "--month", "2026-11", "--zone", "XX", "--language", "en", "--output", str(output))
    with pytest.raises(CommandError, match="existing folder"):
        call_command("brief", "--month", "2026-11", "--output", str(tmp_path / "missing" / "b.pdf"))


@pytest.mark.django_db
def test_a_district_councils_brief_counts_the_cases_opened_in_its_zones_by_department(dark_report, city):
    month = timezone.localdate().replace(day=1)
    brief = brief_build(month=month, scope=scope_resolve(council_code="circ-1"))  # covers the west zone
    assert brief.scope.label == "Circoscrizione 1" and brief.scope.zone_ids == [city["west"].pk]
    assert {c["code"]: c["opened"] for c in brief.cases} == {"lighting": 1, "municipal_police": 1}
    assert brief.satisfaction == []
    with pytest.raises(ValueError, match="circ-9"):
        scope_resolve(council_code="circ-9")
