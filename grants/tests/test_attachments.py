"""Applications' PDFs are downloaded by who may read applications, and by nobody else.

Grant administrators (and staff given the permission) get the file as a PDF download; any other
logged-in user gets the same 404 as for an attachment that does not exist; anonymous visitors are
sent to the login page. The admin's application page links to the download, never to /media/.
"""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import make_user
from grants.models import ApplicationAttachment
from grants.tests.conftest import make_call, submit

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def without_csrf_token(body: bytes) -> bytes:
    """The 404 is the site's page, whose language switch carries a CSRF token masked afresh on every answer."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b'name="csrfmiddlewaretoken"', body)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def attachment(grid) -> ApplicationAttachment:
    application = submit(make_call(), attachments=[SimpleUploadedFile("progetto esecutivo.pdf", PDF)])
    return application.attachments.get()


def url(attachment_id: int) -> str:
    return f"/projects/attachments/{attachment_id}/"


def download(client, user, attachment_id):
    client.force_login(user)
    return client.get(url(attachment_id))


def assert_served_as_a_pdf_download(response, name="progetto esecutivo.pdf"):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == PDF


def test_a_grants_admin_downloads_the_pdf(client, attachment, grants_admin):
    assert_served_as_a_pdf_download(download(client, grants_admin, attachment.pk))


def test_a_grants_admin_without_staff_status_downloads_it_too(client, attachment):
    member = make_user("grants-member", "grants_admin")
    assert_served_as_a_pdf_download(download(client, member, attachment.pk))


def test_a_superuser_downloads_the_pdf(client, attachment):
    admin = make_user("root", is_staff=True, is_superuser=True)
    assert_served_as_a_pdf_download(download(client, admin, attachment.pk))


def test_staff_given_the_permission_download_the_pdf(client, attachment):
    clerk = make_user("clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_applicationattachment"))
    assert_served_as_a_pdf_download(download(client, clerk, attachment.pk))


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda: make_user("staff-officer", "officer", is_staff=True), id="staff officer"),
        pytest.param(lambda: make_user("moderator-x", "moderator"), id="moderator"),
        pytest.param(lambda: make_user("citizen"), id="logged-in citizen"),
        pytest.param(lambda: make_user("gone", "grants_admin", is_active=False), id="inactive grants admin"),
    ],
)
def test_everyone_else_gets_the_same_404_as_for_a_missing_attachment(client, attachment, who):
    user = who()
    existing = download(client, user, attachment.pk)
    missing = download(client, user, attachment.pk + 1000)
    if not user.is_active:  # an inactive account is not logged in at all
        assert existing.status_code == 302 and "/accounts/login/" in existing["Location"]
        return
    assert existing.status_code == missing.status_code == 404
    assert without_csrf_token(existing.content) == without_csrf_token(missing.content)
    assert b"%PDF" not in existing.content


def test_a_grants_admin_gets_a_404_for_a_missing_attachment_or_file(client, attachment, grants_admin):
    assert download(client, grants_admin, attachment.pk + 1000).status_code == 404
    attachment.file.delete(save=False)
    assert download(client, grants_admin, attachment.pk).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, attachment):
    response = client.get(url(attachment.pk))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url(attachment.pk)}"


def test_a_hostile_file_name_is_tamed_in_the_download(client, grid, grants_admin):
    upload = SimpleUploadedFile("rapporto.pdf", PDF)
    application = submit(make_call(), attachments=[upload])
    attachment = application.attachments.get()
    ApplicationAttachment.objects.filter(pk=attachment.pk).update(original_name='a"b\r\nSet-Cookie: x=1/..\\c.exe')
    response = download(client, grants_admin, attachment.pk)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="a_b__Set-Cookie: x=1_.._c.exe.pdf"'


# --- the admin's application page ---------------------------------------------------------------------------


class FormFields(HTMLParser):
    """The values a browser would submit from the admin change form (inputs, selects, textareas)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "file", "checkbox"):
            self.data[name] = attrs.get("value") or ""
        elif tag == "input" and name and attrs.get("type") == "checkbox" and "checked" in attrs:
            self.data[name] = attrs.get("value") or "on"
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def change_form_data(html: str) -> dict[str, str]:
    """What submitting the admin's change form as it is would post."""
    parser = FormFields()
    parser.feed(html[re.search(r'<form [^>]*id="\w+_form"', html).start() :])
    return parser.data


def test_the_admin_application_page_links_each_attachment_to_its_download(client, attachment, grants_admin):
    client.force_login(grants_admin)
    html = client.get(f"/admin/grants/application/{attachment.application_id}/change/").content.decode()
    assert f'href="{url(attachment.pk)}"' in html and "progetto esecutivo.pdf" in html
    assert "/media/" not in html  # uploaded files are not served from there


def test_a_pdf_added_in_the_admin_is_downloadable_and_a_non_pdf_is_refused(client, attachment, grants_admin):
    client.cookies["django_language"] = "en"
    client.force_login(grants_admin)
    change = f"/admin/grants/application/{attachment.application_id}/change/"
    data = change_form_data(client.get(change).content.decode())
    upload_field = next(k for k in data if re.fullmatch(r"attachments-2-0-application", k)).replace(
        "application", "file"
    )

    refused = client.post(change, {**data, upload_field: SimpleUploadedFile("virus.pdf", b"MZ not a pdf")})
    assert refused.status_code == 200 and "Only PDF files are accepted" in refused.content.decode()
    assert ApplicationAttachment.objects.count() == 1

    saved = client.post(change, {**data, upload_field: SimpleUploadedFile("piano.pdf", PDF)})
    assert saved.status_code == 302
    added = ApplicationAttachment.objects.get(original_name="piano.pdf")
    assert_served_as_a_pdf_download(client.get(url(added.pk)), name="piano.pdf")


def test_deleting_an_attachment_removes_its_file_once_committed(attachment, django_capture_on_commit_callbacks):
    """No orphan files: the PDF goes with its row, and only when the deletion commits."""
    storage, name = attachment.file.storage, attachment.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        attachment.application.delete()  # the attachment goes with its application
    assert not ApplicationAttachment.objects.exists()
    assert not storage.exists(name)
