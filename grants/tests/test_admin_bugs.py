"""Two admin bugs of issue 16: adding an application answered 500; the award form's co-financing
pre-filled 0.00 and silently replaced the application's amount."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import TEST_PASSWORD
from grants.models import Application, Project
from grants.tests.conftest import make_call, make_ranked, site_at
from grants.tests.test_attachments import change_form_data

pytestmark = pytest.mark.django_db


def test_adding_an_application_in_the_admin_submits_it(client, grants_admin, grid):
    call = make_call()
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    data = change_form_data(client.get("/admin/grants/application/add/").content.decode())
    page = client.post(
        "/admin/grants/application/add/",
        {
            **data,
            "call": call.pk, "organisation": "APS Luci", "contact_name": "Anna Bianchi",
            "contact_email": "anna@example.org", "contact_phone": "", "title": "Lampioni amici",
            "summary": "Luce e presidio.", "requested_amount": "12000.00", "co_financing": "3000.00",
            "submitted_on": (call.opens_on + timezone.timedelta(days=1)).isoformat(), "sites": site_at(1, 1).json,
        },
    )  # fmt: skip
    assert page.status_code == 302, page.content.decode()[:2000]
    application = Application.objects.get()
    assert (application.status, application.co_financing) == ("submitted", Decimal("3000.00"))
    assert application.events.get().to_status == "submitted"


def _input_value(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return value.group(1) if value else ""


def test_the_award_form_keeps_the_applications_co_financing_unless_changed(client, grants_admin, grid):
    call = make_call()
    application = make_ranked(call, grants_admin)
    Application.objects.filter(pk=application.pk).update(co_financing=Decimal("8000.00"))
    client.login(username=grants_admin.username, password=TEST_PASSWORD)
    html = client.get("/admin/grants/project/add/").content.decode()
    prefilled = _input_value(html, "co_financing")
    assert prefilled in ("", "8000.00")  # never a 0.00 the administrator did not type
    today = timezone.localdate().isoformat()
    page = client.post(
        "/admin/grants/project/add/",
        {"application": application.pk, "granted_amount": "20000.00", "co_financing": prefilled, "start_on": today,
         "end_on": today, "status": "planned", "description_it": "", "description_en": "", "sites": ""},
    )  # fmt: skip
    assert page.status_code == 302, page.content.decode()[:2000]
    assert Project.objects.get().co_financing == Decimal("8000.00")
