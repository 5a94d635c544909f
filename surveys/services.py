"""Writes of the surveys app: instrument versions, the sample draw, invitations and their e-mails, answers.

``response_validate`` is the one check of an answer, shared by the questionnaire, the import and the seeder;
``response_submit`` is the one write of a web answer (an invitation code answers once: row lock and a unique
constraint). Statistics live in ``surveys/estimation.py``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from city import nightslots
from city.models import Zone
from city.outbox import absolute_url, queue_rendered
from reports.services import locate_address

from .models import (
    AgeBand,
    Campaign,
    FrameUnit,
    Instrument,
    InstrumentVersion,
    Invitation,
    Item,
    PopulationMargin,
    Response,
    SafeAfterDark,
    SampleDraw,
    Sex,
)

# A reminder goes to an invitee who has not answered nor opted out, at most SURVEYS_REMINDERS_MAX times,
# SURVEYS_REMINDER_AFTER_DAYS days after the last e-mail (settings; these are the defaults).
MAX_REMINDERS = 2
REMINDER_AFTER_DAYS = 7


def reminder_rules() -> tuple[int, int]:
    """(at most this many reminders per invitation, this many days after the last e-mail), from settings."""
    return (
        int(getattr(settings, "SURVEYS_REMINDERS_MAX", MAX_REMINDERS)),
        int(getattr(settings, "SURVEYS_REMINDER_AFTER_DAYS", REMINDER_AFTER_DAYS)),
    )


CODE_UNKNOWN = _("This invitation code is not valid for this survey. Please check it against your letter.")
CODE_USED = _("This invitation code has already been used to answer. Each code answers once.")


# --- instruments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    code: str
    label_it: str
    label_en: str


def parse_choices(text: str) -> list[Choice]:
    """The answers of an item, one a line ``code | Italian | English``; a ValidationError naming the line."""
    choices: list[Choice] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise ValidationError(
                _("Line %(line)s: write code | Italian | English, all three."), params={"line": number}
            )
        if any(c.code == parts[0] for c in choices):
            raise ValidationError(
                _("Line %(line)s: the code %(code)s is used twice."), params={"line": number, "code": parts[0]}
            )
        choices.append(Choice(*parts))
    return choices


def item_choices(item: Item) -> list[Choice]:
    """What an item can be answered with: its own list, or the city's time slots for a night-slot item."""
    if item.kind == Item.Kind.NIGHT_SLOTS:
        return [Choice(s.code, _label_in(s.code, "it"), _label_in(s.code, "en")) for s in nightslots.slots()]
    return parse_choices(item.choices_text)


def _label_in(slot_code: str, language: str) -> str:
    with translation.override(language):
        return str(nightslots.SLOT_LABELS.get(slot_code, slot_code))


def item_validate(item: Item) -> None:
    """An item an administrator wrote: a list item needs at least two answers, in the right shape."""
    if item.kind == Item.Kind.NIGHT_SLOTS:
        return
    choices = parse_choices(item.choices_text)  # raises on a malformed line
    if len(choices) < 2:
        raise ValidationError({"choices_text": _("Give at least two answers, one a line.")})


def instrument_version_publish(*, version: InstrumentVersion) -> InstrumentVersion:
    """Freeze a draft so campaigns can use it; its items are checked first."""
    if version.is_published:
        return version
    for item in version.items.all():
        try:
            item_validate(item)
        except ValidationError as error:
            raise ValidationError(
                _("Item %(code)s: %(error)s") % {"code": item.code, "error": " ".join(error.messages)}
            ) from None
    version.published_at = timezone.now()
    version.save(update_fields=["published_at"])
    return version


@transaction.atomic
def instrument_version_new_draft(*, version: InstrumentVersion) -> InstrumentVersion:
    """A new draft version copying ``version`` and its items: how a published questionnaire is changed."""
    Instrument.objects.select_for_update().get(pk=version.instrument_id)  # two copies at once get two numbers
    last = version.instrument.versions.order_by("-number").values_list("number", flat=True).first()
    draft = InstrumentVersion.objects.create(
        instrument=version.instrument,
        number=last + 1,
        headline_it=version.headline_it,
        headline_en=version.headline_en,
        intro_it=version.intro_it,
        intro_en=version.intro_en,
        ask_sex=version.ask_sex,
        ask_age_band=version.ask_age_band,
        ask_zone=version.ask_zone,
    )
    Item.objects.bulk_create(
        Item(
            version=draft, code=i.code, position=i.position, kind=i.kind, text_it=i.text_it, text_en=i.text_en,
            choices_text=i.choices_text, required=i.required,
        )
        for i in version.items.all()
    )  # fmt: skip
    return draft


def instrument_create_standard(*, code: str, name_it: str, name_en: str) -> InstrumentVersion:
    """An instrument with ISTAT's headline item and the three further items the issue names, published."""
    instrument = Instrument.objects.create(code=code, name_it=name_it, name_en=name_en)
    version = InstrumentVersion.objects.create(
        instrument=instrument,
        number=1,
        intro_it="Bastano due minuti. Le risposte sono anonime e servono a capire come si vive la città di notte.",
        intro_en="It takes two minutes. Answers are anonymous and help the city see how its streets feel at night.",
    )
    Item.objects.bulk_create(
        [
            Item(
                version=version, code="avoids_going_out", position=1, kind=Item.Kind.SINGLE,
                text_it="Negli ultimi 12 mesi le è capitato di rinunciare a uscire la sera per paura?",
                text_en="In the last 12 months, have you stayed in at night because you were afraid?",
                choices_text="often | Spesso | Often\nsometimes | Qualche volta | Sometimes\nnever | Mai | Never",
            ),
            Item(
                version=version, code="worry_crime", position=2, kind=Item.Kind.SINGLE,
                text_it="Quanto è preoccupato/a della criminalità nella zona in cui vive?",
                text_en="How worried are you about crime in the area where you live?",
                choices_text=(
                    "very | Molto | Very\nfairly | Abbastanza | Fairly\nlittle | Poco | A little\n"
                    "not_at_all | Per niente | Not at all"
                ),
            ),
            Item(
                version=version, code="slots_out", position=3, kind=Item.Kind.NIGHT_SLOTS,
                text_it="In quali fasce orarie esce di solito?",
                text_en="At what times of day are you usually out?",
            ),
        ]
    )  # fmt: skip
    return instrument_version_publish(version=version)


# --- answers ------------------------------------------------------------------------------------


def campaign_zones(campaign: Campaign):
    """The zones a campaign asks about: its own list, or every zone of the city."""
    chosen = campaign.zones.all()
    return chosen if chosen.exists() else Zone.objects.all()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def residence_resolve(
    *, campaign: Campaign, location: Point | None, zone: Zone | None, address: str
) -> tuple[Zone | None, str]:
    """The zone of residence and how it was given: the pin on the map, else the zone chosen from the list,
    else the zone the typed address names (``reports.services.locate_address``, the city's one rule).
    Nothing given is fine (the profile is optional); a pin outside the city or an address not found is not."""
    if location is not None:
        found = Zone.objects.zone_for_point(location)
        if found is None:
            raise ValidationError({"zone": _("The pin is outside the city. Please choose your zone from the list.")})
        return found, Response.ZoneSource.MAP
    if zone is not None:
        return zone, Response.ZoneSource.LIST
    if address.strip():
        point = locate_address(address)
        found = Zone.objects.zone_for_point(point) if point is not None else None
        if found is None:
            raise ValidationError(
                {"address": _("We could not find this street. Please choose your zone from the list instead.")}
            )
        return found, Response.ZoneSource.ADDRESS
    return None, ""


def response_validate(
    *,
    campaign: Campaign,
    safe_after_dark,
    sex: str = "",
    age_band: str = "",
    zone: Zone | None = None,
    answers: Mapping[str, object] | None = None,
    answered_at: dt.datetime | None = None,
    design_weight: float | None = None,
) -> dict[str, object]:
    """Every check of one answer, by field (``answers[<item code>]`` for items); the answers cleaned.

    Raises ValidationError with every problem found; the messages are in the active language."""
    errors: dict[str, list] = {}
    version = campaign.instrument_version
    if not version.is_published:
        errors["campaign"] = [_("This survey's questionnaire is not published yet.")]
    if safe_after_dark is None or safe_after_dark == "":
        errors["safe_after_dark"] = [_("Please choose how safe you feel.")]
    elif safe_after_dark not in SafeAfterDark.values:
        errors["safe_after_dark"] = [
            _("Choose 4 (very safe) to 1 (not safe at all), or 0 (never goes out alone after dark).")
        ]
    if sex and sex not in Sex.values:
        errors["sex"] = [_("Choose M or F, or leave it empty.")]
    if age_band and age_band not in AgeBand.values:
        errors["age_band"] = [
            _("Choose one of the age bands %(bands)s, or leave it empty.") % {"bands": ", ".join(AgeBand.values)}
        ]
    if zone is not None and campaign.zones.exists() and not campaign.zones.filter(pk=zone.pk).exists():
        errors["zone"] = [_("This survey does not cover this zone.")]
    if design_weight is not None and not (math.isfinite(design_weight) and design_weight > 0):
        errors["design_weight"] = [_("A design weight is a positive number.")]
    if answered_at is not None:
        if not campaign.is_open_at(answered_at):
            errors["answered_at"] = [_("This time is outside the survey's fieldwork dates.")]
        elif answered_at > timezone.now() + dt.timedelta(minutes=5):
            errors["answered_at"] = [_("This time is in the future.")]
    cleaned: dict[str, object] = {}
    given = dict(answers or {})
    for item in version.items.all():
        value = given.pop(item.code, None)
        allowed = {c.code for c in item_choices(item)}
        if item.kind == Item.Kind.SINGLE:
            value = (value or "").strip() if isinstance(value, str) else value
            if value in (None, ""):
                if item.required:
                    errors[f"answers[{item.code}]"] = [_("Please answer this question.")]
                continue
            if value not in allowed:
                errors[f"answers[{item.code}]"] = [
                    _("Choose one of: %(codes)s.") % {"codes": ", ".join(sorted(allowed))}
                ]
                continue
            cleaned[item.code] = value
        else:
            values = [value] if isinstance(value, str) else list(value or [])
            values = [v.strip() for v in values if isinstance(v, str) and v.strip()]
            if not values:
                if item.required:
                    errors[f"answers[{item.code}]"] = [_("Please answer this question.")]
                continue
            unknown = [v for v in values if v not in allowed]
            if unknown:
                errors[f"answers[{item.code}]"] = [
                    _("Unknown answer %(values)s; choose from: %(codes)s.")
                    % {"values": ", ".join(unknown), "codes": ", ".join(sorted(allowed))}
                ]
                continue
            cleaned[item.code] = sorted(set(values))
    for code in given:
        errors[f"answers[{code}]"] = [_("This questionnaire has no question %(code)s.") % {"code": code}]
    if errors:
        raise ValidationError(errors)
    return cleaned


def response_submit(
    *,
    campaign: Campaign,
    safe_after_dark: int,
    sex: str = "",
    age_band: str = "",
    zone: Zone | None = None,
    zone_source: str = "",
    answers: Mapping[str, object] | None = None,
    invitation_code: str = "",
    language: str | None = None,
) -> Response:
    """Save a web answer to an open or probability campaign; all or nothing.

    A probability campaign takes an invitation code, which answers once: the invitation row is locked for the
    transaction, so of two submissions with the same code one saves and the other is told it was used (the
    unique invitation of a response is the database's own guarantee). An unknown or used code is refused
    with a message on ``invitation_code``, in the person's language."""
    now = timezone.now()
    if campaign.mode == Campaign.Mode.IMPORT:
        raise ValidationError({"campaign": _("This survey takes answers by import only.")})
    if not campaign.is_open_at(now):
        raise ValidationError({"campaign": _("This survey is not open for answers.")})
    try:
        with transaction.atomic():
            invitation = None
            if campaign.mode == Campaign.Mode.PROBABILITY:
                code = normalise_code(invitation_code)
                invitation = (
                    Invitation.objects.select_for_update().filter(campaign=campaign, code=code).first()
                    if code
                    else None
                )
                if invitation is None:
                    raise ValidationError({"invitation_code": CODE_UNKNOWN})
                if invitation.used_at is not None:
                    raise ValidationError({"invitation_code": CODE_USED})
            cleaned = response_validate(
                campaign=campaign,
                safe_after_dark=safe_after_dark,
                sex=sex,
                age_band=age_band,
                zone=zone,
                answers=answers,
            )
            if zone is None and invitation is not None:
                zone, zone_source = invitation.zone, Response.ZoneSource.INVITATION
            response = Response.objects.create(
                campaign=campaign,
                instrument_version=campaign.instrument_version,
                invitation=invitation,
                source=Response.Source.WEB,
                language=(language or get_language() or "it")[:8],
                answered_at=now,
                safe_after_dark=safe_after_dark,
                sex=sex,
                age_band=age_band,
                zone=zone,
                zone_source=zone_source if zone is not None else "",
                answers=cleaned,
            )
            if invitation is not None:
                invitation.used_at = now
                invitation.save(update_fields=["used_at"])
    except IntegrityError:  # the same invitation saved by another transaction after all
        raise ValidationError({"invitation_code": CODE_USED}) from None
    return response


# --- sampling -----------------------------------------------------------------------------------


def allocation_proportional(total: int, sizes: Mapping[str, int]) -> dict[str, int]:
    """``total`` invitations shared among strata in proportion to their sizes (largest remainder, ties by
    code), never more than a stratum holds."""
    population = sum(sizes.values())
    if population <= 0 or total <= 0:
        return dict.fromkeys(sizes, 0)
    total = min(total, population)
    exact = {code: total * size / population for code, size in sizes.items()}
    shares = {code: min(math.floor(value), sizes[code]) for code, value in exact.items()}
    left = total - sum(shares.values())
    for code in sorted(sizes, key=lambda c: (-(exact[c] - shares[c]), c)):
        if left <= 0:
            break
        if shares[code] < sizes[code]:
            shares[code] += 1
            left -= 1
    return shares


def population_14_plus(zone_ids: Sequence[int]) -> dict[int, int]:
    """Residents aged 14+ per zone at the latest reference date each zone has margins for."""
    latest: dict[int, dt.date] = {}
    for zone_id, reference_date in PopulationMargin.objects.filter(zone_id__in=zone_ids).values_list(
        "zone_id", "reference_date"
    ):
        latest[zone_id] = max(latest.get(zone_id, reference_date), reference_date)
    totals: dict[int, int] = {}
    rows = (
        PopulationMargin.objects.filter(zone_id__in=zone_ids)
        .values("zone_id", "reference_date")
        .annotate(residents=Sum("residents"))
    )
    for row in rows:
        if row["reference_date"] == latest[row["zone_id"]]:
            totals[row["zone_id"]] = row["residents"]
    return totals


def stratum_sizes(campaign: Campaign) -> dict[str, int]:
    """N_h per zone code: the frame's units in each zone, or (no frame) residents aged 14+ (margins, else the
    zone's population)."""
    zones = list(campaign_zones(campaign).order_by("code"))
    if campaign.frame_units.exists():
        counts = dict(campaign.frame_units.values("zone__code").annotate(n=Count("id")).values_list("zone__code", "n"))
        return {z.code: counts.get(z.code, 0) for z in zones}
    residents = population_14_plus([z.pk for z in zones])
    return {z.code: residents.get(z.pk, z.population or 0) for z in zones}


@transaction.atomic
def sample_draw(*, campaign: Campaign, seed: int, sample_sizes: Mapping[str, int]) -> SampleDraw:
    """Draw a stratified simple random sample (by zone) and issue one invitation per sampled unit.

    With a frame, ``sample_sizes[zone]`` units are drawn without replacement among the frame's units of the
    zone, in ``external_id`` order, with numpy's PCG64 seeded by ``seed``: the same frame and seed give the
    same sample. Without a frame the invitations are codes for letters to addresses chosen outside the
    observatory; their inclusion probability is n_h over the zone's residents aged 14+. One draw a campaign."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.mode != Campaign.Mode.PROBABILITY:
        raise ValidationError(_("Only a probability-sample campaign draws a sample."))
    if campaign.draws.exists():
        raise ValidationError(_("This campaign's sample has already been drawn."))
    sizes = stratum_sizes(campaign)
    errors = []
    for code, n in sample_sizes.items():
        if code not in sizes:
            errors.append(_("Zone %(code)s is not one of this campaign's zones.") % {"code": code})
        elif n < 0 or n > sizes[code]:
            errors.append(
                _("Zone %(code)s: cannot invite %(n)s out of %(size)s.") % {"code": code, "n": n, "size": sizes[code]}
            )
    if not any(n > 0 for n in sample_sizes.values()):
        errors.append(_("Say how many people to invite in at least one zone."))
    if errors:
        raise ValidationError(errors)
    allocation = {
        code: {"population": sizes[code], "sample": int(n)} for code, n in sorted(sample_sizes.items()) if n > 0
    }
    from_frame = campaign.frame_units.exists()
    draw = SampleDraw.objects.create(campaign=campaign, seed=seed, allocation=allocation, from_frame=from_frame)
    zones = {z.code: z for z in Zone.objects.filter(code__in=allocation)}
    rng = np.random.Generator(np.random.PCG64(seed))
    invitations = []
    for code, stratum in allocation.items():  # sorted by zone code: the order is part of the reproducibility
        probability = stratum["sample"] / stratum["population"]
        if from_frame:
            units = list(campaign.frame_units.filter(zone__code=code).order_by("external_id"))
            chosen = sorted(rng.choice(len(units), size=stratum["sample"], replace=False))
            invitations += [
                Invitation(
                    campaign=campaign, draw=draw, zone=zones[code], frame_unit=units[i],
                    inclusion_probability=probability, email=units[i].email, language=units[i].language,
                )
                for i in chosen
            ]  # fmt: skip
        else:
            invitations += [
                Invitation(campaign=campaign, draw=draw, zone=zones[code], inclusion_probability=probability)
                for _n in range(stratum["sample"])
            ]
    Invitation.objects.bulk_create(invitations, batch_size=2000)
    return draw


def invitation_url(invitation: Invitation) -> str:
    return absolute_url(reverse("surveys:answer", args=[invitation.campaign.code]) + f"?code={invitation.code}")


def invitations_letters(campaign: Campaign):
    """The rows of the CSV for printed letters: code, zone, address, language, link."""
    base = absolute_url(reverse("surveys:answer", args=[campaign.code]))
    rows = (
        campaign.invitations.select_related("zone", "frame_unit")
        .order_by("zone__code", "code")
        .values_list(
            "code", "zone__code", "zone__name", "frame_unit__external_id", "frame_unit__address", "language", "used_at"
        )
    )
    for code, zone_code, zone_name, external_id, address, language, used_at in rows.iterator(chunk_size=2000):
        yield [
            code,
            zone_code,
            zone_name,
            external_id or "",
            address or "",
            language,
            f"{base}?code={code}",
            used_at is not None,
        ]


LETTER_COLUMNS = ["code", "zone_code", "zone_name", "frame_id", "address", "language", "link", "answered"]


def _email_invitation(invitation: Invitation, template: str, kind: str) -> None:
    campaign = invitation.campaign
    with_language = invitation.language if invitation.language in ("it", "en") else "it"
    with translation.override(with_language):
        title = campaign.title
    queue_rendered(
        invitation.email,
        template,
        {
            "title": title,
            "code": invitation.code,
            "url": invitation_url(invitation),
            "closes_at": campaign.closes_at,
            "opt_out_url": invitation_opt_out_url(invitation),
        },
        with_language,
        kind=kind,
        reference=f"{campaign.code}:{invitation.code}",
    )


@transaction.atomic
def invitations_email(*, campaign: Campaign) -> int:
    """Queue the invitation e-mail (outbox, Celery after commit) to every invitee with an address not yet
    written to; the number queued. Safe to run twice: an invitation is e-mailed once."""
    pending = list(
        campaign.invitations.select_for_update(skip_locked=True)
        .select_related("campaign")
        .filter(emailed_at__isnull=True, used_at__isnull=True)
        .exclude(email="")
    )
    now = timezone.now()
    for invitation in pending:
        _email_invitation(invitation, "surveys/email/invitation", "survey.invitation")
        invitation.emailed_at = now
    Invitation.objects.bulk_update(pending, ["emailed_at"])
    return len(pending)


@transaction.atomic
def invitations_remind(*, campaign: Campaign, now: dt.datetime | None = None) -> int:
    """Queue a reminder (outbox, in the invitee's language) to invitees who were e-mailed, have not answered
    nor opted out, were last written to at least SURVEYS_REMINDER_AFTER_DAYS ago and have had fewer than
    SURVEYS_REMINDERS_MAX reminders; the number queued. Nothing while the campaign is not open: a reminder
    to a closed survey would only disappoint. Safe to run twice: the rows are locked and counted."""
    now = now or timezone.now()
    if campaign.mode != Campaign.Mode.PROBABILITY or not campaign.is_open_at(now):
        return 0
    most, after_days = reminder_rules()
    due_before = now - dt.timedelta(days=after_days)
    pending = [
        invitation
        for invitation in campaign.invitations.select_for_update(skip_locked=True)
        .select_related("campaign")
        .to_remind()
        .filter(emailed_at__lte=due_before, reminders_sent__lt=most)
        if invitation.last_reminded_at is None or invitation.last_reminded_at <= due_before
    ]
    for invitation in pending:
        _email_invitation(invitation, "surveys/email/reminder", "survey.reminder")
        invitation.reminders_sent += 1
        invitation.last_reminded_at = now
    Invitation.objects.bulk_update(pending, ["reminders_sent", "last_reminded_at"])
    return len(pending)


def reminders_send_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The beat's daily sweep: ``invitations_remind`` for every probability campaign open now; {code: queued}."""
    now = now or timezone.now()
    campaigns = Campaign.objects.filter(mode=Campaign.Mode.PROBABILITY, opens_at__lte=now).exclude(closes_at__lte=now)
    return {campaign.code: invitations_remind(campaign=campaign, now=now) for campaign in campaigns.order_by("code")}


def invitation_opt_out(*, campaign: Campaign, code: str) -> Invitation:
    """The invitee asks not to be written to again: no reminder after this (the answer stays possible).

    Idempotent: a second request keeps the first time. Unknown code: ValidationError with CODE_UNKNOWN."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(campaign=campaign, code=normalise_code(code)).first()
        if invitation is None:
            raise ValidationError(CODE_UNKNOWN, code="unknown")
        if invitation.opted_out_at is None:
            invitation.opted_out_at = timezone.now()
            invitation.save(update_fields=["opted_out_at"])
    return invitation


def invitation_opt_out_url(invitation: Invitation) -> str:
    return absolute_url(reverse("surveys:opt-out", args=[invitation.campaign.code]) + f"?code={invitation.code}")


def invitee_contacts_erase(*, older_than_days: int | None = None, now: dt.datetime | None = None) -> int:
    """Erase the e-mail and postal addresses of invitees (invitations and sampling frame) of campaigns closed
    more than the retention period ago, in two set-based UPDATEs. What the weights and the response rates need
    stays: the zone, the inclusion probability, whether and when the invitee answered. Returns how many
    invitations and frame units lost an address."""
    days = settings.SURVEYS_CONTACT_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    closed = Campaign.objects.filter(closes_at__isnull=False, closes_at__lt=cutoff).values("pk")
    with transaction.atomic():
        invitations = Invitation.objects.filter(campaign__in=closed).exclude(email="").update(email="")
        units = FrameUnit.objects.filter(campaign__in=closed).exclude(email="", address="").update(email="", address="")
    return invitations + units
