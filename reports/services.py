"""Writes on reports: every channel (form, API, Open311, importer) submits through report_submit,
and every moderation action goes through one ``report_<action>`` function that records history."""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from city import dateguard, outbox, stale
from city.civic_numbers import parse_address
from city.concurrency import retry_on_deadlock
from city.models import CivicNumber, Department, Street, Zone, house_number_text
from city.nightslots import night_and_slot
from city.publiccache import bump_public_version

from .models import (
    INDICATOR_EXCLUDED_STATUSES,
    AbuseFlag,
    BlockedSender,
    Category,
    PerceivedSafety,
    Report,
    SafetyAudit,
    StatusChange,
)
from .photos import photo_sanitise
from .signals import report_assigned, report_status_changed, report_submitted
from .validation import HTML_TAG, REFUSED_CHARACTER, clean_text, column_limit, refused_character_message

logger = logging.getLogger(__name__)

CLOCK_SKEW = dt.timedelta(minutes=5)
# Answers to extra questions live in one JSON column: a short answer is held to this, a "text" one to the
# description's size.
ATTRIBUTE_MAX_LENGTH = 500


def zone_for_location(location: Point) -> Zone:
    """The zone a citizen's point is stamped with; ValidationError on ``location`` outside the city."""
    if location.srid is None:
        location.srid = 4326
    zone = Zone.objects.zone_for_point(location)
    if zone is None:
        raise ValidationError(
            {"location": _("This place is outside the area the observatory covers. Please pick a point in the city.")}
        )
    return zone


def zone_point(zone: Zone) -> Point:
    """A point surely inside a zone (ST_PointOnSurface), for reports placed by choosing a zone."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_AsEWKB(ST_PointOnSurface(geom)) FROM observatory_zone WHERE id = %s", [zone.pk])
        return GEOSGeometry(memoryview(cursor.fetchone()[0]))


def locate_address(address: str) -> Point | None:
    """A point for a typed address, without an outside geocoder: the door when the civic-number register holds
    the house number typed ("Via Roma 12"), else the street of the city's register whose name the address
    resembles best (accents and case ignored), else the zone whose name the address mentions. None when
    nothing is found.

    The observatory runs offline from its own registers (``import_streets``, ``import_civic_numbers``); a city
    with a geocoder plugs it in here.
    """
    match = address_match(address)
    if match is not None:
        return match.point
    text = (address or "").strip()
    if len(text) < 3 or "\x00" in text:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_AsEWKB(ST_PointOnSurface(geom)) FROM observatory_zone
            WHERE length(name) >= 3 AND position(lower(name) IN lower(%s)) > 0
            ORDER BY length(name) DESC, id LIMIT 1
            """,
            [text],
        )
        row = cursor.fetchone()
    return GEOSGeometry(memoryview(row[0])) if row else None


# A typed address resolves to a street only when its words match that well (pg_trgm word similarity, 0-1):
# "via nizza 45" finds "Via Nizza", "corso fr" does not pretend to know which Corso it is.
ADDRESS_MATCH_MIN = 0.75
_HOUSE_NUMBER = re.compile(r"[,;]|\b\d+[a-zA-Z]?(/\d+)?\b|\bn\.\s*|\binterno\b.*$")


def best_street_for(address: str) -> Street | None:
    """The register's street that a typed address names (house number and punctuation dropped), or None."""
    text = _HOUSE_NUMBER.sub(" ", address or "")
    found = Street.objects.matching(text, limit=1)
    return found[0] if found and found[0].score >= ADDRESS_MATCH_MIN else None


@dataclass(frozen=True)
class AddressMatch:
    """Where a typed address is: the door (``exact``) or the street, and what to tell the person about it."""

    point: Point
    label: str  # "Via Roma 12" when the number was found, else the street's name
    exact: bool
    note: str = ""  # set when a house number was typed and the register does not hold it


def address_match(address: str) -> AddressMatch | None:
    """The civic number's point for "Via Roma 12" / "via roma, 12" when the register holds it; else the street
    with a note saying the number was not found (or no note when none was typed); None without a street."""
    typed = parse_address(address)
    street = best_street_for(typed.street)
    if street is None:
        return None
    if typed.number is None:
        return AddressMatch(street.point, street.name, exact=False)
    door = CivicNumber.objects.on_street(street.name, typed.number, typed.suffix)
    if door is not None:
        # Named as the street register spells the street ("Via della Libertà"), not as the house numbers' file
        # may ("VIA DELLA LIBERTA").
        return AddressMatch(door.point, f"{street.name} {house_number_text(door.number, door.suffix)}", exact=True)
    number = house_number_text(typed.number, typed.suffix)
    note = _(
        "Number %(number)s of %(street)s is not in the city's register of house numbers: the pin is on the "
        "street. Move it to the exact place if you can."
    ) % {"number": number, "street": street.name}
    return AddressMatch(street.point, street.name, exact=False, note=note)


def validate_occurred_at(occurred_at: dt.datetime, *, field: str = "occurred_at", check_age: bool = True) -> None:
    """When something happened, for a report or an audit: inside the observatory's plausible window
    (city/dateguard.py), not in the future, and (unless ``check_age`` is off, for imports) recent."""
    dateguard.check_datetime(occurred_at, field=field, label=_("When it happened"))
    now = timezone.now()
    if occurred_at > now + CLOCK_SKEW:
        raise ValidationError({field: _("This time is in the future. Please give the time it happened.")})
    days = settings.OBSERVATORY_REPORT_MAX_AGE_DAYS
    if check_age and occurred_at < now - dt.timedelta(days=days):
        raise ValidationError(
            {field: _("This is more than %(days)s days ago; we only take recent reports.") % {"days": days}}
        )


def validate_attributes(
    category: Category, answers: dict[str, Any], *, enforce_required: bool = True
) -> dict[str, Any]:
    """Answers to a category's extra questions (Open311 attributes), checked against its definition.

    The web form, the API and Open311 all come through here. Blank answers count as not given. An answer is
    text or a number (a list of them for a multiple choice); its text passes the same character rules as
    every other text (validation.py). Errors are keyed ``attribute[<code>]`` (the Open311 parameter name) so
    each channel can point at the question; unknown questions are keyed ``attributes``.
    """
    questions = {question["code"]: question for question in category.questions()}
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for code, value in (answers or {}).items():
        question = questions.get(code)
        if question is None:
            errors.setdefault("attributes", []).append(
                _("Unknown extra question %(code)s for this category.") % {"code": _shown(code)}
            )
            continue
        key, label, datatype = f"attribute[{code}]", question["label"], question["datatype"]
        given = list(value) if isinstance(value, list | tuple) else [value]
        if any(isinstance(v, bool) or not isinstance(v, str | int | float) for v in given):
            errors[key] = [_("%(question)s: give text or a number, not a list or an object.") % {"question": label}]
            continue
        values = [v for v in (str(v).strip() for v in given) if v]
        if not values:
            continue
        if datatype != "multivaluelist" and len(values) > 1:
            errors[key] = [
                _("%(question)s (attribute[%(code)s]) was given %(count)s times; give one answer.")
                % {"question": label, "code": code, "count": len(values)}
            ]
            continue
        limit = column_limit(Report, "description") if datatype == "text" else ATTRIBUTE_MAX_LENGTH
        problem = next(filter(None, (refused_character_message(v, label) for v in values)), None)
        if problem is None and any(HTML_TAG.search(v) or len(v) > limit for v in values):
            problem = _("%(question)s: plain text under %(max)s characters, please.") % {
                "question": label,
                "max": limit,
            }
        if problem:
            errors[key] = [problem]
            continue
        if datatype in {"singlevaluelist", "multivaluelist"}:
            allowed = [v["key"] for v in question["values"]]
            if any(v not in allowed for v in values):
                names = ", ".join(
                    v["key"] if v["name"] == v["key"] else f"{v['key']} ({v['name']})" for v in question["values"]
                )
                errors[key] = [_("%(question)s: choose one of %(keys)s.") % {"question": label, "keys": names}]
                continue
        if datatype == "number":
            try:
                number = float(values[0].replace(",", "."))
                if not math.isfinite(number):
                    raise ValueError
            except ValueError:
                errors[key] = [_("%(question)s must be a number.") % {"question": label}]
                continue
        if datatype == "datetime":
            try:
                _check_answer_datetime(values[0], key=key, label=label)
            except ValidationError as error:
                errors.update(error.message_dict)
                continue
        clean[code] = values if datatype == "multivaluelist" else values[0]
    if enforce_required:
        for code, question in questions.items():
            if question["required"] and code not in clean and f"attribute[{code}]" not in errors:
                errors[f"attribute[{code}]"] = [_("Please answer: %(question)s") % {"question": question["label"]}]
    if errors:
        raise ValidationError(errors)
    return clean


def _shown(text: str, limit: int = 40) -> str:
    """Someone else's text quoted in a message: shortened, with what no answer can carry replaced by U+FFFD."""
    text = REFUSED_CHARACTER.sub("\ufffd", str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_answer_datetime(value: str, *, key: str, label: str) -> None:
    """A date-time answer (the form's ``datetime-local`` sends local time without a zone), in the plausible window."""
    try:
        parsed = parse_datetime(value)
    except ValueError:  # well formed but impossible, such as month 13
        parsed = None
    if parsed is None:
        raise ValidationError(
            {key: _("%(question)s: give a date and time, e.g. 2026-01-31T22:00.") % {"question": label}}
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    dateguard.check_datetime(parsed, field=key, label=label)


def sender_is_blocked(*, email: str = "", ip: str | None = None) -> bool:
    checks = []
    if email:
        checks.append((BlockedSender.Kind.EMAIL, email.strip().lower()))
    if ip:
        checks.append((BlockedSender.Kind.IP, ip))
    return any(BlockedSender.objects.filter(kind=kind, value=value).exists() for kind, value in checks)


def _collect(errors: dict[str, list[str]], fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, or None with its ValidationError's messages added to ``errors`` by field."""
    try:
        return fn(*args, **kwargs)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
        return None


def report_validate_content(
    *,
    category: Category | None,
    perceived_safety: object,
    occurred_at: dt.datetime | None,
    address: str = "",
    description: str = "",
    reporter_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    contact_consent: bool = False,
    media_url: str = "",
    attributes: dict[str, Any] | None = None,
    has_photo: bool = False,
    check_age: bool = True,
    joining: bool = False,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """What the citizen said, checked by the one set of rules the web form, the REST API, Open311 and the
    importer share: the category and the scale, when it happened (city/dateguard.py and the age limit),
    every text against its column and the character rules (validation.py), the e-mail and its consent, the
    media URL, the category's required description, photo and extra answers (not asked when ``joining``).

    Returns the cleaned values by Report field (a refused one is left out) and every problem found, by field,
    so that the caller can add the place's problems and answer them all at once.
    """
    errors: dict[str, list[str]] = {}
    content: dict[str, Any] = {}

    if not isinstance(category, Category) or not category.active:
        errors["category"] = [_("Please choose a category.")]
        category = None
    if isinstance(perceived_safety, bool) or perceived_safety not in PerceivedSafety.values:
        errors["perceived_safety"] = [_("Please say how safe you felt.")]
    if not isinstance(occurred_at, dt.datetime):
        errors["occurred_at"] = [_("Please say when it happened.")]
    else:
        _collect(errors, validate_occurred_at, occurred_at, check_age=check_age)
    for field, value in (
        ("address", address),
        ("description", description),
        ("reporter_name", reporter_name),
        ("contact_phone", contact_phone),
    ):
        text = _collect(errors, clean_text, value, model=Report, field=field)
        if text is not None:
            content[field] = text
    email = _collect(errors, clean_text, contact_email, model=Report, field="contact_email", plain=False)
    if email:
        email = _collect(errors, _validate_email, email)
        if not contact_consent:
            errors.setdefault("contact_consent", []).append(
                _("To receive updates by e-mail, please agree that we keep your address for that purpose.")
            )
    if email is not None:
        content["contact_email"] = email
        content["contact_consent"] = bool(email) and bool(contact_consent)
    url = _collect(errors, clean_text, media_url, model=Report, field="media_url", plain=False)
    if url:
        url = _collect(errors, _validate_url, url)
    if url is not None:
        content["media_url"] = url
    if category is not None:
        described = content.get("description") or "description" in errors
        if category.requires_description and not described and not joining:
            errors.setdefault("description", []).append(_("This category needs a short description."))
        if category.requires_photo and not has_photo and not content.get("media_url") and not joining:
            errors.setdefault("photo", []).append(_("This category needs a photo."))
        answers = _collect(errors, validate_attributes, category, attributes or {}, enforce_required=not joining)
        if answers is not None:
            content["attributes"] = answers
    return content, errors


def report_submit(
    *,
    category: Category,
    perceived_safety: int,
    occurred_at: dt.datetime,
    location: Point | None = None,
    zone: Zone | None = None,
    address: str = "",
    description: str = "",
    photo=None,
    media_url: str = "",
    attributes: dict[str, Any] | None = None,
    reporter_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    contact_consent: bool = False,
    submitter_ip: str | None = None,
    source: str = Report.Source.WEB,
    open311_key=None,
    check_age: bool = True,
    duplicate_of: Report | None = None,
) -> Report:
    """Validate and save a report stamped with its zone, night and slot; mark that zone's night stale.

    The place is the point given, else a point inside the zone chosen, else the zone the typed
    address names. Raises ValidationError with every problem found, by field; nothing is saved and
    no file is left behind.

    With ``duplicate_of`` the citizen adds their experience to an open report nearby (FixMyStreet's
    "me too"): the place defaults to that report's, it must be one of the possible duplicates
    (``reports_nearby_public``) of the place given, and the new report is closed at once as its duplicate,
    so it counts once in the indicators exactly as a moderator's merge does. The category's required
    description, photo and extra answers are not asked again: the original carries them.
    """
    joining = duplicate_of is not None
    content, errors = report_validate_content(
        category=category,
        perceived_safety=perceived_safety,
        occurred_at=occurred_at,
        address=address,
        description=description,
        reporter_name=reporter_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        contact_consent=contact_consent,
        media_url=media_url,
        attributes=attributes,
        has_photo=photo is not None,
        check_age=check_age,
        joining=joining,
    )
    location, zone_found = report_resolve_place(
        location=location,
        zone=zone,
        address=content.get("address", ""),
        joining=duplicate_of,
        errors=errors,
    )
    joinable = joining and isinstance(category, Category) and location is not None
    if joinable and not _joinable(duplicate_of, category=category, location=location):
        errors.setdefault("duplicate_of", []).append(join_refused_message())
    clean_photo = _collect(errors, photo_sanitise, photo) if photo is not None else None
    if errors:
        raise ValidationError(errors)
    status = report_initial_status(contact_email=content["contact_email"], submitter_ip=submitter_ip, joining=joining)
    night, slot = night_and_slot(occurred_at)
    report = Report(
        category=category,
        location=location,
        perceived_safety=perceived_safety,
        occurred_at=occurred_at,
        zone=zone_found,
        night=night,
        slot=slot,
        source=source,
        **content,
        submitter_ip=submitter_ip,
        open311_key=open311_key,
        open311_token=secrets.token_hex(12) if source == Report.Source.OPEN311 else "",
        department_id=category.default_department_id,
        language=(translation.get_language() or settings.LANGUAGE_CODE)[:8],
        status=status,
        duplicate_of=duplicate_of,
    )
    return _report_save(report, photo=clean_photo)


def report_resolve_place(
    *, location: Point | None, zone: Zone | None, address: str, joining: Report | None, errors: dict[str, list[str]]
) -> tuple[Point | None, Zone | None]:
    """The report's point and the zone it is stamped with; problems are added to ``errors`` by field.

    The point given, else (joining a report, with no place of one's own) the original's point, else a point
    inside the zone chosen, else the place the typed address names.
    """
    if joining is not None and location is None and zone is None and not address:
        location = joining.location
    return place_resolve(location=location, zone=zone, address=address, errors=errors)


def place_resolve(
    *, location: Point | None, zone: Zone | None, address: str, errors: dict[str, list[str]]
) -> tuple[Point | None, Zone | None]:
    """Where a citizen says something happened, as the report and audit forms share it: the pin, else a point
    inside the zone chosen, else the street the typed address names; and the zone that point is stamped with.
    Problems are added to ``errors["location"]``."""
    if location is None and zone is not None:
        location = zone_point(zone)
    if location is None and address:
        location = locate_address(address)
        if location is None:
            errors.setdefault("location", []).append(
                _(
                    "We could not find this address in the city's street register. Please check the street name, "
                    "place the pin on the map or choose the area from the list."
                )
            )
    if location is None and "location" not in errors:
        errors["location"] = [_("Please place the pin on the map, type the coordinates, or choose a zone.")]
    zone_found = _collect(errors, zone_for_location, location) if location is not None else None
    return location, zone_found


def report_initial_status(*, contact_email: str, submitter_ip: str | None, joining: bool) -> str:
    """A blocked sender's report is hidden at once; a joined one is closed as the original's duplicate."""
    if sender_is_blocked(email=contact_email, ip=submitter_ip):
        return Report.Status.HIDDEN
    return Report.Status.DUPLICATE if joining else Report.Status.SUBMITTED


def _report_save(report: Report, *, photo) -> Report:
    """Save a validated report with its photo and history, and mark its zone's night stale, in one transaction.

    A report joined to another is checked again under a lock (a moderator may have closed the original
    since the citizen saw it) and counts once, through the original. If anything fails, no photo file is
    left behind.
    """
    joining = report.duplicate_of is not None
    blocked = report.status == Report.Status.HIDDEN
    saved_photo_name = ""
    try:
        with transaction.atomic():
            if joining:
                report.duplicate_of = original = Report.objects.select_for_update().get(pk=report.duplicate_of.pk)
                if not _joinable(original, category=report.category, location=report.location):
                    raise ValidationError({"duplicate_of": join_refused_message()})
            if photo is not None:
                report.photo.save(photo.name, photo, save=False)
                saved_photo_name = report.photo.name
            report.save()
            bump_public_version()  # Open311 lists requests as soon as they are written
            StatusChange.objects.create(
                report=report,
                action=StatusChange.Action.SUBMIT,
                to_status=Report.Status.SUBMITTED,
                detail=report.source,
            )
            if joining and not blocked:
                _record_join(report, report.duplicate_of)
            if blocked:
                StatusChange.objects.create(
                    report=report,
                    action=StatusChange.Action.BLOCKED,
                    from_status=Report.Status.SUBMITTED,
                    to_status=Report.Status.HIDDEN,
                )
            elif not joining:  # a joined report counts once, through the original
                stale.mark_stale([(report.zone_id, report.night)])
            # An imported report is history: no receipt, and no department is asked to act on it.
            live = not blocked and report.source != Report.Source.IMPORT
            if live:
                _send_receipt(report)
            if live and not joining:  # cases routes it to the departments (one transaction with it)
                report_submitted.send(sender=Report, report=report)
    except BaseException:
        if saved_photo_name:
            report.photo.storage.delete(saved_photo_name)
        raise
    return report


def join_refused_message() -> str:
    """The one answer to a code that cannot be joined, whether it is unknown, unpublished, closed or far away."""
    return _(
        "This report can no longer take your experience: it was closed, or it is not near the place you gave. "
        "Please send yours as a new report."
    )


def _joinable(original: Report, *, category: Category, location: Point) -> bool:
    """Whether a citizen at ``location`` may add to ``original``: it is one of the published possible duplicates
    shown there (reports_nearby_public). An unpublished report is refused like an unknown code."""
    queryset = _nearby_queryset(category=category, location=location, public=True)
    return queryset.filter(pk=original.pk, is_published=True).exists()


def _record_join(report: Report, original: Report) -> None:
    """Record on both histories that ``report`` was added to ``original`` (it was saved closed as its duplicate)."""
    StatusChange.objects.create(
        report=report,
        action=StatusChange.Action.JOIN,
        from_status=Report.Status.SUBMITTED,
        to_status=Report.Status.DUPLICATE,
        detail=original.tracking_code,
    )
    StatusChange.objects.create(
        report=original,
        action=StatusChange.Action.JOINED,
        from_status=original.status,
        to_status=original.status,
        detail=report.tracking_code,
    )


def _validate_email(value: str) -> str:
    try:
        EmailValidator()(value)
    except ValidationError:
        raise ValidationError({"contact_email": _("Please give a valid e-mail address.")}) from None
    return value


def _validate_url(value: str) -> str:
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ValidationError({"media_url": _("Please give a valid http(s) URL.")}) from None
    return value


# --- moderation ------------------------------------------------------------------------------------


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().get(pk=report.pk)


def _mark_if_counting_changed(report: Report, before: str, after: str) -> None:
    if (before in INDICATOR_EXCLUDED_STATUSES) != (after in INDICATOR_EXCLUDED_STATUSES) and report.zone_id:
        stale.mark_stale([(report.zone_id, report.night)])


def _record(report: Report, action: str, *, user, before: str, public_note: str = "", detail: str = "") -> StatusChange:
    # Every moderation step goes through here: what the public sees may have changed.
    bump_public_version()
    change = StatusChange.objects.create(
        report=report,
        action=action,
        from_status=before,
        to_status=report.status,
        public_note=public_note,
        detail=detail,
        user=user if user is not None and user.is_authenticated else None,
    )
    if before != report.status:  # cases keeps the report's case in step (same transaction)
        report_status_changed.send(sender=Report, report=report, before=before, user=user)
    return change


@retry_on_deadlock
def report_publish(*, report: Report, user, public_description: str | None = None) -> Report:
    """Make a report visible to the public, with the moderated text (the citizen's text by default)."""
    with transaction.atomic():
        report = _locked(report)
        text = report.description if public_description is None else public_description
        report.public_description = clean_text(text, model=Report, field="public_description")
        before = report.status
        if report.status in Report.NOT_PUBLIC_STATUSES:
            report.status = Report.Status.SUBMITTED
        report.is_published = True
        report.published_at = report.published_at or timezone.now()
        report.save()
        _record(report, StatusChange.Action.PUBLISH, user=user, before=before)
        _mark_if_counting_changed(report, before, report.status)
    return report


@retry_on_deadlock
def report_reject_spam(*, report: Report, user) -> Report:
    """Reject as spam: hidden from the public and from indicators; kept for the record."""
    with transaction.atomic():
        report = _locked(report)
        before = report.status
        report.status = Report.Status.SPAM
        report.is_published = False
        report.save()
        _record(report, StatusChange.Action.SPAM, user=user, before=before)
        _mark_if_counting_changed(report, before, report.status)
    return report


@retry_on_deadlock
def report_merge(*, report: Report, into: Report, user, public_note: str = "") -> Report:
    """Close ``report`` as a duplicate of ``into`` (which then counts once in the indicators)."""
    if report.pk == into.pk:
        raise ValidationError({"into": _("A report cannot be a duplicate of itself.")})
    public_note = clean_text(public_note, model=StatusChange, field="public_note")
    with transaction.atomic():
        report = _locked(report)
        target = Report.objects.select_for_update().get(pk=into.pk)
        seen = {report.pk}
        step = target
        while step is not None:  # refuse cycles: A dup of B dup of A
            if step.pk in seen:
                raise ValidationError({"into": _("That report is itself a duplicate of this one.")})
            seen.add(step.pk)
            step = step.duplicate_of
        before = report.status
        report.status = Report.Status.DUPLICATE
        report.duplicate_of = target
        report.save()
        # The default public note names the original only when the public may see it.
        if public_note:
            note = public_note
        elif target.is_public:
            note = _("Merged with report %(code)s.") % {"code": target.tracking_code}
        else:
            note = _("Merged with another report about the same thing.")
        change = _record(
            report, StatusChange.Action.MERGE, user=user, before=before, public_note=note, detail=target.tracking_code
        )
        _mark_if_counting_changed(report, before, report.status)
        _notify(report, change)
    return report


@retry_on_deadlock
def report_assign(*, report: Report, department: str | Department, user) -> Report:
    """Make ``department`` (a row or its code) responsible for the report. The history names it; the
    ``report_assigned`` signal lets the cases app give it a task in the report's case (earlier departments
    keep theirs: an assignment adds, it does not overwrite)."""
    if not isinstance(department, Department):
        department = Department.objects.active().filter(code=str(department)).first()
    if department is None or not department.active:
        raise ValidationError({"department": _("Please choose a department.")})
    with transaction.atomic():
        report = _locked(report)
        before = report.status
        report.department = department
        report.save()
        _record(report, StatusChange.Action.ASSIGN, user=user, before=before, detail=department.code)
        report_assigned.send(sender=Report, report=report, department=department, user=user)
    return report


@retry_on_deadlock
def report_set_status(*, report: Report, status: str, public_note: str = "", user) -> Report:
    """Move a report to a status with an optional public note; the citizen is e-mailed if they asked."""
    if status not in Report.Status.values:
        raise ValidationError({"status": _("Please choose a status.")})
    # These two have their own actions, which record what they need: the original report, the spam verdict.
    if status == Report.Status.DUPLICATE:
        raise ValidationError({"status": _("To mark a duplicate, merge the report into the original one.")})
    if status == Report.Status.SPAM:
        raise ValidationError({"status": _("To reject a report as spam, use “Reject as spam”.")})
    public_note = clean_text(public_note, model=StatusChange, field="public_note")
    with transaction.atomic():
        report = _locked(report)
        before = report.status
        report.status = status
        if status in Report.NOT_PUBLIC_STATUSES:
            report.is_published = False
        report.save()
        change = _record(report, StatusChange.Action.STATUS, user=user, before=before, public_note=public_note)
        _mark_if_counting_changed(report, before, status)
        _notify(report, change)
    return report


@retry_on_deadlock
def report_hide_photo(*, report: Report, user) -> Report:
    with transaction.atomic():
        report = _locked(report)
        report.photo_hidden = True
        report.save()
        _record(report, StatusChange.Action.PHOTO_HIDDEN, user=user, before=report.status)
    return report


def report_flag_abuse(*, report: Report, reason: str, submitter_ip: str | None = None) -> AbuseFlag:
    reason = clean_text(reason, model=AbuseFlag, field="reason", label=_("Your reason"))
    if not reason:
        raise ValidationError({"reason": _("Please tell us what is wrong with this report.")})
    with transaction.atomic():
        flag = AbuseFlag.objects.create(report=report, reason=reason, submitter_ip=submitter_ip)
        _record(report, StatusChange.Action.ABUSE, user=None, before=report.status)
    return flag


def report_contacts_erase(*, older_than_days: int | None = None) -> int:
    """Erase contact e-mails, names and phones of reports older than the retention period (set-based), and the
    network addresses reports and abuse flags were sent from (kept until then to stop abuse, as the privacy
    notice says). Returns how many reports had contact data erased."""
    days = settings.OBSERVATORY_CONTACT_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - dt.timedelta(days=days)
    Report.objects.filter(created_at__lt=cutoff, submitter_ip__isnull=False).update(submitter_ip=None)
    AbuseFlag.objects.filter(created_at__lt=cutoff, submitter_ip__isnull=False).update(submitter_ip=None)
    return (
        Report.objects.filter(created_at__lt=cutoff)
        .exclude(contact_email="", reporter_name="", contact_phone="")
        .update(
            contact_email="",
            reporter_name="",
            contact_phone="",
            contact_consent=False,
            contact_erased_at=timezone.now(),
        )
    )


def _notify(report: Report, change: StatusChange | None) -> None:
    """Queue (in the caller's transaction, through the outbox) an e-mail of the report's status and public note
    to its citizen, if they left an address, and to the citizens whose reports count through it: those who
    added their experience to it or were merged into it. Each in the language they wrote in, with an absolute
    link to the page they can follow."""
    note = change.public_note if change is not None else ""
    if report.contact_email and report.contact_consent:
        outbox.queue_rendered(
            report.contact_email,
            "reports/email/status",
            {"report": report, "note": note, "link": outbox.absolute_url(report.get_absolute_url()), "own": True},
            report.language or settings.LANGUAGE_CODE,
            kind="report.status",
            reference=report.tracking_code,
        )
    followers = Report.objects.added_to(report).filter(contact_consent=True).exclude(contact_email="")
    if report.contact_email and report.contact_consent:  # the original's citizen already has theirs
        followers = followers.exclude(contact_email__iexact=report.contact_email)
    seen: set[str] = set()
    for follower in followers.order_by("contact_email", "id").only("contact_email", "language", "tracking_code"):
        address = follower.contact_email.lower()
        if address in seen:
            continue
        seen.add(address)
        # One message per address: followers never see each other's e-mail.
        outbox.queue_rendered(
            follower.contact_email,
            "reports/email/status",
            {"report": report, "note": note, "link": outbox.absolute_url(report.get_absolute_url()), "own": False},
            follower.language or settings.LANGUAGE_CODE,
            kind="report.status",
            reference=report.tracking_code,
        )


def _send_receipt(report: Report) -> None:
    """The citizen's receipt with the tracking code, in the language they wrote in (outbox, same transaction)."""
    if not (report.contact_email and report.contact_consent):
        return
    outbox.queue_rendered(
        report.contact_email,
        "reports/email/receipt",
        {"report": report, "link": outbox.absolute_url(report.get_absolute_url())},
        report.language or settings.LANGUAGE_CODE,
        kind="report.receipt",
        reference=report.tracking_code,
    )


@dataclass(frozen=True)
class PublicNearby:
    """What anyone may learn about the possible duplicates of a place: the published ones (each measured from its
    snapped place), and whether there are unpublished ones too: a yes or no, with no code, time, count or place."""

    reports: list[Report]
    unpublished: bool


def _nearby_since() -> dt.datetime:
    # Whole local days: a report leaves the window at midnight, so the moment it leaves says nothing of its time.
    first_day = timezone.localdate() - dt.timedelta(days=settings.OBSERVATORY_DUPLICATE_DAYS)
    return timezone.make_aware(dt.datetime.combine(first_day, dt.time()))


def _nearby_queryset(*, category: Category, location: Point, public: bool):
    """Open reports of ``category`` within the duplicate radius and days of ``location``, nearest first.

    With ``public`` each report is measured from its snapped place (privacy.py), never from the exact point:
    whether it is listed, and where in the list, then depends only on the grid cell it is in, so no number of
    queries from around it places it better than the grid. Moderators (``public=False``) get exact distances.
    """
    from django.contrib.gis.db.models.functions import Distance
    from django.contrib.gis.measure import D

    location = Point(location.x, location.y, srid=4326)
    radius = settings.OBSERVATORY_DUPLICATE_RADIUS_M
    # A degree box that surely holds the circle lets the GiST index work; the exact metres follow. A snapped
    # place is less than a cell away from the exact one.
    reach = radius + (settings.OBSERVATORY_PRIVACY_GRID_M if public else 0)
    degrees = reach / 111_000 / max(0.1, math.cos(math.radians(location.y)))
    queryset = Report.objects.open().filter(
        category=category, occurred_at__gte=_nearby_since(), location__dwithin=(location, degrees)
    )
    if public:
        queryset = queryset.with_public_location().annotate(distance=Distance("public_location", location))
    else:
        queryset = queryset.annotate(distance=Distance("location", location))
    return queryset.filter(distance__lte=D(m=radius)).order_by("distance", "id")


def _with_added(queryset):
    """Annotate ``added``: how many people already added their experience to each report."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery

    added = (
        Report.objects.filter(duplicate_of=OuterRef("pk"), status=Report.Status.DUPLICATE)
        .order_by()
        .values("duplicate_of")
        .annotate(n=Count("*"))
        .values("n")
    )
    return queryset.select_related("category").annotate(added=Subquery(added, output_field=IntegerField()))


def reports_nearby_public(
    *, category: Category, location: Point, exclude_id: int | None = None, limit: int = 5
) -> PublicNearby:
    """The possible duplicates of a place as the public may see them (the form, nearby.json, the tracking page):
    published open reports of the category within the radius and days, measured from their snapped places and
    annotated with ``distance`` (from the snapped place) and ``added``; and whether unpublished ones exist."""
    queryset = _nearby_queryset(category=category, location=location, public=True)
    if exclude_id:
        queryset = queryset.exclude(pk=exclude_id)
    published = list(_with_added(queryset.filter(is_published=True))[:limit])
    return PublicNearby(reports=published, unpublished=queryset.filter(is_published=False).exists())


def reports_nearby_for_moderators(*, category: Category, location: Point, exclude_id: int | None = None, limit=5):
    """Every open report of the same category within the duplicate radius and days, published or not, at exact
    distances, each annotated with ``added``: for moderators only, who merge duplicates."""
    queryset = _with_added(_nearby_queryset(category=category, location=location, public=False))
    if exclude_id:
        queryset = queryset.exclude(pk=exclude_id)
    return list(queryset[:limit])


def audit_submit(
    *,
    location: Point,
    occurred_at: dt.datetime,
    scores: dict[str, int],
    comment: str = "",
    source: str = "web",
    check_age: bool = True,
) -> SafetyAudit:
    """Save a safety audit (nine 0-3 scores) stamped like reports, and mark its zone's night stale.

    When it happened and the comment pass the reports' own rules; every problem is raised at once, by field.
    """
    missing = [p for p in SafetyAudit.PARAMETERS if p not in scores]
    bad = [p for p in SafetyAudit.PARAMETERS if p in scores and scores[p] not in (0, 1, 2, 3)]
    errors = {p: [_("Give a score from 0 to 3.")] for p in missing + bad}
    _collect(errors, validate_occurred_at, occurred_at, check_age=check_age)
    comment = _collect(errors, clean_text, comment, model=SafetyAudit, field="comment")
    zone = _collect(errors, zone_for_location, location)
    if errors:
        raise ValidationError(errors)
    night, slot = night_and_slot(occurred_at)
    with transaction.atomic():
        audit = SafetyAudit.objects.create(
            location=location,
            occurred_at=occurred_at,
            comment=comment,
            zone=zone,
            night=night,
            slot=slot,
            source=source,
            **{p: scores[p] for p in SafetyAudit.PARAMETERS},
        )
        stale.mark_stale([(zone.id, night)])
    return audit
