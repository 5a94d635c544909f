"""A category's extra questions (its Open311 attributes) asked on the web form too, checked by the one function
Open311 and the API use, stored with the report and shown to moderators, in Italian or English."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from open311.models import ApiKey
from reports.models import Category, PerceivedSafety, Report
from reports.services import validate_attributes

from .factories import submit

pytestmark = pytest.mark.django_db
URL = reverse("reports:new")

QUESTIONS = [
    {
        "code": "pole_number",
        "datatype": "string",
        "required": False,
        "order": 1,
        "description": "Pole number",
        "description_it": "Numero del palo",
        "description_en": "Pole number",
        "datatype_description_it": "Il numero dipinto sul palo",
        "datatype_description_en": "The number painted on the pole",
    },
    {
        "code": "lights_out",
        "datatype": "singlevaluelist",
        "required": True,
        "order": 2,
        "description": "How many lights are out?",
        "description_it": "Quante luci sono spente?",
        "values": [
            {"key": "one", "name": "One", "name_it": "Una"},
            {"key": "several", "name": "Several in a row", "name_it": "Diverse di fila"},
        ],
    },
    {
        "code": "seen_with",
        "datatype": "multivaluelist",
        "required": False,
        "order": 3,
        "description": "Who else noticed it?",
        "description_it": "Chi altro l'ha notato?",
        "values": [{"key": "neighbours", "name_it": "Vicini", "name": "Neighbours"}, {"key": "shops", "name": "Shops"}],
    },
    {"code": "note", "variable": False, "datatype": "text", "description": "Read this first"},  # information only
]


@pytest.fixture
def lamp(category) -> Category:
    category.attributes = QUESTIONS
    category.save()
    return category


def field_names(page: str, category: Category) -> list[str]:
    import re

    return list(dict.fromkeys(re.findall(rf'name="(attr_{category.pk}_\d+)"', page)))


def form_data(category, **overrides):
    data = {
        "category": category.pk,
        "perceived_safety": PerceivedSafety.A_BIT_UNSAFE,
        "latitude": "45.065",
        "longitude": "7.675",
        "occurred_at": (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(overrides)
    return data


def test_the_form_asks_each_categorys_questions_in_its_own_group(client, lamp):
    page = client.get(URL).content.decode()
    assert f'id="questions-{lamp.pk}"' in page and f'data-category="{lamp.pk}"' in page
    assert "Quante luci sono spente?" in page and "Il numero dipinto sul palo" in page
    assert "Diverse di fila" in page and "Vicini" in page
    assert "Read this first" not in page  # informational attributes are not questions
    # Without JavaScript every group shows, saying which category it belongs to.
    assert "Rispondi solo se hai scelto" in page
    assert field_names(page, lamp) == [f"attr_{lamp.pk}_0", f"attr_{lamp.pk}_1", f"attr_{lamp.pk}_2"]


def test_in_english_the_questions_are_in_english(client, lamp):
    client.cookies["django_language"] = "en"
    page = client.get(URL).content.decode()
    assert "How many lights are out?" in page and "Several in a row" in page
    assert "Quante luci" not in page


def test_the_answers_of_the_chosen_category_are_stored(client, two_zones, lamp):
    answers = {
        f"attr_{lamp.pk}_0": " A-12 ",
        f"attr_{lamp.pk}_1": "several",
        f"attr_{lamp.pk}_2": ["neighbours", "shops"],
    }
    response = client.post(URL, form_data(lamp, **answers))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Report.objects.get().attributes == {
        "pole_number": "A-12",
        "lights_out": "several",
        "seen_with": ["neighbours", "shops"],
    }


def test_answers_to_another_categorys_questions_are_ignored(client, two_zones, lamp):
    dark = Category.objects.get(code="dark-area")
    response = client.post(URL, form_data(dark, **{f"attr_{lamp.pk}_1": "nonsense", f"attr_{lamp.pk}_0": "<b>"}))
    assert response.status_code == 302
    assert Report.objects.get().attributes == {}


def test_a_wrong_answer_is_shown_on_its_question(client, two_zones, lamp):
    response = client.post(URL, form_data(lamp, **{f"attr_{lamp.pk}_1": "many"}))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_attr_{lamp.pk}_1_error"' in page
    assert "Quante luci sono spente?: scegli tra" in page
    assert not Report.objects.exists()


def test_a_required_question_left_blank_is_asked_again(client, two_zones, lamp):
    response = client.post(URL, form_data(lamp, **{f"attr_{lamp.pk}_0": "A-12"}))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_attr_{lamp.pk}_1_error"' in page and "Rispondi: Quante luci sono spente?" in page
    assert 'value="A-12"' in page  # what was typed is kept
    assert not Report.objects.exists()


def test_html_in_an_answer_is_refused(client, two_zones, lamp):
    response = client.post(
        URL, form_data(lamp, **{f"attr_{lamp.pk}_0": "<script>x</script>", f"attr_{lamp.pk}_1": "one"})
    )
    assert response.status_code == 400
    assert f'id="id_attr_{lamp.pk}_0_error"' in response.content.decode()


@pytest.mark.parametrize(
    ("answers", "refused"),
    [
        ({"lights_out": "one"}, None),
        ({"lights_out": ["one", "several"]}, "attribute[lights_out]"),
        ({"lights_out": "one", "seen_with": ["shops", "police"]}, "attribute[seen_with]"),
        ({"lights_out": "one", "pole_number": "x" * 501}, "attribute[pole_number]"),
        ({"lights_out": "one", "pole_number": "nul\x00"}, "attribute[pole_number]"),
        ({"lights_out": "one", "no_such_question": "x"}, "attributes"),
        ({"lights_out": ""}, "attribute[lights_out]"),  # blank is not an answer
    ],
)
def test_validate_attributes_is_the_one_check(lamp, answers, refused):
    if refused is None:
        assert validate_attributes(lamp, answers) == answers
        return
    with pytest.raises(ValidationError) as error:
        validate_attributes(lamp, answers)
    assert refused in error.value.message_dict


def test_numbers_and_datetimes_are_checked(category):
    category.attributes = [
        {"code": "height", "datatype": "number", "description": "Height"},
        {"code": "since", "datatype": "datetime", "description": "Since when"},
    ]
    assert validate_attributes(category, {"height": "3,5", "since": "2026-01-31T22:00"}) == {
        "height": "3,5",
        "since": "2026-01-31T22:00",
    }
    for answers in ({"height": "tall"}, {"height": "nan"}, {"since": "yesterday"}, {"since": "2026-13-45T25:00"}):
        with pytest.raises(ValidationError):
            validate_attributes(category, answers)


def test_moderators_read_the_answers_with_their_questions(client, two_zones, lamp, moderator):
    report = submit(lamp, attributes={"lights_out": "several", "seen_with": ["neighbours"]})
    client.force_login(moderator)
    page = client.get(reverse("reports:moderation-detail", args=[report.tracking_code])).content.decode()
    assert 'id="moderation-answers"' in page
    assert "Quante luci sono spente?" in page and "Diverse di fila" in page and "Vicini" in page


def test_open311_uses_the_same_questions_and_check(client, two_zones, lamp):
    definition = client.get("/open311/v2/services/broken-street-light.json").json()
    codes = [attribute["code"] for attribute in definition["attributes"]]
    assert codes == ["perceived_safety", "pole_number", "lights_out", "seen_with", "note"]
    lights = next(a for a in definition["attributes"] if a["code"] == "lights_out")
    assert lights["description"] == "Quante luci sono spente?" and lights["required"] is True
    note = next(a for a in definition["attributes"] if a["code"] == "note")
    assert note["variable"] is False
    client.cookies["django_language"] = "en"
    definition = client.get("/open311/v2/services/broken-street-light.json").json()
    assert "How many lights are out?" in [a["description"] for a in definition["attributes"]]

    key = ApiKey(name="questions")
    secret = key.set_new_key()
    key.save()
    body = {"api_key": secret, "service_code": lamp.code, "lat": "45.065", "long": "7.675"}
    body["attribute[perceived_safety]"] = "2"
    response = client.post("/open311/v2/requests.json", body)
    assert response.status_code == 400
    assert "attribute[lights_out]" in response.json()[0]["description"]
    body["attribute[lights_out]"] = "one"
    body["attribute[seen_with]"] = ["neighbours", "shops"]
    assert client.post("/open311/v2/requests.json", body).status_code == 200
    assert Report.objects.get().attributes == {"lights_out": "one", "seen_with": ["neighbours", "shops"]}


def test_the_api_takes_answers_too(client, two_zones, lamp):
    body = {
        "category": lamp.code,
        "perceived_safety": 2,
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "latitude": 45.065,
        "longitude": 7.675,
    }
    response = client.post("/api/v1/reports/", body, content_type="application/json")
    assert response.status_code == 400 and "attribute[lights_out]" in response.json()
    body["attributes"] = {"lights_out": "one"}
    assert client.post("/api/v1/reports/", body, content_type="application/json").status_code == 201
    assert Report.objects.get().attributes == {"lights_out": "one"}
