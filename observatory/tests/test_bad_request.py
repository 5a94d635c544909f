"""Requests Django refuses before a view reads them (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a JSON body over
OBSERVATORY_JSON_MAX_BYTES, more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS or files than
DATA_UPLOAD_MAX_NUMBER_FILES, an unreadable multipart body) are
answered in the channel's own format with the limit named, wherever the exception surfaces: in a middleware,
in a view, or inside DRF's parsing."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from reports.models import Report
from sensors import services as sensor_services
from sensors.tests.conftest import kind

pytestmark = pytest.mark.django_db
TWENTY_MIB = 20 * 1024 * 1024
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.OBSERVATORY_REPORT_RATE_LIMIT = "off"


def many_fields(n: int = 1001) -> str:
    return "&".join(f"field{i}=1" for i in range(n))


def test_a_20_mib_json_body_on_the_api_is_a_json_400_naming_the_limit(client, settings):
    # A JSON body is read by the one JSON parser, whose own byte limit (OBSERVATORY_JSON_MAX_BYTES) applies.
    body = '{"description": "' + "a" * TWENTY_MIB + '"}'
    response = client.post("/api/v1/reports/", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert str(settings.OBSERVATORY_JSON_MAX_BYTES) in response.json()["detail"]
    assert not Report.objects.exists()


def test_a_20_mib_body_on_the_sensors_batch_endpoint_is_json_too(client, settings):
    sensor, token = sensor_services.sensor_register(kind=kind(), location=Point(7.675, 45.065, srid=4326))
    body = '{"readings": "' + "a" * TWENTY_MIB + '"}'
    response = client.post(
        f"/api/v1/sensors/{sensor.pk}/readings",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 400
    assert str(settings.OBSERVATORY_JSON_MAX_BYTES) in response.json()["detail"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_3_mb_open311_form_is_an_open311_error_list_in_the_paths_format(client, settings, fmt):
    body = "api_key=x&description=" + "a" * (3 * 1000 * 1000)
    response = client.post(f"/open311/v2/requests.{fmt}", body, content_type=FORM)
    assert response.status_code == 400
    if fmt == "json":
        ((error),) = response.json()
        code, description = error["code"], error["description"]
    else:
        assert response["Content-Type"].startswith("text/xml")
        root = ET.fromstring(response.content)  # noqa: S314 - our own answer
        assert root.tag == "errors"
        code, description = int(root.findtext("error/code")), root.findtext("error/description")
    assert code == 400 and str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in description


def test_more_than_1000_fields_on_the_citizen_form_is_the_sites_page_in_the_persons_language(client):
    response = client.post("/reports/new/", many_fields(), content_type=FORM)
    assert response.status_code == 400
    page = response.content.decode()
    assert '<html lang="it">' in page and "troppi campi" in page and "1000" in page
    client.cookies["django_language"] = "en"
    page = client.post("/reports/new/", many_fields(), content_type=FORM).content.decode()
    assert '<html lang="en">' in page and "too many fields: at most 1000" in page
    assert not Report.objects.exists()


def test_it_also_answers_when_the_csrf_middleware_is_the_first_to_read_the_form():
    client = Client(enforce_csrf_checks=True)
    client.get("/reports/new/")  # the CSRF cookie, so that the middleware goes on to read the token in the form
    response = client.post("/reports/new/", many_fields(), content_type=FORM)
    assert response.status_code == 400
    assert "1000" in response.content.decode()


def test_too_many_fields_inside_drfs_parsing_is_json(client):
    multipart = {f"field{i}": "1" for i in range(1001)}
    response = client.post("/api/v1/reports/", multipart)
    assert response.status_code == 400
    assert "1000" in response.json()["detail"]
    response = client.post("/api/v1/reports/", many_fields(), content_type=FORM)
    assert "1000" in response.json()["detail"]


def test_too_many_files_is_named_too(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    files = [SimpleUploadedFile(f"p{i}.jpg", b"x", content_type="image/jpeg") for i in range(4)]
    response = client.post("/api/v1/reports/", {"photo": files})
    assert response.status_code == 400
    assert "3" in response.json()["detail"]
    response = client.post("/reports/new/", {"photo": files})
    assert response.status_code == 400
    assert "at most 3" in response.content.decode() or "al massimo 3" in response.content.decode()


def test_an_unreadable_multipart_body_on_the_form_is_the_sites_page(client):
    response = client.post("/reports/new/", "garbage", content_type="multipart/form-data")
    assert response.status_code == 400
    assert "multipart" in response.content.decode()


def test_an_open311_error_takes_the_format_parameter_when_the_path_has_none(rf):
    from django.core.exceptions import TooManyFieldsSent

    from observatory.errors import bad_request

    request = rf.post("/open311/v2/", QUERY_STRING="format=xml")
    response = bad_request(request, TooManyFieldsSent("too many"))
    assert response["Content-Type"].startswith("text/xml")
    assert json.dumps(response.status_code) == "400"
