"""From the commission to the transparency register, in the browser: one evaluator declares a conflict and never
sees the applications, another declares none and does; the graduatoria is published with the refused applicant's
reason; the administrator awards with a CUP (a wrong one is refused in Italian), publishes the grant and pays the
first tranche; the public register lists the award. Screenshots at phone and desktop sizes."""

import datetime as dt

import pytest
from django.utils import timezone

from conftest import TEST_PASSWORD, make_user
from grants import services
from grants.models import Disbursement, Project
from grants.tests.conftest import make_call, make_organisation, seat, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = timezone.localdate
SHOTS = "test-output/grants-{}-{}.png"


def _login(page, user, next_url):
    page.context.clear_cookies()
    page.goto(f"/admin/login/?next={next_url}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.locator("input[type=submit]").click()


def _shots(page, name):
    for width, height in ((390, 844), (1440, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=SHOTS.format(name, width), full_page=True)


def test_commission_graduatoria_award_payment_and_transparency(page, grid, grants_admin):
    call = make_call(budget="100000.00")
    call.legal_basis = "Regolamento comunale contributi, art. 5"
    call.save()
    services.call_publish(call=call)
    winner = submit(call, title="Portierato di comunità serale", organisation="Cooperativa Il Ponte")
    refused = submit(call, title="Sportello digitale", organisation="Studio Privato Srl")
    services.application_transition(application=winner, to_status="eligible")
    first, second, conflicted = (make_user(n, "grants_admin", is_staff=True) for n in ("val-1", "val-2", "val-3"))
    for evaluator in (first, second, conflicted):
        services.commission_assign(call=call, evaluator=evaluator, actor=grants_admin)

    # An evaluator with a conflict declares it and never sees the call's applications.
    _login(page, conflicted, f"/projects/calls/{call.pk}/declaration/")
    page.wait_for_url(f"**/projects/calls/{call.pk}/declaration/")
    page.click("label[for=conflict-yes]")
    page.locator("#sign-declaration").click()
    assert "Descrivi il conflitto" in page.locator("#declaration-error").inner_text()  # refused, in Italian
    page.click("label[for=conflict-yes]")
    page.fill("#declaration", "Sono socio della Cooperativa Il Ponte.")
    page.locator("#sign-declaration").click()
    assert "non partecipi alla valutazione" in page.locator("#declaration-outcome").inner_text()
    page.goto("/admin/grants/application/")
    assert "Portierato di comunità serale" not in page.content()

    # One without conflicts declares so and is taken to the applications.
    _login(page, first, f"/projects/calls/{call.pk}/declaration/")
    page.click("label[for=conflict-no]")
    page.locator("#sign-declaration").click()
    page.wait_for_url("**/admin/grants/application/**")
    assert "Portierato di comunità serale" in page.content()
    _shots(page, "evaluator-applications")

    # Both evaluators score independently, with reasons; the ranking is approved with its act.
    seat(call, second)
    for evaluator, values in ((first, (9, 8)), (second, (8, 8))):
        for criterion, value in zip(call.criteria.order_by("id"), values, strict=True):
            services.score_record(
                application=winner, criterion=criterion, evaluator=evaluator, score=value, reason="Solido."
            )
    services.application_transition(application=winner, to_status="scored")
    services.application_transition(
        application=refused, to_status="ineligible", note="Soggetto non ammissibile: impresa a scopo di lucro."
    )
    services.call_rank(call=call)
    services.call_ranking_approve(call=call, act_number="DD 77/2026", act_date=TODAY())

    page.context.clear_cookies()
    page.goto(f"/projects/calls/{call.pk}/")
    assert "DD 77/2026" in page.locator("#ranking-act").inner_text()
    assert "Cooperativa Il Ponte" in page.locator("#ranking-funded").inner_text()
    assert "impresa a scopo di lucro" in page.locator("#ranking-not_eligible").inner_text()
    _shots(page, "graduatoria")

    # The administrator awards with a CUP: a wrong one is refused, nothing is written.
    beneficiary = make_organisation("Cooperativa Il Ponte")
    _login(page, grants_admin, "/admin/grants/project/add/")
    page.wait_for_url("**/admin/grants/project/add/")
    page.select_option("#id_application", str(winner.pk))
    page.select_option("#id_organisation", str(beneficiary.pk))
    for field, value in (("granted_amount", "30000.00"), ("start_on", TODAY().isoformat()),
                         ("end_on", (TODAY() + dt.timedelta(days=365)).isoformat()), ("cup", "C11G2600000001"),
                         ("rup", "Dott.ssa Laura Verdi"), ("office", "Divisione Servizi Sociali"),
                         ("award_act_number", "DD 88/2026"), ("award_act_date", TODAY().isoformat())):  # fmt: skip
        page.fill(f"#id_{field}", value)
    page.locator("input[name=_save]").click()
    assert "Il CUP deve avere 15 caratteri" in page.locator("ul.errorlist").first.inner_text()
    assert not Project.objects.exists()
    page.fill("#id_cup", "C11G26000000001")
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/grants/project/")
    project = Project.objects.get()
    assert project.cup == "C11G26000000001" and project.co_financing == winner.co_financing

    # Paying before the art. 26 publication is refused; published, the due advance is paid.
    services.tranche_add(project=project, kind="advance", amount="12000.00")

    def action(name):
        page.check(f"input[name=_selected_action][value='{project.pk}']")
        page.select_option("select[name=action]", name)
        page.locator("button[name=index]").click()

    action("pay_due_tranches")
    assert "non è pubblicato" in page.locator(".messagelist").inner_text()
    assert not Disbursement.objects.exists()
    action("publish_projects")
    action("pay_due_tranches")
    assert Disbursement.objects.get().amount == 12000

    # The public register and the project page show the award.
    page.context.clear_cookies()
    page.goto("/projects/transparency/")
    row = page.locator("#transparency-table tbody tr").first.inner_text()
    assert "Cooperativa Il Ponte" in row and "C11G26000000001" in row and beneficiary.tax_code in row
    _shots(page, "transparency")
    page.goto(project.get_absolute_url())
    assert "C11G26000000001" in page.locator("#project-transparency").inner_text()
    assert "maria.rossi@example.org" not in page.content()
