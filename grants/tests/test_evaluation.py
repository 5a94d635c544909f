"""Evaluation: a commission per call, declarations of conflicts of interest before any score, scores with
reasons, the mean of the evaluators by weighted criteria, a minimum score, a stated tie rule, and the
graduatoria approved by an act and published (page and open data): funded / eligible not funded / not eligible."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import make_user
from grants import services
from grants.models import Application, Score
from grants.tests.conftest import make_call, seat, submit

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _eligible(call, **extra):
    application = submit(call, **extra)
    services.application_transition(application=application, to_status="eligible")
    return application


def _score_all(application, evaluator, values):
    for criterion, value in zip(application.call.criteria.order_by("id"), values, strict=True):
        services.score_record(
            application=application, criterion=criterion, evaluator=evaluator, score=value, reason="Coerente."
        )


def test_only_members_of_the_commission_score(grid, evaluator):
    call = make_call()
    application = _eligible(call)
    criterion = call.criteria.first()
    with pytest.raises(ValidationError, match="Only members of the call's evaluation commission"):
        services.score_record(application=application, criterion=criterion, evaluator=evaluator, score=7, reason="x")
    services.commission_assign(call=call, evaluator=evaluator)
    with pytest.raises(ValidationError, match="Sign the conflict-of-interest declaration"):
        services.score_record(application=application, criterion=criterion, evaluator=evaluator, score=7, reason="x")
    assert not services.commission_member_may_see(call=call, user=evaluator)
    assert not Score.objects.exists()


def test_an_evaluator_declaring_a_conflict_cannot_score(grid, evaluator):
    call = make_call()
    application = _eligible(call)
    seat(call, evaluator, has_conflict=True)
    with pytest.raises(ValidationError, match="You declared a conflict of interest"):
        services.score_record(
            application=application, criterion=call.criteria.first(), evaluator=evaluator, score=7, reason="x"
        )
    assert not services.commission_member_may_see(call=call, user=evaluator)
    with pytest.raises(ValidationError, match="already signed"):
        services.commission_declare(call=call, evaluator=evaluator, has_conflict=False)
    assert not Score.objects.exists()


def test_a_conflict_is_declared_with_its_description(grid, evaluator):
    call = make_call()
    services.commission_assign(call=call, evaluator=evaluator)
    with pytest.raises(ValidationError, match="Describe the conflict"):
        services.commission_declare(call=call, evaluator=evaluator, has_conflict=True, declaration=" ")


def test_a_score_needs_its_written_reason(grid, evaluator):
    call = make_call()
    application = _eligible(call)
    seat(call, evaluator)
    with pytest.raises(ValidationError, match="written reason"):
        services.score_record(
            application=application, criterion=call.criteria.first(), evaluator=evaluator, score=7, reason="  "
        )


def test_scoring_is_complete_when_every_member_scored_every_criterion(grid, evaluator, grants_admin):
    call = make_call()
    application = _eligible(call)
    seat(call, evaluator)
    seat(call, grants_admin)
    _score_all(application, evaluator, (8, 7))
    with pytest.raises(ValidationError, match="grants-admin: Impatto"):
        services.application_transition(application=application, to_status="scored")
    _score_all(application, grants_admin, (6, 9))
    services.application_transition(application=application, to_status="scored")
    # Impatto: mean(8, 6) = 7; Qualità: mean(7, 9) = 8; weights 0.6 / 0.4 -> 7.4
    assert Application.objects.with_weighted_score().get().weighted_score == Decimal("7.4")


def test_an_ineligible_application_needs_a_reason_the_applicant_sees(grid):
    application = submit(make_call())
    with pytest.raises(ValidationError, match="Write the reason"):
        services.application_transition(application=application, to_status="ineligible")
    services.application_transition(application=application, to_status="ineligible", note="Manca lo statuto.")
    application.refresh_from_db()
    assert (application.status, application.outcome_reason) == ("ineligible", "Manca lo statuto.")


def _ranked_call(evaluator, second):
    """A call of EUR 50,000: A (score 8.6, 30k), B and C tied (7.0; B submitted earlier, 15k and 10k),
    D below the minimum (5.0), E declared not eligible."""
    call = make_call(budget="50000.00")
    seat(call, evaluator)
    seat(call, second)
    opens = call.opens_on
    specs = [("A", "30000.00", (9, 8), (9, 8), 3), ("B", "15000.00", (7, 7), (7, 7), 4),
             ("C", "10000.00", (7, 7), (7, 7), 5), ("D", "5000.00", (5, 5), (5, 5), 2)]  # fmt: skip
    for title, requested, first, other, day in specs:
        application = _eligible(call, title=title, requested=requested, submitted_on=opens + timezone.timedelta(day))
        _score_all(application, evaluator, first)
        _score_all(application, second, other)
        services.application_transition(application=application, to_status="scored")
    services.application_transition(application=submit(call, title="E"), to_status="ineligible", note="Fuori tema.")
    services.call_rank(call=call)
    return call


def test_ranking_applies_the_minimum_score_and_the_tie_rule(grid, evaluator, grants_admin):
    call = _ranked_call(evaluator, grants_admin)
    ranks = dict(Application.objects.filter(call=call).values_list("title", "rank"))
    assert ranks == {"A": 1, "B": 2, "C": 3, "D": None, "E": None}
    below = Application.objects.get(title="D")
    assert below.status == "ineligible" and "below the call's minimum score of 6.00" in below.outcome_reason


def test_the_approved_graduatoria_is_published_in_three_groups(client, grid, evaluator, grants_admin):
    client.cookies["django_language"] = "en"
    call = _ranked_call(evaluator, grants_admin)
    services.call_publish(call=call)
    assert "not approved yet" in client.get(call.get_absolute_url()).content.decode()
    assert client.get(f"/projects/calls/{call.pk}/graduatoria.csv").status_code == 404
    with pytest.raises(ValidationError, match="number and its date"):
        services.call_ranking_approve(call=call, act_number="", act_date=TODAY())

    services.call_ranking_approve(call=call, act_number="DD 77/2026", act_date=TODAY())

    # A (30k) and B (15k) fit the 50k budget; C (10k) does not: eligible, not funded.
    statuses = dict(Application.objects.filter(call=call).values_list("title", "status"))
    assert statuses == {"A": "ranked", "B": "ranked", "C": "not_funded", "D": "ineligible", "E": "ineligible"}
    page = client.get(call.get_absolute_url()).content.decode()
    assert "DD 77/2026" in page and "Fuori tema." in page
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/projects/calls/{call.pk}/graduatoria.csv").getvalue().decode("utf-8-sig"))
        )
    )
    assert [(r["title"], r["outcome"]) for r in rows] == [
        ("A", "funded"), ("B", "funded"), ("C", "eligible_not_funded"), ("D", "not_eligible"), ("E", "not_eligible")
    ]  # fmt: skip
    assert "maria.rossi@example.org" not in json.dumps(rows)
    data = json.loads(client.get(f"/projects/calls/{call.pk}/graduatoria.json").content)
    assert data["license"] == "CC-BY-4.0" and data["approval_act"] == "DD 77/2026" and len(data["records"]) == 5
    with pytest.raises(ValidationError, match="already approved"):
        services.call_rank(call=call)


def test_a_ranking_with_undecided_applications_cannot_be_approved(grid, evaluator, grants_admin):
    call = _ranked_call(evaluator, grants_admin)
    submit(call, title="F")
    with pytest.raises(ValidationError, match="not yet ranked"):
        services.call_ranking_approve(call=call, act_number="DD 1/2026", act_date=TODAY())
    assert call.ranking_published_at is None


def test_a_draft_call_is_not_public(client, grid):
    call = make_call()
    assert client.get(call.get_absolute_url()).status_code == 404


def test_a_non_member_is_refused_in_italian_by_default(grid):
    from django.utils import translation

    call = make_call()
    application = _eligible(call)
    outsider = make_user("outsider", "grants_admin", is_staff=True)
    with translation.override("it"), pytest.raises(ValidationError) as refused:
        services.score_record(
            application=application, criterion=call.criteria.first(), evaluator=outsider, score=7, reason="x"
        )
    assert "commissione" in refused.value.messages[0]


def test_a_member_signs_the_declaration_on_its_page_and_then_sees_the_applications(client, grid, evaluator):
    call = make_call()
    submit(call, title="Visibile dopo la dichiarazione")
    services.commission_assign(call=call, evaluator=evaluator)
    client.force_login(evaluator)
    assert "Visibile dopo" not in client.get("/admin/grants/application/").content.decode()
    page = client.post(f"/projects/calls/{call.pk}/declaration/", {"has_conflict": "no"})
    assert page.status_code == 302
    assert "Visibile dopo" in client.get("/admin/grants/application/").content.decode()


def test_a_member_declaring_a_conflict_never_sees_the_applications(client, grid, evaluator):
    call = make_call()
    submit(call, title="Mai visibile")
    services.commission_assign(call=call, evaluator=evaluator)
    client.force_login(evaluator)
    client.cookies["django_language"] = "en"
    refused = client.post(f"/projects/calls/{call.pk}/declaration/", {"has_conflict": "yes", "declaration": ""})
    assert "Describe the conflict" in refused.content.decode()
    client.post(f"/projects/calls/{call.pk}/declaration/", {"has_conflict": "yes", "declaration": "Socio dell'APS."})
    assert "Mai visibile" not in client.get("/admin/grants/application/").content.decode()


def test_the_declaration_page_is_only_for_members(client, grid, evaluator):
    call = make_call()
    assert client.get(f"/projects/calls/{call.pk}/declaration/").status_code == 302  # anonymous: to the login
    client.force_login(evaluator)
    assert client.get(f"/projects/calls/{call.pk}/declaration/").status_code == 404  # not a member


def test_evaluators_score_independently_each_reads_only_their_own_scores(client, grid, evaluator, grants_admin):
    call = make_call()
    application = _eligible(call)
    other = make_user("evaluator-2", "grants_admin", is_staff=True)
    for member, values in ((evaluator, (9, 8)), (other, (4, 5))):
        seat(call, member)
        for criterion, value in zip(call.criteria.order_by("id"), values, strict=True):
            services.score_record(
                application=application, criterion=criterion, evaluator=member, score=value,
                reason=f"Motivazione di {member.username}.",
            )  # fmt: skip
    url = f"/admin/grants/application/{application.pk}/change/"
    client.force_login(other)
    page = client.get(url).content.decode()
    assert "Motivazione di evaluator-2." in page and "Motivazione di evaluator." not in page
    assert "punteggio ponderato" not in client.get("/admin/grants/application/").content.decode().lower()
    client.force_login(grants_admin)  # the office, not on the commission, reads every score
    page = client.get(url).content.decode()
    assert "Motivazione di evaluator-2." in page and "Motivazione di evaluator." in page
    assert "punteggio ponderato" in client.get("/admin/grants/application/").content.decode().lower()
