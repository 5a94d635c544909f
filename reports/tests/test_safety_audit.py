"""A walker's safety audit is stamped with zone, night and slot like a report."""

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils import timezone

from city.models import StaleZoneNight
from reports.models import SafetyAudit
from reports.services import audit_submit

pytestmark = pytest.mark.django_db
SCORES = dict.fromkeys(SafetyAudit.PARAMETERS, 2)


def test_an_audit_is_stamped_and_marks_its_night_stale(two_zones):
    west, _east = two_zones
    when = timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=1), dt.time(21, 30)))
    audit = audit_submit(location=Point(7.675, 45.065, srid=4326), occurred_at=when, scores=SCORES | {"lighting": 0})
    assert (audit.zone, audit.night, audit.slot, audit.lighting) == (west, when.date(), "evening", 0)
    assert audit.feels_safe
    assert StaleZoneNight.objects.filter(zone=west, night=audit.night).exists()


@pytest.mark.parametrize("scores", [SCORES | {"feeling": 4}, dict.fromkeys(SafetyAudit.PARAMETERS[:-1], 1)])
def test_a_missing_or_out_of_range_score_is_refused(two_zones, scores):
    with pytest.raises(ValidationError) as error:
        audit_submit(location=Point(7.675, 45.065, srid=4326), occurred_at=timezone.now(), scores=scores)
    assert "feeling" in error.value.message_dict
    assert not SafetyAudit.objects.exists()


def test_an_audit_outside_the_city_is_refused(two_zones):
    with pytest.raises(ValidationError) as error:
        audit_submit(location=Point(7.0, 45.0, srid=4326), occurred_at=timezone.now(), scores=SCORES)
    assert "location" in error.value.message_dict
