"""manage.py import_survey_responses: answers collected elsewhere, all or nothing, errors by line and column."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from surveys.models import Campaign, Response
from surveys.tests import factories

HEADER = (
    "respondent_id,zone_code,sex,age_band,answered_at,safe_after_dark,design_weight,avoids_going_out,worry_crime,"
    "slots_out"
)


@pytest.fixture
def imported(two_zones):
    return factories.campaign(Campaign.Mode.IMPORT, zones=list(two_zones), code="cati-2025")


def write(tmp_path, *lines: str):
    path = tmp_path / "answers.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return str(path)


def run(path, campaign="cati-2025"):
    call_command("import_survey_responses", path, campaign=campaign)


def now_iso(imported) -> str:
    return imported.opens_at.isoformat()


def test_a_good_file_is_imported_with_its_weights_items_and_version(imported, tmp_path):
    at = now_iso(imported)
    run(
        write(
            tmp_path,
            f"r1,W,F,25-34,{at},4,120.5,never,little,day;evening",
            f"r2,E,M,75+,{at},0,,often,very,day",
            f"r3,W,,,{at},2,,,,",
        )
    )
    rows = {r.respondent_id: r for r in Response.objects.filter(campaign=imported)}
    assert set(rows) == {"r1", "r2", "r3"}
    assert rows["r1"].design_weight == 120.5 and rows["r1"].answers == {
        "avoids_going_out": "never",
        "worry_crime": "little",
        "slots_out": ["day", "evening"],
    }
    assert rows["r2"].safe_after_dark == 0 and rows["r2"].age_band == "75+"
    assert rows["r3"].sex == "" and rows["r3"].design_weight is None
    assert {r.instrument_version_id for r in rows.values()} == {imported.instrument_version_id}
    assert {r.source for r in rows.values()} == {Response.Source.IMPORT}


def test_a_bad_file_is_refused_whole_naming_each_line_and_column(imported, tmp_path):
    at = now_iso(imported)
    path = write(
        tmp_path,
        f"r1,W,F,25-34,{at},4,,never,little,day",  # good
        f"r2,NOWHERE,X,12,{at},7,-3,sometimes,little,day",  # zone, sex, age band, safe_after_dark, weight
        "r3,W,F,25-34,2025-11-02T21:30:00,3,,never,little,day",  # no time zone
        f"r1,E,M,35-44,{at},3,,maybe,little,breakfast",  # duplicate id (and unknown answers)
    )
    with pytest.raises(CommandError) as refused:
        run(path)
    message = str(refused.value)
    for expected in (
        "line 3, column zone_code", "line 3, column sex", "line 3, column age_band", "line 3, column safe_after_dark",
        "line 4, column answered_at", "line 5, column respondent_id",
    ):  # fmt: skip
        assert expected in message, message
    assert "line 2," not in message
    assert not Response.objects.exists()


def test_answers_that_break_the_questionnaire_are_refused_by_column(imported, tmp_path):
    at = now_iso(imported)
    path = write(tmp_path, f"r1,W,F,25-34,{at},4,,maybe,little,breakfast", f"r2,W,F,25-34,{at},4,0,never,little,day")
    with pytest.raises(CommandError) as refused:
        run(path)
    message = str(refused.value)
    assert "line 2, column avoids_going_out" in message and "line 2, column slots_out" in message
    assert "line 3, column design_weight" in message
    assert not Response.objects.exists()


def test_a_missing_or_unknown_column_is_refused_before_any_row(imported, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("respondent_id,zone_code,sex,answered_at,safe_after_dark,favourite_colour\n", encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        run(str(path))
    assert "line 1: missing column age_band" in str(refused.value)
    assert "line 1: column favourite_colour" in str(refused.value)


def test_an_answer_outside_the_fieldwork_or_an_unknown_campaign_is_refused(imported, tmp_path):
    with pytest.raises(CommandError) as refused:
        run(write(tmp_path, "r1,W,F,25-34,2001-01-01T20:00:00+01:00,4,,,,"))
    assert "line 2, column answered_at" in str(refused.value)
    with pytest.raises(CommandError, match="no campaign"):
        run(write(tmp_path, "r1,W,F,25-34,2001-01-01T20:00:00+01:00,4,,,,"), campaign="nope")


def test_importing_the_same_respondents_twice_is_refused(imported, tmp_path):
    at = now_iso(imported)
    path = write(tmp_path, f"r1,W,F,25-34,{at},4,,,,")
    run(path)
    with pytest.raises(CommandError, match="line 2, column respondent_id"):
        run(path)
    assert Response.objects.count() == 1


def test_an_unreadable_file_is_refused(imported, tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(CommandError, match="nothing imported"):
        run(str(path))
