"""The application workflow: submitted -> eligible/ineligible -> scored -> ranked -> funded/not funded, recorded."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from grants import services
from grants.models import Application, ApplicationEvent, Project
from grants.tests.conftest import award, make_call, make_ranked, point_site, seat, site_at, submit

pytestmark = pytest.mark.django_db


def test_an_application_goes_from_submitted_to_funded_with_every_step_recorded(grid, evaluator):
    call = make_call()
    application = make_ranked(call, evaluator)
    project = award(application, "30000.00", actor=evaluator)

    application.refresh_from_db()
    assert application.status == Application.Status.FUNDED
    steps = list(ApplicationEvent.objects.filter(application=application).values_list("from_status", "to_status"))
    assert steps == [("", "submitted"), ("submitted", "eligible"), ("eligible", "scored"), ("scored", "ranked"),
                     ("ranked", "funded")]  # fmt: skip
    assert all(e.actor == evaluator and e.at for e in ApplicationEvent.objects.filter(application=application)[1:])
    assert project.granted_amount == Decimal("30000.00")
    assert project.beneficiary == "Associazione Quartiere Vivo"


def test_an_application_cannot_skip_eligibility(grid, evaluator):
    application = submit(make_call())
    with pytest.raises(ValidationError, match="cannot move"):
        services.application_transition(application=application, to_status="scored", actor=evaluator)
    assert ApplicationEvent.objects.filter(application=application).count() == 1


def test_an_ineligible_application_is_final(grid, evaluator):
    application = submit(make_call())
    services.application_transition(application=application, to_status="ineligible", actor=evaluator, note="No DURC")
    with pytest.raises(ValidationError):
        services.application_transition(application=application, to_status="eligible", actor=evaluator)
    assert ApplicationEvent.objects.get(to_status="ineligible").note == "No DURC"


def test_funding_happens_only_through_an_award(grid, evaluator):
    application = make_ranked(make_call(), evaluator)
    with pytest.raises(ValidationError, match="awarding"):
        services.application_transition(application=application, to_status="funded", actor=evaluator)


def test_scoring_needs_every_criterion(grid, evaluator):
    call = make_call()
    application = submit(call)
    services.application_transition(application=application, to_status="eligible", actor=evaluator)
    seat(call, evaluator)
    services.score_record(
        application=application, criterion=call.criteria.first(), evaluator=evaluator, score=7, reason="Chiaro."
    )
    with pytest.raises(ValidationError, match="Qualità"):
        services.application_transition(application=application, to_status="scored", actor=evaluator)


@pytest.mark.parametrize("score", [-1, 11, "dieci", "nan"])
def test_a_score_outside_0_to_10_is_refused(grid, evaluator, score):
    call = make_call()
    application = submit(call)
    services.application_transition(application=application, to_status="eligible", actor=evaluator)
    seat(call, evaluator)
    with pytest.raises(ValidationError, match="0 to 10"):
        services.score_record(
            application=application, criterion=call.criteria.first(), evaluator=evaluator, score=score, reason="x"
        )


def test_ranking_combines_scores_by_normalised_weights(grid, evaluator):
    # Weights 3 and 1 (not summing to 1): normalised to 0.75 / 0.25.
    call = make_call(criteria=(("Impatto", "3"), ("Qualità", "1")))
    strong_on_impact = make_ranked(call, evaluator, scores=(9, 1), title="A")  # 0.75*9 + 0.25*1 = 7.0
    strong_on_quality = make_ranked(call, evaluator, scores=(5, 10), title="B")  # 0.75*5 + 0.25*10 = 6.25
    scored = {a.title: a.weighted_score for a in Application.objects.with_weighted_score()}
    assert scored == {"A": Decimal("7.0000"), "B": Decimal("6.2500")}
    strong_on_impact.refresh_from_db()
    strong_on_quality.refresh_from_db()
    assert (strong_on_impact.rank, strong_on_quality.rank) == (1, 2)


def test_the_mean_of_several_evaluators_is_used(grid, evaluator, grants_admin):
    call = make_call(criteria=(("Impatto", "1"),))
    application = submit(call)
    services.application_transition(application=application, to_status="eligible", actor=evaluator)
    criterion = call.criteria.get()
    seat(call, evaluator)
    seat(call, grants_admin)
    for who, score in ((evaluator, 6), (grants_admin, 9), (evaluator, 8)):  # the last replaces 6
        services.score_record(application=application, criterion=criterion, evaluator=who, score=score, reason="Ok.")
    assert Application.objects.with_weighted_score().get().weighted_score == Decimal("8.5")


def test_a_ranked_application_can_be_not_funded(grid, evaluator):
    application = make_ranked(make_call(), evaluator)
    services.application_transition(application=application, to_status="not_funded", actor=evaluator)
    application.refresh_from_db()
    assert application.status == "not_funded"
    assert not Project.objects.exists()


def test_submission_outside_the_call_window_is_refused(grid):
    call = make_call()
    with pytest.raises(ValidationError, match="accepts applications from"):
        submit(call, submitted_on=call.closes_on + dt.timedelta(days=1))
    assert not Application.objects.exists()


def test_sites_outside_the_city_are_refused(grid):
    call = make_call()
    milan = point_site(9.19, 45.46)
    with pytest.raises(ValidationError, match="outside the city"):
        submit(call, sites=milan)
    # A collection with one part inside and one outside is refused too.
    inside_and_out = site_at(1, 1)
    inside_and_out.append(milan[0])
    with pytest.raises(ValidationError, match="1 of the sites"):
        submit(call, sites=inside_and_out)
    assert not Application.objects.exists()


def test_a_site_touching_the_city_border_is_accepted(grid):
    application = submit(make_call(), sites=point_site(7.64, 45.05))  # on the western edge of the grid
    assert application.pk


@pytest.mark.parametrize("amount", ["-100", "0", "mille", "12.345", "NaN", "Infinity", ""])
def test_negative_zero_and_non_numeric_amounts_are_refused(grid, amount):
    with pytest.raises(ValidationError):
        submit(make_call(), requested=amount)
    assert not Application.objects.exists()


def test_a_pdf_attachment_is_kept(grid):
    pdf = SimpleUploadedFile("progetto.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
    application = submit(make_call(), attachments=[pdf])
    attachment = application.attachments.get()
    assert attachment.original_name == "progetto.pdf"
    assert attachment.size == pdf.size


def test_a_non_pdf_attachment_is_refused_whatever_its_name(grid):
    fake = SimpleUploadedFile("progetto.pdf", b"MZ\x90\x00 this is an executable", content_type="application/pdf")
    with pytest.raises(ValidationError, match="Only PDF"):
        submit(make_call(), attachments=[fake])
    assert not Application.objects.exists()


def test_an_attachment_over_the_size_limit_is_refused(grid, settings):
    settings.GRANTS_ATTACHMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("grande.pdf", b"%PDF-1.4\n" + b"0" * 2048)
    with pytest.raises(ValidationError, match="too large"):
        submit(make_call(), attachments=[big])
    assert not Application.objects.exists()


def test_geojson_sites_are_parsed_from_a_feature_collection():
    sites = services.sites_from_geojson(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
        '"geometry":{"type":"Point","coordinates":[7.68,45.07]}},{"type":"Feature","properties":{},'
        '"geometry":{"type":"LineString","coordinates":[[7.68,45.07],[7.69,45.07]]}}]}'
    )
    assert sites.geom_type == "GeometryCollection" and len(sites) == 2 and sites.srid == 4326


@pytest.mark.parametrize(
    "text",
    ["not json", '{"type":"Circle"}', '{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}',
     '{"type":"Point","coordinates":[700000,5000000]}', '{"type":"FeatureCollection","features":[]}'],
)  # fmt: skip
def test_bad_geojson_is_refused_with_a_message(text):
    with pytest.raises(ValidationError):
        services.sites_from_geojson(text)
