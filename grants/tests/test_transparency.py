"""Transparency: the "Sovvenzioni, contributi, sussidi" page and its open data (CSV, JSON, CC-BY 4.0) list
every grant over EUR 1,000 with the art. 27 fields once published at award; natural persons are never named."""

import csv
import io
import json

import pytest
from django.utils import timezone

from grants import services
from grants.tests.conftest import award, make_call, make_ranked

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def _csv(response) -> list[dict]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_a_published_grant_is_listed_with_its_art_27_fields(client, grid, evaluator):
    call = make_call()
    call.legal_basis = "Regolamento comunale contributi, art. 12"
    call.save()
    project = award(make_ranked(call, evaluator), "30000.00")
    (row,) = _csv(client.get(f"/projects/transparency/{YEAR}.csv"))
    assert row["beneficiary"] == "Associazione Quartiere Vivo"
    assert row["tax_code"] == project.organisation.tax_code and len(row["tax_code"]) == 11
    assert row["amount_eur"] == "30000.00"
    assert row["legal_basis"] == "Regolamento comunale contributi, art. 12"
    assert (row["office"], row["responsible_official"]) == ("Divisione Servizi Sociali", "Dott.ssa Laura Verdi")
    assert row["selection_method"] and row["project_url"].endswith(f"/projects/{project.pk}/")
    assert row["project_url"].startswith("http")
    data = json.loads(client.get(f"/projects/transparency/{YEAR}.json").content)
    assert data["license"] == "CC-BY-4.0" and data["records"][0]["cup"] == project.cup
    page = client.get("/projects/transparency/").content.decode()
    assert project.cup in page and "maria.rossi@example.org" not in page
    detail = client.get(project.get_absolute_url()).content.decode()
    assert project.cup in detail and project.organisation.tax_code in detail and "Dott.ssa Laura Verdi" in detail


def test_unpublished_grants_and_grants_up_to_1000_eur_are_not_listed(client, grid, evaluator):
    call = make_call()
    award(make_ranked(call, evaluator, title="A"), "30000.00", publish=False)
    award(make_ranked(call, evaluator, title="B", requested="1000.00"), "1000.00")
    assert _csv(client.get(f"/projects/transparency/{YEAR}.csv")) == []


def test_a_natural_person_is_never_named_nor_identified(client, grid, evaluator):
    person = services.organisation_register(name="Mario Rossi", tax_code="RSSMRA80A01L219X", natural_person=True)
    application = make_ranked(make_call(), evaluator)
    application.organisation = "Mario Rossi"
    application.save(update_fields=["organisation"])
    project = award(application, "5000.00", organisation=person)
    (row,) = _csv(client.get(f"/projects/transparency/{YEAR}.csv"))
    assert row["tax_code"] == "" and "Rossi" not in json.dumps(row)
    for url in (
        "/projects/transparency/",
        project.get_absolute_url(),
        "/projects/",
        f"/projects/transparency/{YEAR}.json",
    ):
        assert "Mario Rossi" not in client.get(url).content.decode(), url
        assert "RSSMRA80A01L219X" not in client.get(url).content.decode(), url


def test_grants_are_listed_by_year_of_publication(client, grid, evaluator):
    award(make_ranked(make_call(), evaluator), "30000.00")
    assert _csv(client.get(f"/projects/transparency/{YEAR - 1}.csv")) == []
    page = client.get(f"/projects/transparency/?year={YEAR - 1}").content.decode()
    assert "No grants published in this year" in page or "Nessun" in page
