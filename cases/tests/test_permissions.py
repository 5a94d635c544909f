"""Who sees and does what: each page and action as the right role, another role and anonymous. A member works
their department's queue, a coordinator assigns inside it, a district council sees its zones, a partner only
what is shared with it, an officer everything; a link a user cannot open is not shown."""

import pytest

from cases import services
from cases.models import Task
from city.models import DepartmentMembership
from conftest import make_user

pytestmark = pytest.mark.django_db


def task_of(case, code):
    return case.tasks.get(department__code=code)


def test_anonymous_visitors_are_sent_to_log_in(client, dark_case):
    for url in ("/cases/", f"/cases/{dark_case.pk}/"):
        assert client.get(url)["Location"].startswith("/accounts/login/")
    task = task_of(dark_case, "lighting")
    response = client.post(f"/cases/{dark_case.pk}/tasks/{task.pk}/close/", {f"t{task.pk}-reason": "fixed"})
    assert response["Location"].startswith("/accounts/login/")
    task.refresh_from_db()
    assert task.is_open


def test_a_user_without_a_department_gets_the_translated_403_page(client, dark_case, citizen_account):
    client.force_login(citizen_account)
    response = client.get("/cases/")
    assert response.status_code == 403
    assert "Non puoi aprire questa pagina" in response.content.decode()
    assert 'class="it-header-wrapper"' in response.content.decode()  # in the site layout
    client.cookies["django_language"] = "en"
    assert "You cannot open this page" in client.get(f"/cases/{dark_case.pk}/").content.decode()


def test_a_member_sees_their_departments_queue_and_not_the_others(client, dark_case, city):
    client.force_login(city["lighting_member"])
    page = client.get("/cases/")
    assert page.status_code == 200
    tasks = page.context["tasks"]
    assert {task.department.code for task in tasks} == {"lighting"}
    assert client.get("/cases/?department=municipal_police").status_code == 404  # not theirs


def test_assigned_to_me_lists_only_the_members_tasks(client, dark_case, city):
    task = task_of(dark_case, "lighting")
    services.task_assign(task=task, user=city["lighting_coordinator"], owner_id=city["lighting_member"].pk,
                         priority="high", due_date=task.due_date)  # fmt: skip
    client.force_login(city["lighting_member"])
    assert [t.pk for t in client.get("/cases/?mine=1").context["tasks"]] == [task.pk]
    client.force_login(city["lighting_coordinator"])
    assert list(client.get("/cases/?mine=1").context["tasks"]) == []


def test_a_member_opens_their_case_and_works_on_their_task_only(client, dark_case, city):
    client.force_login(city["lighting_member"])
    assert client.get(f"/cases/{dark_case.pk}/").status_code == 200
    police = task_of(dark_case, "municipal_police")
    response = client.post(f"/cases/{dark_case.pk}/tasks/{police.pk}/close/", {f"t{police.pk}-reason": "fixed"})
    assert response.status_code == 403
    police.refresh_from_db()
    assert police.is_open
    lighting = task_of(dark_case, "lighting")
    response = client.post(
        f"/cases/{dark_case.pk}/tasks/{lighting.pk}/close/",
        {f"t{lighting.pk}-reason": "fixed", f"t{lighting.pk}-note": "Lampada sostituita"},
    )
    assert response.status_code == 302
    lighting.refresh_from_db()
    assert lighting.status == Task.Status.CLOSED and lighting.notes.get().text == "Lampada sostituita"


def test_only_a_coordinator_assigns_and_only_to_a_member_of_the_department(client, dark_case, city):
    task = task_of(dark_case, "lighting")
    data = {f"t{task.pk}-owner": city["lighting_member"].pk, f"t{task.pk}-priority": "urgent",
            f"t{task.pk}-due_date": task.due_date.isoformat(), f"t{task.pk}-seen_owner": ""}  # fmt: skip
    url = f"/cases/{dark_case.pk}/tasks/{task.pk}/assign/"
    client.force_login(city["lighting_member"])
    assert client.post(url, data).status_code == 403
    client.force_login(city["police_coordinator"])
    assert client.post(url, data).status_code == 403
    client.force_login(city["lighting_coordinator"])
    outsider = {**data, f"t{task.pk}-owner": city["police_member"].pk}
    refused = client.post(url, outsider)
    assert refused.status_code == 400
    assert client.post(url, data).status_code == 302
    task.refresh_from_db()
    assert task.owner == city["lighting_member"] and task.priority == "urgent"


def test_the_assign_form_is_shown_to_coordinators_only(client, dark_case, city):
    client.force_login(city["lighting_member"])
    assert "assign-form" not in client.get(f"/cases/{dark_case.pk}/").content.decode()
    client.force_login(city["lighting_coordinator"])
    assert "assign-form" in client.get(f"/cases/{dark_case.pk}/").content.decode()


def test_a_district_council_sees_cases_in_its_zones_only(client, dark_case, city):
    from reports.tests.factories import submit

    east_case = submit(city["dark"], lon=7.685, lat=45.065).case_link.case
    client.force_login(city["council_member"])
    assert client.get(f"/cases/{dark_case.pk}/").status_code == 200  # west: the council's zone
    assert client.get(f"/cases/{east_case.pk}/").status_code == 403
    page = client.get("/cases/")
    council_cases = [case.pk for _, cases in page.context["council_cases"] for case in cases]
    assert council_cases == [dark_case.pk]


def test_a_partner_sees_only_the_cases_shared_with_it(client, dark_case, city):
    client.force_login(city["partner_member"])
    assert client.get(f"/cases/{dark_case.pk}/").status_code == 403
    services.report_add_department(report=dark_case.reports.get(), department=city["partner"], user=None)
    assert client.get(f"/cases/{dark_case.pk}/").status_code == 200
    assert {t.department.code for t in client.get("/cases/").context["tasks"]} == {"partner"}


def test_an_officer_sees_every_case_but_cannot_close_a_departments_task(client, dark_case, officer):
    client.force_login(officer)
    assert client.get(f"/cases/{dark_case.pk}/").status_code == 200
    task = task_of(dark_case, "lighting")
    response = client.post(f"/cases/{dark_case.pk}/tasks/{task.pk}/close/", {f"t{task.pk}-reason": "fixed"})
    assert response.status_code == 403


def test_the_cases_link_is_shown_only_to_those_who_can_open_it(client, city, citizen_account, officer):
    client.force_login(citizen_account)
    assert 'href="/cases/"' not in client.get("/").content.decode()
    client.force_login(city["lighting_member"])
    assert 'href="/cases/"' in client.get("/").content.decode()


def test_an_officer_is_not_shown_the_moderation_links(client, officer, moderator):
    client.force_login(officer)
    page = client.get("/dashboard/").content.decode()
    assert 'href="/reports/moderation/"' not in page
    client.force_login(moderator)
    assert 'href="/reports/moderation/"' in client.get("/dashboard/").content.decode()


def test_the_moderation_queue_refuses_an_officer_with_the_translated_page(client, officer):
    client.force_login(officer)
    response = client.get("/reports/moderation/")
    assert response.status_code == 403 and "Non puoi aprire questa pagina" in response.content.decode()


def test_the_queue_reads_in_a_bounded_number_of_queries(client, city, django_assert_max_num_queries):
    from reports.tests.factories import submit

    for _ in range(5):
        submit(city["dark"])
    client.force_login(city["lighting_member"])
    with django_assert_max_num_queries(14):
        page = client.get("/cases/")
    assert len(page.context["tasks"]) == 5


def test_a_membership_needs_a_user_and_a_department_once(city):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        DepartmentMembership.objects.create(user=city["lighting_member"], department=city["lighting"])
    assert make_user("nobody").memberships.count() == 0
