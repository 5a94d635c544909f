"""CSV imports of the surveys app: answers collected elsewhere, the resident population, a sampling frame.

Each reads the whole file and checks every row before writing anything; the writes happen in one
transaction. Problems are reported by line number (as a spreadsheet counts them, the header being line 1)
and column, all at once, like ``reports``' and ``city``'s importers.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import translation
from django.utils.dateparse import parse_datetime

from city import dateguard
from city.models import Zone

from .models import (
    AGE_BAND_LIMITS,
    SURVEY_MIN_AGE,
    AgeBand,
    Campaign,
    FrameUnit,
    PopulationMargin,
    Response,
    SafeAfterDark,
    Sex,
    age_band_of,
)
from .services import response_validate

MAX_LISTED_ERRORS = 50
DELIMITERS = ",;\t"


class SurveyImportError(ValueError):
    """Nothing was imported; ``errors`` lists every problem as "line N, column C: message"."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        self.errors = list(errors or [])
        listed = self.errors[:MAX_LISTED_ERRORS]
        more = len(self.errors) - len(listed)
        text = "\n".join([message, *listed, *([f"... and {more} more"] if more else [])])
        super().__init__(text)


@dataclass
class ImportSummary:
    rows: int = 0
    notes: list[str] = field(default_factory=list)


def _header_key(name: str) -> str:
    """A column name as matched: lower case, accents and spaces folded (ISTAT writes "Età", "Totale maschi")."""
    name = name.strip().lower().replace("à", "a").replace("è", "e").replace("é", "e")
    return re.sub(r"[^a-z0-9]+", "_", name).strip("_")


def _read_csv(path: str | Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The file's column names (folded) and its rows as (line number, {column: text}); the delimiter is the
    first of , ; tab found in the header. Raises SurveyImportError for an unreadable file."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise SurveyImportError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise SurveyImportError(f"nothing imported: {path} is not UTF-8 text") from None
    if "\x00" in text:
        raise SurveyImportError(f"nothing imported: {path} is not a text CSV (it holds NUL bytes)")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise SurveyImportError(f"nothing imported: {path} is empty (line 1 should name the columns)")
    delimiter = max(DELIMITERS, key=lambda d: lines[0].count(d))
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter)
    try:
        header = [_header_key(h) for h in next(reader)]
    except csv.Error as error:
        raise SurveyImportError(f"nothing imported: line 1 is not CSV ({error})") from None
    duplicated = sorted({h for h in header if header.count(h) > 1 and h})
    if duplicated:
        raise SurveyImportError("nothing imported", [f"line 1: column {h} appears twice" for h in duplicated])

    def rows():
        try:
            for cells in reader:
                line = reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(header):
                    yield line, {"__width__": f"{len(cells)} cells where the header has {len(header)}"}
                    continue
                yield line, {h: c.strip() for h, c in zip(header, cells, strict=True)}
        except csv.Error as error:
            yield reader.line_num, {"__width__": f"not CSV ({error})"}

    return header, rows()


def _missing_columns(header: list[str], required: tuple[str, ...]) -> list[str]:
    return [f"line 1: missing column {c}" for c in required if c not in header]


def _zones_by_code() -> dict[str, Zone]:
    return {z.code: z for z in Zone.objects.only("id", "code", "name")}


# --- answers ------------------------------------------------------------------------------------

RESPONSE_COLUMNS = ("respondent_id", "zone_code", "sex", "age_band", "answered_at", "safe_after_dark")
SEX_WORDS = {
    "m": "M",
    "f": "F",
    "maschio": "M",
    "maschi": "M",
    "male": "M",
    "femmina": "F",
    "femmine": "F",
    "female": "F",
}
# Where a validation error of response_validate lands in the file.
RESPONSE_FIELD_COLUMN = {"zone": "zone_code", "campaign": "respondent_id"}


def parse_sex(text: str) -> str | None:
    """M, F or "" (not given); None when the text is none of the ways people write them."""
    if not text:
        return ""
    return SEX_WORDS.get(text.strip().lower())


def parse_age_band(text: str) -> str | None:
    """A band code, or the band of an age in years; "" when empty; None when neither (or under 14)."""
    if not text:
        return ""
    folded = text.strip().lower().replace(" e oltre", "+").replace(" and over", "+").replace(" ", "")
    if folded in AgeBand.values:
        return folded
    if folded.isdigit():
        return age_band_of(int(folded))
    return None


@transaction.atomic
def responses_import(*, path: str | Path, campaign: Campaign) -> ImportSummary:
    """Answers collected elsewhere (CATI, paper) into an import campaign; all or nothing.

    Columns: respondent_id, zone_code, sex, age_band, answered_at (ISO 8601 with a time zone), safe_after_dark
    (4..1, 0 = never goes out alone after dark), optional design_weight, and one column per item of the
    campaign's instrument version (named by the item's code; several answers separated by ";")."""
    if campaign.mode != Campaign.Mode.IMPORT:
        raise SurveyImportError(f"nothing imported: campaign {campaign.code} is not an import campaign")
    version = campaign.instrument_version
    items = {item.code: item for item in version.items.all()}
    header, rows = _read_csv(path)
    errors = _missing_columns(header, RESPONSE_COLUMNS)
    known = {*RESPONSE_COLUMNS, "design_weight", *items}
    errors += [
        f"line 1: column {h} is not a column of this import (items of {version}: {', '.join(items) or 'none'})"
        for h in header
        if h not in known
    ]
    if errors:
        raise SurveyImportError("nothing imported", errors)
    for code, item in items.items():
        if item.required and code not in header:
            errors.append(f"line 1: missing column {code} (a required item)")
    zones = _zones_by_code()
    existing = set(campaign.responses.exclude(respondent_id="").values_list("respondent_id", flat=True))
    seen: dict[str, int] = {}
    to_create: list[Response] = []
    with translation.override("en"):  # the command speaks English, as Django's own do
        for line, row in rows:
            if "__width__" in row:
                errors.append(f"line {line}: {row['__width__']}")
                continue
            row_errors: list[tuple[str, str]] = []
            respondent = row["respondent_id"]
            if not respondent:
                row_errors.append(("respondent_id", "must not be empty"))
            elif len(respondent) > 64:
                row_errors.append(("respondent_id", "longer than 64 characters"))
            elif respondent in seen:
                row_errors.append(("respondent_id", f"{respondent!r} already on line {seen[respondent]}"))
            elif respondent in existing:
                row_errors.append(("respondent_id", f"{respondent!r} was imported into {campaign.code} before"))
            seen.setdefault(respondent, line)
            zone = None
            if row["zone_code"]:
                zone = zones.get(row["zone_code"])
                if zone is None:
                    row_errors.append(("zone_code", f"no zone has code {row['zone_code']!r}"))
            sex = parse_sex(row["sex"])
            if sex is None:
                row_errors.append(("sex", f"{row['sex']!r}: write M or F, or leave it empty"))
            age_band = parse_age_band(row["age_band"])
            if age_band is None:
                row_errors.append(
                    (
                        "age_band",
                        f"{row['age_band']!r}: write one of {', '.join(AgeBand.values)}, an age of 14 or more, "
                        "or leave it empty",
                    )
                )
            answered_at = _parse_instant(row["answered_at"], row_errors)
            safe = row["safe_after_dark"]
            safe_value = int(safe) if safe.isdigit() and int(safe) in SafeAfterDark.values else None
            if safe_value is None:
                row_errors.append(("safe_after_dark", f"{safe!r}: write 4, 3, 2, 1 or 0"))
            weight = None
            if row.get("design_weight"):
                try:
                    weight = float(row["design_weight"].replace(",", "."))
                except ValueError:
                    row_errors.append(("design_weight", f"{row['design_weight']!r} is not a number"))
            answers = {code: _split_answers(item, row.get(code, "")) for code, item in items.items()}
            if not row_errors:
                try:
                    cleaned = response_validate(
                        campaign=campaign, safe_after_dark=safe_value, sex=sex, age_band=age_band, zone=zone,
                        answers=answers, answered_at=answered_at, design_weight=weight,
                    )  # fmt: skip
                except ValidationError as error:
                    for key, messages in error.message_dict.items():
                        column = RESPONSE_FIELD_COLUMN.get(key, key)
                        if column.startswith("answers[") and column.endswith("]"):
                            column = column[len("answers[") : -1]
                        row_errors += [(column, message) for message in messages]
                else:
                    to_create.append(
                        Response(
                            campaign=campaign, instrument_version=version, respondent_id=respondent,
                            source=Response.Source.IMPORT, answered_at=answered_at, safe_after_dark=safe_value,
                            sex=sex, age_band=age_band, zone=zone,
                            zone_source=Response.ZoneSource.IMPORT if zone else "", design_weight=weight,
                            answers=cleaned,
                        )
                    )  # fmt: skip
            errors += [f"line {line}, column {column}: {message}" for column, message in row_errors]
    if errors:
        raise SurveyImportError("nothing imported", errors)
    if not to_create:
        raise SurveyImportError("nothing imported: the file has no answers")
    Response.objects.bulk_create(to_create, batch_size=2000)
    return ImportSummary(rows=len(to_create))


def _parse_instant(text: str, row_errors: list[tuple[str, str]]) -> dt.datetime | None:
    hint = "write an ISO 8601 date and time with its time zone, e.g. 2025-11-02T21:30:00+01:00"
    try:
        instant = parse_datetime(text)
    except ValueError:
        instant = None
    if instant is None:
        row_errors.append(("answered_at", f"{text!r}: {hint}"))
        return None
    if instant.tzinfo is None:
        row_errors.append(("answered_at", f"{text!r} has no time zone: {hint}"))
        return None
    try:
        dateguard.check_datetime(instant, field="answered_at")
    except ValidationError as error:
        row_errors += [("answered_at", m) for m in error.message_dict["answered_at"]]
        return None
    return instant


def _split_answers(item, text: str):
    if item.kind == item.Kind.SINGLE:
        return text
    return [part.strip() for part in re.split(r"[;|]", text or "") if part.strip()]


# --- population ---------------------------------------------------------------------------------

TOTAL_WORDS = {"total", "totale", "tot"}
OPEN_AGE = re.compile(r"^(\d+)\s*(\+|e oltre|and over|e piu|e più)$")
BAND = re.compile(r"^(\d+)\s*-\s*(\d+)$")


def parse_age(text: str) -> tuple[int, int | None] | str | None:
    """(lowest, highest or None) of an age cell: a single year, "100+"/"100 e oltre", or a band "25-34";
    "total" for a totals row; None when unreadable."""
    folded = text.strip().lower()
    if folded in TOTAL_WORDS:
        return "total"
    if folded.isdigit():
        return int(folded), int(folded)
    if match := OPEN_AGE.match(folded):
        return int(match.group(1)), None
    if match := BAND.match(folded):
        low, high = int(match.group(1)), int(match.group(2))
        return (low, high) if low <= high else None
    return None


def band_of_range(low: int, high: int | None) -> str | None:
    """The survey band that holds the whole range; None when it straddles two bands."""
    band = age_band_of(low)
    if band is None:
        return None
    band_high = AGE_BAND_LIMITS[band][1]
    if band_high is None or (high is not None and high <= band_high):
        return band
    return None


def _count(text: str) -> int | None:
    cleaned = text.replace(".", "").replace(" ", "") if re.fullmatch(r"\d{1,3}(\.\d{3})+", text) else text
    return int(cleaned) if cleaned.isdigit() else None


@transaction.atomic
def population_import(*, path: str | Path, reference_date: dt.date, source: str = "") -> ImportSummary:
    """Residents by zone, sex and age into the population margins at ``reference_date``; all or nothing.

    Two shapes are read: long (``zone_code, sex, age, residents``) and ISTAT's wide one (``zone_code, age,
    males, females``, also spelt ``maschi, femmine`` or ``totale maschi, totale femmine``). Ages are single
    years (``100+`` or ``100 e oltre`` for the open class) or bands; they are summed into the survey's 14+
    bands, ages under 14 are left out (the survey asks people aged 14 and over) and a band that straddles
    two of ours is refused. A totals row (age ``Totale``) is checked against the other rows' sum and not
    stored. The margins of every zone in the file at that date are replaced; other zones are untouched."""
    header, rows = _read_csv(path)
    aliases = {
        "codice_zona": "zone_code", "zona": "zone_code", "eta": "age", "sesso": "sex", "residenti": "residents",
        "maschi": "males", "totale_maschi": "males", "femmine": "females", "totale_femmine": "females",
    }  # fmt: skip
    header = [aliases.get(h, h) for h in header]
    wide = "males" in header or "females" in header
    required = ("zone_code", "age", "males", "females") if wide else ("zone_code", "sex", "age", "residents")
    errors = _missing_columns(header, required)
    if errors:
        raise SurveyImportError(
            "nothing imported (columns: zone_code, sex, age, residents; or zone_code, age, males, females)", errors
        )
    zones = _zones_by_code()
    counts: dict[tuple[str, str, str], int] = {}
    totals: dict[tuple[str, str], tuple[int, int]] = {}  # (zone, sex) -> (line, stated total)
    sums: dict[tuple[str, str], int] = {}  # every age, under 14 too, for the totals check
    seen: dict[tuple[str, str, int, int | None], int] = {}
    under_14 = 0
    for line, raw in rows:
        if "__width__" in raw:
            errors.append(f"line {line}: {raw['__width__']}")
            continue
        row = {aliases.get(k, k): v for k, v in raw.items()}
        row_errors: list[tuple[str, str]] = []
        zone_code = row["zone_code"]
        if zone_code not in zones:
            row_errors.append(("zone_code", f"no zone has code {zone_code!r}"))
        age = parse_age(row["age"])
        if age is None:
            row_errors.append(("age", f"{row['age']!r}: write an age (37), an open class (100+) or a band (25-34)"))
        if wide:
            cells = [("males", Sex.MALE), ("females", Sex.FEMALE)]
        else:
            sex = parse_sex(row["sex"])
            if not sex:
                row_errors.append(("sex", f"{row['sex']!r}: write M or F"))
            cells = [("residents", sex)]
        values = []
        for column, sex in cells:
            value = _count(row[column])
            if value is None:
                row_errors.append((column, f"{row[column]!r} is not a whole number of residents"))
            values.append((sex, value))
        band = None
        if isinstance(age, tuple) and age[0] >= SURVEY_MIN_AGE:
            band = band_of_range(*age)
            if band is None:
                row_errors.append(
                    ("age", f"{row['age']!r} straddles two of the survey's bands ({', '.join(AgeBand.values)})")
                )
        elif isinstance(age, tuple) and age[1] is not None and age[1] >= SURVEY_MIN_AGE:
            row_errors.append(("age", f"{row['age']!r} straddles 14, the survey's lowest age"))
        if not row_errors:
            for sex, value in values:
                if age == "total":
                    if (zone_code, sex) in totals:
                        row_errors.append(("age", f"a second totals row for {zone_code} {sex}"))
                    totals[(zone_code, sex)] = (line, value)
                    continue
                key = (zone_code, sex, *age)
                if key in seen:
                    row_errors.append(("age", f"{zone_code} {sex} {row['age']} already on line {seen[key]}"))
                    continue
                seen[key] = line
                sums[(zone_code, sex)] = sums.get((zone_code, sex), 0) + value
                if band is None:
                    under_14 += value
                else:
                    counts[(zone_code, sex, band)] = counts.get((zone_code, sex, band), 0) + value
        errors += [f"line {line}, column {column}: {message}" for column, message in row_errors]
    for (zone_code, sex), (line, stated) in sorted(totals.items()):
        added = sums.get((zone_code, sex), 0)
        if not errors and added != stated:
            errors.append(f"line {line}: the total for {zone_code} {sex} is {stated}, the rows add up to {added}")
    if errors:
        raise SurveyImportError("nothing imported", errors)
    if not counts:
        raise SurveyImportError("nothing imported: the file has no residents aged 14 or more")
    zone_codes = sorted({zone_code for zone_code, _s, _b in counts})
    PopulationMargin.objects.filter(zone__code__in=zone_codes, reference_date=reference_date).delete()
    # Every cell of every zone in the file, zeros too: raking needs the full table.
    margins = [
        PopulationMargin(
            zone=zones[zone_code], reference_date=reference_date, sex=sex, age_band=band,
            residents=counts.get((zone_code, sex, band), 0), source=source[:200],
        )
        for zone_code in zone_codes
        for sex in Sex.values
        for band in AgeBand.values
    ]  # fmt: skip
    PopulationMargin.objects.bulk_create(margins, batch_size=2000)
    notes = [f"{len(zone_codes)} zones at {reference_date.isoformat()}"]
    if under_14:
        notes.append(f"{under_14} residents under 14 left out (the survey asks people aged 14 and over)")
    return ImportSummary(rows=len(margins), notes=notes)


# --- sampling frame -----------------------------------------------------------------------------

FRAME_COLUMNS = ("frame_id", "zone_code")


@transaction.atomic
def frame_import(*, path: str | Path, campaign: Campaign) -> ImportSummary:
    """A probability campaign's sampling frame: ``frame_id, zone_code`` and optionally ``email, address,
    language`` (it or en); all or nothing, before the sample is drawn. A second upload replaces the first."""
    if campaign.mode != Campaign.Mode.PROBABILITY:
        raise SurveyImportError(f"nothing imported: campaign {campaign.code} is not a probability sample")
    if campaign.draws.exists():
        raise SurveyImportError("nothing imported: the sample of this campaign has already been drawn")
    header, rows = _read_csv(path)
    errors = _missing_columns(header, FRAME_COLUMNS)
    errors += [
        f"line 1: column {h} is not a frame column"
        for h in header
        if h not in {*FRAME_COLUMNS, "email", "address", "language"}
    ]
    if errors:
        raise SurveyImportError("nothing imported", errors)
    zones = _zones_by_code()
    allowed_zones = set(campaign.zones.values_list("code", flat=True)) or set(zones)
    units: list[FrameUnit] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if "__width__" in row:
            errors.append(f"line {line}: {row['__width__']}")
            continue
        row_errors: list[tuple[str, str]] = []
        frame_id = row["frame_id"]
        if not frame_id or len(frame_id) > 64:
            row_errors.append(("frame_id", "must be 1 to 64 characters"))
        elif frame_id in seen:
            row_errors.append(("frame_id", f"{frame_id!r} already on line {seen[frame_id]}"))
        seen.setdefault(frame_id, line)
        zone = zones.get(row["zone_code"])
        if zone is None or row["zone_code"] not in allowed_zones:
            row_errors.append(("zone_code", f"{row['zone_code']!r} is not a zone of this campaign"))
        email = row.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                row_errors.append(("email", f"{email!r} is not an e-mail address"))
        address = row.get("address", "")
        if len(address) > 300:
            row_errors.append(("address", "longer than 300 characters"))
        language = (row.get("language") or "it").lower()
        if language not in ("it", "en"):
            row_errors.append(("language", f"{language!r}: write it or en"))
        if not row_errors:
            units.append(
                FrameUnit(
                    campaign=campaign, external_id=frame_id, zone=zone, email=email, address=address, language=language
                )
            )
        errors += [f"line {line}, column {column}: {message}" for column, message in row_errors]
    if errors:
        raise SurveyImportError("nothing imported", errors)
    if not units:
        raise SurveyImportError("nothing imported: the frame is empty")
    campaign.frame_units.all().delete()
    FrameUnit.objects.bulk_create(units, batch_size=2000)
    return ImportSummary(rows=len(units))
