"""A submitted online application keeps one stored copy of each document: the application's attachment row
points to the draft's file. Both downloads (the applicant's page, the grants office's) read it, and deleting
a draft or one of the rows never deletes a file the other still uses."""

from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse

from grants.applicants import services
from grants.models import ApplicationAttachment, ApplicationDraft, DraftAttachment
from grants.tests.applicants_support import applicant, complete_draft, open_call

pytestmark = pytest.mark.django_db(transaction=True)  # the files go once the deletion commits


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.fixture
def submitted(grid):
    call = open_call()
    owner = applicant()
    draft = services.draft_submit(draft=complete_draft(owner, call, grid))
    return owner, draft


def test_submitting_keeps_one_stored_file_per_document(submitted, media_in_tmp):
    _owner, draft = submitted
    document = DraftAttachment.objects.get(draft=draft)
    attachment = ApplicationAttachment.objects.get(application=draft.application)
    assert attachment.file.name == document.file.name
    assert (attachment.original_name, attachment.size) == (document.original_name, document.size)
    assert len(stored_files(media_in_tmp)) == 1


def test_the_applicant_and_the_grants_office_download_the_same_file(submitted, client, grants_admin):
    owner, draft = submitted
    document = DraftAttachment.objects.get(draft=draft)
    content = Path(document.file.path).read_bytes()
    client.force_login(owner)
    mine = client.get(reverse("applicants:attachment", args=[draft.pk, document.pk]))
    assert mine.status_code == 200 and b"".join(mine.streaming_content) == content
    client.force_login(grants_admin)
    attachment = ApplicationAttachment.objects.get(application=draft.application)
    office = client.get(reverse("grants:attachment", args=[attachment.pk]))
    assert office.status_code == 200 and b"".join(office.streaming_content) == content


def test_deleting_the_draft_keeps_the_file_the_application_uses(submitted, media_in_tmp, client, grants_admin):
    _owner, draft = submitted
    attachment = ApplicationAttachment.objects.get(application=draft.application)
    ApplicationDraft.objects.filter(pk=draft.pk).delete()  # its document rows go with it
    assert not DraftAttachment.objects.exists()
    assert len(stored_files(media_in_tmp)) == 1
    client.force_login(grants_admin)
    assert client.get(reverse("grants:attachment", args=[attachment.pk])).status_code == 200

    attachment.delete()  # the last row naming the file: now it goes
    assert stored_files(media_in_tmp) == []


def test_a_rolled_back_deletion_keeps_the_file(submitted, media_in_tmp):
    _owner, draft = submitted
    with pytest.raises(RuntimeError), transaction.atomic():
        ApplicationAttachment.objects.filter(application=draft.application).delete()
        DraftAttachment.objects.filter(draft=draft).delete()
        raise RuntimeError("rolled back")
    assert len(stored_files(media_in_tmp)) == 1


def test_deleting_a_draft_never_submitted_deletes_its_files(grid, media_in_tmp):
    draft = complete_draft(applicant(), open_call(), grid)
    assert len(stored_files(media_in_tmp)) == 1
    draft.delete()
    assert stored_files(media_in_tmp) == []
