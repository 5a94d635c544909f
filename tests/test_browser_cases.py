"""Intersectoral work in a real browser, against gunicorn and a real Celery worker: a citizen's report of a dark
underpass becomes a case for lighting and police; lighting closes its task; the police task goes overdue and the
coordinator is e-mailed; the case closes; the citizen gets the receipt, the updates and the questionnaire, says
"no", and the case reopens. An officer turns an alert into a case. Screenshots at phone and desktop sizes."""

import datetime as dt
import re
import time

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.utils import timezone

from cases import services
from cases.models import Case, RoutingRule, Task
from cases.tasks import escalate_overdue_tasks
from city.models import Department, DepartmentMembership, OutboundEmail, Zone
from conftest import TEST_PASSWORD, make_user
from indicators.models import Alert
from reports.models import Category, Report
from tests.processes import OUTPUT_DIR

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

CITIZEN = "cittadina@example.org"


@pytest.fixture
def torino():
    zone = Zone.objects.create(code="CENTRO", name="Centro", kind=Zone.Kind.DISTRICT, population=80000,
                               geom=MultiPolygon(Polygon.from_bbox((7.66, 45.05, 7.71, 45.09)), srid=4326))  # fmt: skip
    lighting = Department.objects.get(code="lighting")
    police = Department.objects.get(code="municipal_police")
    lighting.inbox_email, police.inbox_email = "illuminazione@comune.example", "polizia@comune.example"
    for department in (lighting, police):
        department.save()
        department.zones.set([zone])
    dark = Category.objects.get(code="dark-area")
    RoutingRule.objects.create(category=dark, department=lighting)
    RoutingRule.objects.create(category=dark, department=police)
    people = {}
    for username, department, role in (("lux", lighting, "member"), ("vigile-coord", police, "coordinator")):
        people[username] = make_user(username, email=f"{username}@comune.example")
        DepartmentMembership.objects.create(user=people[username], department=department, role=role)
    return {"zone": zone, "lighting": lighting, "police": police, "dark": dark, **people}


def new_page(browser, web_server, *, width=1440, height=900):
    context = browser.new_context(base_url=web_server, locale="it-IT", viewport={"width": width, "height": height})
    context.route("**/*", lambda route: route.abort() if "127.0.0.1" not in route.request.url else route.continue_())
    page = context.new_page()
    page.set_default_timeout(20000)
    return page


def log_in(page, username: str, next_path: str) -> None:
    page.goto(f"/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(f"**{next_path}")


def sent(kind: str, to: str, timeout: float = 30.0) -> OutboundEmail:
    """The e-mail of ``kind`` to ``to`` once the Celery worker has sent it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        email = OutboundEmail.objects.filter(kind=kind, to=to, sent_at__isnull=False).order_by("-id").first()
        if email is not None:
            return email
        time.sleep(0.3)
    pytest.fail(f"no {kind} e-mail was sent to {to}")


def shoot(page, name: str) -> None:
    OUTPUT_DIR.mkdir(exist_ok=True)
    for width, height in ((390, 844), (1440, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(OUTPUT_DIR / f"cases-{name}-{width}x{height}.png"), full_page=True)


def test_a_dark_underpass_goes_from_the_citizen_to_two_departments_and_back(browser, web_server, celery_worker,
                                                                            torino):  # fmt: skip
    # The citizen reports a dark underpass, leaving an e-mail for updates.
    citizen = new_page(browser, web_server, width=390, height=844)
    citizen.goto("/reports/new/")
    citizen.locator("#report-map").click()
    last_night = (timezone.localtime() - dt.timedelta(days=1)).replace(hour=23, minute=0)
    citizen.fill("#id_occurred_at", last_night.strftime("%Y-%m-%dT%H:%M"))
    citizen.select_option("#id_category", label=torino["dark"].name_it)
    citizen.locator("label", has_text="Per niente sicuro/a").click()
    citizen.fill("#id_description", "Il sottopasso di via Nizza è completamente buio.")
    citizen.fill("#id_contact_email", CITIZEN)
    citizen.locator("label[for=id_contact_consent]").click()
    citizen.get_by_role("button", name="Invia la segnalazione").click()
    citizen.wait_for_url(lambda url: "/reports/new/" not in url)
    code = citizen.locator("#tracking-code").inner_text().strip()
    assert code in sent("report.receipt", CITIZEN).body

    # Routing opened a case with a task for lighting and one for the municipal police.
    case = Case.objects.get(case_reports__report__tracking_code=code)
    assert sorted(case.tasks.values_list("department__code", flat=True)) == ["lighting", "municipal_police"]
    sent("case.task_new", "illuminazione@comune.example")

    # The lighting member finds it in their queue and closes their task with a note.
    lux = new_page(browser, web_server)
    log_in(lux, "lux", "/cases/")
    assert lux.locator("#task-queue").get_by_text(code).count() == 1
    shoot(lux, "queue")
    lux.locator("#task-queue a", has_text=code).click()
    task_card = lux.locator("#task-lighting")
    task_card.locator("select[name$=reason]").select_option("fixed")
    task_card.locator("textarea[name$=note]").fill("Sostituite le lampade del sottopasso.")
    shoot(lux, "case")
    task_card.get_by_role("button", name="Chiudi il compito").click()
    lux.wait_for_selector("#task-lighting .task-status:has-text('Chiuso')")
    assert Case.objects.get(pk=case.pk).is_open  # police still has its task

    # The police task goes past its due date; the beat's escalation (on the real worker) e-mails the coordinator.
    Task.objects.filter(case=case, department=torino["police"]).update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    escalate_overdue_tasks.delay()
    assert f"/cases/{case.pk}/" in sent("case.task_overdue", "vigile-coord@comune.example").body

    # The coordinator sees the overdue badge and closes the police task: the case closes, the report too.
    police = new_page(browser, web_server)
    log_in(police, "vigile-coord", f"/cases/{case.pk}/")
    assert police.locator("#task-municipal_police .overdue-badge").count() == 1
    police.locator("#task-municipal_police select[name$=reason]").select_option("fixed")
    police.locator("#task-municipal_police").get_by_role("button", name="Chiudi il compito").click()
    police.wait_for_selector("#case-status:has-text('Chiuso')")
    assert Report.objects.get(tracking_code=code).status == Report.Status.RESOLVED
    deadline = time.monotonic() + 30
    while not OutboundEmail.objects.filter(kind="report.status", to=CITIZEN, subject__contains="Risolta").exists():
        assert time.monotonic() < deadline, "the citizen was not told the report is resolved"
        time.sleep(0.3)

    # Four weeks later the citizen is asked "is it fixed?", follows the link and answers no: the case reopens.
    assert services.fixed_checks_send(now=timezone.now() + dt.timedelta(days=29)) == 1
    link = re.search(r"https?://\S+/cases/fixed/\S+/", sent("case.fixed_check", CITIZEN).body).group(0)
    citizen.goto(re.sub(r"^https?://[^/]+", "", link))
    citizen.locator("label[for=answer-no]").click()
    citizen.fill("#id_comment", "È ancora buio.")
    citizen.get_by_role("button", name="Invia").click()
    citizen.wait_for_selector("#fixed-check-thanks")
    assert "riaperto" in citizen.locator("#fixed-check-thanks").inner_text()
    case.refresh_from_db()
    assert case.is_open and case.reopened_count == 1
    assert "È ancora buio." in sent("case.task_reopened", "illuminazione@comune.example").body


def test_an_officer_turns_an_alert_into_a_case(browser, web_server, torino):
    make_user("officer-alerts", "officer")
    today = timezone.localdate()
    Alert.objects.create(zone=torino["zone"], slot="night", metric="share_feeling_safe",
                         window_start=today - dt.timedelta(days=27), window_end=today, method_version="test",
                         baseline=0.7, current=0.3, baseline_n=40, current_n=40, statistic=-3.0, p_value=0.001,
                         q_value=0.01, created_at=timezone.now())  # fmt: skip
    officer = new_page(browser, web_server)
    log_in(officer, "officer-alerts", "/dashboard/alerts/")
    officer.get_by_role("link", name=re.compile("Apri un caso")).click()
    assert officer.locator(f"#dep-{torino['lighting'].pk}").is_checked()  # the zone's departments, ticked
    shoot(officer, "from-alert")
    officer.get_by_role("button", name="Apri il caso").click()
    officer.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get(alert__zone=torino["zone"])
    assert sorted(case.tasks.values_list("department__code", flat=True)) == ["lighting", "municipal_police"]
    officer.goto("/dashboard/alerts/")
    assert officer.locator(f".alert-case a[href='/cases/{case.pk}/']").count() == 1
    shoot(officer, "alerts")
