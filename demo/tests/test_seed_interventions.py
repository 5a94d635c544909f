"""The demo records what the city did: interventions in busy zones, and every funded project as one."""

import pytest

from grants.models import Project
from interventions.models import Intervention

from .test_seed_demo import seed


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_the_demo_seeds_interventions_with_their_zones_and_gives_every_funded_project_its_own():
    seed()
    own = Intervention.objects.exclude(kind=Intervention.Kind.GRANT_PROJECT)
    assert own.count() == 6 and not own.filter(zones__isnull=True).exists()
    assert own.get(kind=Intervention.Kind.PATROLS).department.code == "municipal_police"
    projects = Project.objects.all()
    assert projects.exists() and not projects.filter(intervention__isnull=True).exists()
    withdrawn = projects.filter(status=Project.Status.WITHDRAWN).select_related("intervention")
    assert all(p.intervention.cancelled for p in withdrawn)
