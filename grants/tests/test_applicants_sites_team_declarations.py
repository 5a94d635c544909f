"""The application's sites on a map, its team and the legal representative's self-declarations (DPR 445/2000):
what an applicant fills in besides the organisation, the project and the budget, what the office reads, and
what keeps an application from being submitted until it is there."""

import subprocess
from pathlib import Path

import pytest
from django.contrib.gis.geos import LineString, MultiLineString
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from city.models import Street
from grants.applicants import receipt, services
from grants.models import Application, Declaration
from grants.tests.applicants_support import TEAM, TEST_PASSWORD, applicant, complete_draft, open_call, site_in
from grants.tests.conftest import cell_centre


def _post(client, draft, **extra):
    """The form as the page posts it, with the draft's own fields, and ``extra`` on top."""
    data = {name: getattr(draft, name) or "" for name in services.DRAFT_FIELDS if name != "night_service"}
    for name in ("start_on", "end_on"):
        data[name] = getattr(draft, name).isoformat() if getattr(draft, name) else ""
    data["zones"] = list(draft.zones.values_list("pk", flat=True))
    line = draft.budget_lines.first()
    data |= {"line_count": "1", "line-0-description": line.description, "line-0-requested": str(line.requested),
             "line-0-co_financing": str(line.co_financing), "site_count": "4", "team_count": "2"}  # fmt: skip
    data |= {f"decl_{d.declaration_id}": "on" for d in draft.declarations.all()}
    for index, site in enumerate(draft.sites.all()):
        data |= {f"site-{index}-name": site.name, f"site-{index}-lat": f"{site.point.y:.6f}",
                 f"site-{index}-lon": f"{site.point.x:.6f}"}  # fmt: skip
    data.update(extra)
    return client.post(reverse("applicants:draft", args=[draft.pk]), data)


@pytest.mark.django_db
def test_sites_are_placed_by_their_point_or_their_address_and_bring_their_zones(client, grid):
    call = open_call()
    user = applicant()
    draft = complete_draft(user, call, grid)
    lon, lat = cell_centre(3, 3)
    x, y = cell_centre(2, 0)
    Street.objects.create(name="Via Nizza", geom=MultiLineString(LineString((x - 0.002, y), (x + 0.002, y))))
    client.login(username=user.username, password=TEST_PASSWORD)

    response = _post(
        client, draft,
        **{"site-0-name": "Giardino Alimonda", "site-0-lat": f"{lat:.6f}", "site-0-lon": f"{lon:.6f}",
           "site-1-name": "Casa del quartiere", "site-1-address": "via nizza 45", "site-1-lat": "", "site-1-lon": ""},
        **{f"team-0-{k}": v for k, v in TEAM[0].items()},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-2000:]
    sites = list(draft.sites.select_related("zone").order_by("id"))
    assert [(s.name, s.zone.code) for s in sites] == [("Giardino Alimonda", "G33"), ("Casa del quartiere", "G20")]
    assert sites[1].address == "via nizza 45"
    # Each site's zone joins the project's zones; the zones chosen from the list stay.
    assert {"G33", "G20", "G00", "G10"} <= set(draft.zones.values_list("code", flat=True))

    page = client.get(reverse("applicants:draft", args=[draft.pk])).content.decode()
    assert 'value="Giardino Alimonda"' in page and f'value="{lat:.6f}"' in page and "G33" in page

    services.draft_submit(draft=draft)
    application = Application.objects.get()
    placed = [g.coords for g in application.sites]
    assert (round(lon, 6), round(lat, 6)) in placed and sites[1].point.coords in placed


@pytest.mark.django_db
def test_a_site_outside_the_city_or_nowhere_is_refused_on_its_row_and_nothing_is_saved(client, grid):
    call = open_call()
    user = applicant(language="en")
    draft = complete_draft(user, call, grid)
    before = list(draft.sites.values_list("name", "point"))
    client.login(username=user.username, password=TEST_PASSWORD)
    client.cookies["django_language"] = "en"
    response = _post(
        client, draft,
        **{"site-0-name": "Far away", "site-0-lat": "41.9", "site-0-lon": "12.5",
           "site-1-name": "Nowhere", "site-2-lat": "45.05", "title": "Changed"},
    )  # fmt: skip
    assert response.status_code == 400
    page = response.content.decode()
    assert "outside the city" in page
    assert "Place the site on the map, or write its address." in page
    assert "Give the site a name" in page and "Check the sites: some are not right." in page
    draft.refresh_from_db()
    assert draft.title == "Luci in piazza" and list(draft.sites.values_list("name", "point")) == before


def test_a_site_is_refused_with_a_message_the_person_can_act_on():
    with translation.override("it"), pytest.raises(ValidationError) as caught:
        services.site_locate(name="Piazza", lat="45,07", lon="")
    assert "latitudine e la longitudine" in caught.value.messages[0]
    with pytest.raises(ValidationError, match="numbers"):
        services.site_locate(name="Piazza", lat="north", lon="7.6")
    with pytest.raises(ValidationError, match="cannot be stored"):
        services.site_locate(name="Piazza\x00", lat="45.07", lon="7.68")


@pytest.mark.django_db
def test_the_team_needs_a_name_and_a_role_and_whole_hours(client, grid):
    call = open_call()
    user = applicant()
    draft = complete_draft(user, call, grid)
    client.login(username=user.username, password=TEST_PASSWORD)
    response = _post(
        client, draft,
        **{"team-0-full_name": "Luca Verdi", "team-0-hours": "dieci", "team-1-role": "Educatrice"},
    )  # fmt: skip
    assert response.status_code == 400
    page = response.content.decode()
    assert "Scrivi il ruolo della persona nel progetto" in page and "numero intero" in page
    assert "Scrivi il nome della persona." in page
    assert list(draft.team.values_list("full_name", flat=True)) == ["Giulia Bianchi"]  # unchanged

    # Without anyone in the team the application cannot go.
    response = _post(client, draft)
    assert response.status_code == 302 and not draft.team.exists()
    with pytest.raises(ValidationError) as caught:
        services.draft_submit(draft=draft)
    assert any("Indica almeno una persona del gruppo di lavoro" in m for m in caught.value.messages)


@pytest.mark.django_db
def test_the_self_declarations_are_required_and_kept_in_the_words_the_applicant_read(client, grid):
    call = open_call()
    assert call.declarations.count() == len(services.DEFAULT_DECLARATIONS)
    assert services.declarations_default_create(call) == 0  # never twice
    user = applicant(language="en")
    draft = complete_draft(user, call, grid)
    first = call.declarations.order_by("position").first()
    made = draft.declarations.get(declaration=first)
    assert made.text == first.text_en and "DPR 445/2000 art. 76" in made.text  # the applicant's language

    # The office rewords the declaration later: what was declared stays as it was.
    Declaration.objects.filter(pk=first.pk).update(text_en="Something else")
    client.login(username=user.username, password=TEST_PASSWORD)
    response = _post(client, draft, **{f"team-0-{k}": v for k, v in TEAM[0].items()})
    assert response.status_code == 302
    made.refresh_from_db()
    assert "DPR 445/2000 art. 76" in made.text

    # One box unticked: taken back, and the application cannot be submitted.
    response = _post(client, draft, **{f"decl_{first.pk}": "", **{f"team-0-{k}": v for k, v in TEAM[0].items()}})
    assert response.status_code == 302
    assert not draft.declarations.filter(declaration=first).exists()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.draft_submit(draft=draft)
    assert any("every required self-declaration (1 still to tick)" in m for m in caught.value.messages)
    assert not Application.objects.exists()

    # Ticked again and submitted: the receipt lists every declaration with the team and the site.
    response = _post(client, draft, **{f"decl_{first.pk}": "on", **{f"team-0-{k}": v for k, v in TEAM[0].items()}})
    services.draft_submit(draft=draft)
    draft.refresh_from_db()
    path = Path("test-output") / "applicant-receipt-declarations-en.pdf"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(receipt.receipt_pdf(draft, language="en"))
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())
    assert "Self-declarations" in text and "DPR 445/2000, articles 46 and 47" in text
    assert "Mario Rossi, legal representative of Associazione Quartiere Vivo, declares" in text
    assert "Something else" in text  # ticked again today: the words of today
    assert "Giulia Bianchi" in text and "Coordinatrice" in text and "Piazza del quartiere" in text


@pytest.mark.django_db
def test_a_declaration_of_another_call_is_refused(grid):
    call, other = open_call(), open_call()
    draft = complete_draft(applicant(), call, grid)
    with pytest.raises(ValidationError, match="does not ask for that declaration"):
        services.draft_save(draft=draft, data={}, declared={other.declarations.first().pk})


@pytest.mark.django_db
def test_the_office_reads_sites_team_and_declarations_in_the_admin(client, grid, django_user_model):
    call = open_call()
    draft = complete_draft(applicant(), call, grid)
    services.draft_submit(draft=draft)
    admin = django_user_model.objects.create_superuser("office", "office@example.org", TEST_PASSWORD)
    client.force_login(admin)
    page = client.get(reverse("admin:grants_applicationdraft_change", args=[draft.pk])).content.decode()
    assert "Piazza del quartiere" in page and "Giulia Bianchi" in page and "DPR 445/2000" in page
    page = client.get(reverse("admin:grants_call_change", args=[call.pk])).content.decode()
    assert "declarations-0-text_it" in page  # the office edits the call's declarations


@pytest.mark.django_db
def test_site_in_gives_a_point_the_service_accepts(grid):
    name, _address, point, zone = services.site_locate(**site_in(grid[5]))
    assert zone.pk == grid[5].pk and name == "Piazza del quartiere" and point.srid == 4326
