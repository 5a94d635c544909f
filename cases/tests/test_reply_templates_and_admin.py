"""Reply templates per category and status, in the reader's language, for public notes; and the admin pages an
administrator keeps departments, memberships, rules and templates in, in both languages."""

import pytest

from cases.models import ReplyTemplate
from conftest import make_user

pytestmark = pytest.mark.django_db


def test_the_case_page_offers_the_templates_of_its_category_and_status_in_the_readers_language(
    client, dark_case, city, category
):
    ReplyTemplate.objects.create(
        category=city["dark"],
        status="submitted",
        title_it="Presa in carico",
        title_en="Taken in hand",
        text_it="Ce ne occupiamo.",
        text_en="We are on it.",
    )
    ReplyTemplate.objects.create(
        category=category,
        status="",
        title_it="Altro",
        title_en="Other",
        text_it="Per un'altra categoria.",
        text_en="For another category.",
    )
    ReplyTemplate.objects.create(category=None, status="resolved", title_it="Risolto", title_en="Fixed",
                                 text_it="Per le risolte.", text_en="For resolved ones.")  # fmt: skip
    client.force_login(city["lighting_member"])
    page = client.get(f"/cases/{dark_case.pk}/").content.decode()
    assert "Ce ne occupiamo." in page
    assert "Per un'altra categoria." not in page and "Per le risolte." not in page
    client.cookies["django_language"] = "en"
    assert "We are on it." in client.get(f"/cases/{dark_case.pk}/").content.decode()


def test_an_empty_public_note_is_refused_in_the_users_language_and_nothing_is_written(client, dark_case, city):
    client.force_login(city["lighting_member"])
    client.cookies["django_language"] = "en"
    response = client.post(f"/cases/{dark_case.pk}/public-note/", {"public_note": "  "})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    dark_case.refresh_from_db()
    assert dark_case.public_note == ""


@pytest.mark.parametrize(
    "url",
    ["/admin/city/department/", "/admin/city/department/add/", "/admin/city/departmentmembership/",
     "/admin/cases/routingrule/", "/admin/cases/responsetarget/", "/admin/cases/replytemplate/",
     "/admin/cases/case/", "/admin/cases/fixedcheck/"],
)  # fmt: skip
def test_the_admin_pages_open_in_both_languages(client, dark_case, url):
    admin = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get(url).status_code == 200
    client.cookies["django_language"] = "en"
    assert client.get(url).status_code == 200


def test_the_department_admin_reads_in_italian(client, city):
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    page = client.get(f"/admin/city/department/{city['lighting'].pk}/change/").content.decode()
    assert "Casella e-mail" in page or "casella e-mail" in page.lower()
    assert "Zone coperte" in page or "zone coperte" in page.lower()
