"""Writes of the applicants' area: ``<entity>_<action>`` functions, each one transaction, refusing bad input
with a ``ValidationError`` in the user's language before anything is written.

Submitting goes through ``grants.services.application_submit`` (the money rules and the application row
live there); this module adds what an online application needs around it: the deadline to the minute in
the city's time zone, the call's limits on the budget plan, the declared documents, the protocol number
(per year, no gaps: the counter is incremented in the submitting transaction) and the notices.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.gis.geos import GeometryCollection, Point
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from city.models import OutboundEmail
from city.outbox import absolute_url, queue_rendered
from grants import services as grants_services
from grants.models import Application, ApplicationEvent, Call, Organisation

from .models import (
    ApplicantAccount,
    ApplicationDraft,
    AttachmentType,
    CallOnline,
    Declaration,
    DraftAttachment,
    DraftBudgetLine,
    DraftDeclaration,
    DraftSite,
    DraftTeamMember,
)

VERIFY_SALT = "grants.applicants.verify-email"
VERIFY_MAX_AGE = 3 * 24 * 3600
MAX_BUDGET_LINES = 40
MAX_SITES = 20
MAX_TEAM = 30
CENT = Decimal("0.01")

# --- codici fiscali and partite IVA -----------------------------------------------------------------

_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14,
         16, 10, 22, 25, 24, 23],
        strict=True,
    )
)  # fmt: skip
PERSON_CODE = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPR-T][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")


def person_tax_code_parse(value: str) -> str:
    """A natural person's codice fiscale (16 characters) with its check character (DM 23/12/1976)."""
    code = re.sub(r"\s+", "", str(value or "")).upper()
    if not PERSON_CODE.fullmatch(code):
        raise ValidationError(_("A natural person's tax code has 16 letters and digits (e.g. RSSMRA80A01L219X)."))
    total = 0
    for index, char in enumerate(code[:15]):
        if index % 2 == 0:  # odd positions, counting from one
            total += _ODD[char]
        else:
            total += int(char) if char.isdigit() else ord(char) - ord("A")
    if chr(ord("A") + total % 26) != code[15]:
        raise ValidationError(_("The tax code %(code)s is not valid: its check digit does not match.") % {"code": code})
    return code


def organisation_tax_code_parse(value: str) -> str:
    """An organisation's codice fiscale or partita IVA: 11 digits, the last one a check digit."""
    return grants_services.tax_code_parse(value, natural_person=False)


def amount_parse(value, *, field: str) -> Decimal:
    """An amount in EUR of a budget line: zero or more, with cents at most."""
    text = str(value if value is not None else "").strip().replace(" ", "").replace("€", "")
    if text in ("", "0", "0.00", "0,00"):
        return Decimal("0.00")
    if "," in text and "." in text:  # 1.250,50 (Italian) or 1,250.50 (English): the last mark is the decimal one
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    else:
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationError(_("%(field)s must be an amount in euros, such as 1250.00.") % {"field": field}) from None
    if not amount.is_finite():
        raise ValidationError(_("%(field)s must be an amount in euros, such as 1250.00.") % {"field": field})
    if amount != amount.quantize(CENT):
        raise ValidationError(_("%(field)s cannot have fractions of a cent.") % {"field": field})
    if amount < 0:
        raise ValidationError(_("%(field)s must be positive.") % {"field": field})
    if amount >= Decimal("1e11"):
        raise ValidationError(_("%(field)s is too large.") % {"field": field})
    return amount.quantize(CENT)


# --- the deadline -----------------------------------------------------------------------------------


def online_rules(call: Call) -> CallOnline | None:
    try:
        return call.online
    except CallOnline.DoesNotExist:
        return None


def call_deadline(call: Call) -> dt.datetime | None:
    rules = online_rules(call)
    return rules.deadline if rules else None


def deadline_label(moment: dt.datetime) -> str:
    """The moment as people read it, never ambiguous: the date in words, the time and the city's time zone
    ('15 gennaio 2027, 12:00 CET (Europe/Rome)')."""
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'DATE_FORMAT')}, {local:%H:%M} {local.tzname()} ({settings.TIME_ZONE})"


def call_is_open(call: Call, now: dt.datetime | None = None) -> bool:
    """The call takes applications online now: published, opened, before its deadline."""
    now = now or timezone.now()
    deadline = call_deadline(call)
    return (
        deadline is not None
        and call.published_at is not None
        and call.opens_on <= timezone.localdate(now)
        and now < deadline
    )


def open_calls(now: dt.datetime | None = None) -> list[Call]:
    now = now or timezone.now()
    calls = Call.objects.filter(
        published_at__isnull=False, online__isnull=False, closes_on__gte=timezone.localdate(now)
    ).select_related("online")
    return [c for c in calls.order_by("closes_on", "id") if call_is_open(c, now)]


def _check_before_deadline(call: Call, now: dt.datetime) -> None:
    deadline = call_deadline(call)
    if deadline is None:
        raise ValidationError(_("This call does not take applications online."))
    if now >= deadline:
        raise ValidationError(
            _("The deadline of this call has passed (%(deadline)s): the application can no longer be changed.")
            % {"deadline": deadline_label(deadline)}
        )


# --- accounts ---------------------------------------------------------------------------------------


def _verification_link(user) -> str:
    token = signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFY_SALT)
    return absolute_url(reverse("applicants:verify", args=[token]))


def verification_email_queue(account: ApplicantAccount) -> None:
    queue_rendered(
        account.user.email,
        "grants/applicants/email/verify",
        {"name": account.full_name, "url": _verification_link(account.user), "days": VERIFY_MAX_AGE // 86400},
        account.language,
        kind="grants.applicant.verify",
        reference=f"applicant:{account.pk}",
    )


VERIFY_RESEND_INTERVAL = dt.timedelta(minutes=15)


def verification_email_resend(account: ApplicantAccount) -> tuple[dt.datetime, bool]:
    """A new confirmation link for an unverified account that tries to log in, at most one per
    ``VERIFY_RESEND_INTERVAL``: returns when the last link was queued and whether it was queued now.

    The last link is read from the outbox (the account's reference), under a lock on the account's row, so
    repeated or concurrent attempts to log in queue one e-mail, not one each."""
    with transaction.atomic():
        ApplicantAccount.objects.select_for_update().filter(pk=account.pk).first()
        last = (
            OutboundEmail.objects.filter(kind="grants.applicant.verify", reference=f"applicant:{account.pk}")
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        now = timezone.now()
        if last is not None and now - last < VERIFY_RESEND_INTERVAL:
            return last, False
        verification_email_queue(account)
    return now, True


def account_register(*, email: str, full_name: str, password: str, language: str = "it") -> ApplicantAccount:
    """An applicant's account (username = e-mail, not usable until the e-mail is verified) and the link."""
    email = (email or "").strip().lower()
    full_name = (full_name or "").strip()
    validate_email(email)
    if not full_name:
        raise ValidationError(_("Write your name."))
    User = get_user_model()
    user = User(username=email, email=email, first_name=full_name[:150])
    password_validation.validate_password(password, user)
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with transaction.atomic():
        if User.objects.filter(username__iexact=email).exists():
            raise ValidationError(_("An account with this e-mail already exists: log in instead."))
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # the same e-mail registered at the same moment
            raise ValidationError(_("An account with this e-mail already exists: log in instead.")) from None
        account = ApplicantAccount.objects.create(user=user, full_name=full_name, language=language)
        verification_email_queue(account)
    return account


def account_verify(token: str) -> ApplicantAccount:
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError(_("The link has expired: log in and we will send you a new one.")) from None
    except signing.BadSignature:
        raise ValidationError(_("The link is not valid: check that you copied it whole.")) from None
    account = (
        ApplicantAccount.objects.select_related("user")
        .filter(user_id=data.get("u"), user__email=data.get("e"), user__is_active=True)
        .first()
    )
    if account is None:
        raise ValidationError(_("The link is not valid: check that you copied it whole."))
    if account.verified_at is None:
        account.verified_at = timezone.now()
        account.save(update_fields=["verified_at"])
    return account


# --- sites, team and self-declarations ---------------------------------------------------------------

# Where Torino's calls start (the office edits them per call in the admin): the declarations a legal
# representative makes in lieu of certificates (DPR 445/2000 artt. 46-47), each in Italian and English.
DEFAULT_DECLARATIONS = [
    (
        "di essere consapevole delle sanzioni penali previste dall'art. 76 del DPR 445/2000 per le dichiarazioni "
        "false e della decadenza dai benefici ottenuti prevista dall'art. 75, e che le informazioni contenute "
        "nella domanda e nei documenti allegati sono vere",
        "that I am aware of the criminal penalties for false declarations (DPR 445/2000 art. 76) and of the loss "
        "of any benefit obtained (art. 75), and that what the application and its documents say is true",
    ),
    (
        "che l'ente non si trova in stato di fallimento, liquidazione, concordato preventivo o altra procedura "
        "concorsuale, né ha in corso un procedimento per la dichiarazione di una di tali situazioni",
        "that the organisation is not bankrupt, in liquidation, in composition with creditors or any other "
        "insolvency procedure, nor is such a procedure pending against it",
    ),
    (
        "che l'ente è in regola con il versamento dei contributi previdenziali e assicurativi (DURC) oppure, non "
        "avendo dipendenti, non è tenuto all'iscrizione a INPS e INAIL",
        "that the organisation is up to date with its social-security and insurance contributions (DURC) or, "
        "having no employees, is not required to register with INPS and INAIL",
    ),
    (
        "che nei confronti del legale rappresentante e degli amministratori non sussistono le cause di decadenza, "
        "sospensione o divieto dell'art. 67 del D.lgs. 159/2011 (antimafia), né condanne che comportano "
        "l'incapacità di contrattare con la pubblica amministrazione",
        "that no ground of disqualification, suspension or prohibition under art. 67 of D.lgs. 159/2011 "
        "(anti-mafia) applies to the legal representative or the directors, nor any conviction barring them "
        "from contracting with the public administration",
    ),
    (
        "che per le stesse spese del progetto l'ente non ha ottenuto né chiesto altri contributi pubblici, oppure "
        "che li ha indicati nel piano finanziario",
        "that the organisation has neither received nor asked for other public funding for the same expenses, or "
        "has shown it in the budget plan",
    ),
    (
        "di aver letto l'informativa sul trattamento dei dati personali (art. 13 del Regolamento UE 2016/679) e "
        "di averla portata a conoscenza delle persone del gruppo di lavoro indicate nella domanda",
        "that I have read the privacy notice (art. 13 of Regulation (EU) 2016/679) and have given it to the people "
        "of the team named in the application",
    ),
]


def declarations_default_create(call: Call) -> int:
    """The standard self-declarations for a call that has none yet (the office edits them in the admin)."""
    if Declaration.objects.filter(call=call).exists():
        return 0
    Declaration.objects.bulk_create(
        Declaration(call=call, position=index, text_it=it, text_en=en, required=True)
        for index, (it, en) in enumerate(DEFAULT_DECLARATIONS, start=1)
    )
    return len(DEFAULT_DECLARATIONS)


def _zone_covering(point: Point):
    from city.models import Zone

    return Zone.objects.covering(point).first()


def site_locate(*, name: str, address: str = "", lat=None, lon=None) -> tuple[str, str, Point, object]:
    """Where a site is: the point pinned on the map (or typed), else the place its address names in the
    city's registers (``reports.services.address_match``: the door, or the street). It must lie in a zone of
    the city. Returns (name, address, point, zone); a ``ValidationError`` says what to do otherwise."""
    from reports.services import address_match

    name = (name or "").strip()
    address = (address or "").strip()
    if not name:
        raise ValidationError(_("Give the site a name (for example: Giardino Alimonda, Casa del quartiere)."))
    if len(name) > 200 or len(address) > 255:
        raise ValidationError(_("A site's name has at most 200 characters and its address at most 255."))
    if "\x00" in name + address:
        raise ValidationError(_("The site's name or address holds a character that cannot be stored."))
    typed = [str(v).strip() for v in (lat, lon) if v is not None and str(v).strip()]
    if len(typed) == 1:
        raise ValidationError(_("Write both the latitude and the longitude of the site, or neither."))
    if typed:
        try:
            latitude, longitude = (float(str(v).replace(",", ".")) for v in (lat, lon))
        except ValueError:
            raise ValidationError(_("The latitude and longitude must be numbers, such as 45.07 and 7.68.")) from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValidationError(_("The latitude and longitude must be numbers, such as 45.07 and 7.68."))
        point = Point(round(longitude, 6), round(latitude, 6), srid=4326)
    elif address:
        match = address_match(address)
        if match is None:
            raise ValidationError(
                _("The address '%(address)s' was not found among the city's streets: place the site on the map.")
                % {"address": address}
            )
        point = Point(match.point.x, match.point.y, srid=4326)
    else:
        raise ValidationError(_("Place the site on the map, or write its address."))
    zone = _zone_covering(point)
    if zone is None:
        raise ValidationError(
            _("The site '%(name)s' is outside the city: place it within the city's zones.") % {"name": name}
        )
    return name, address, point, zone


def team_member_parse(
    *, full_name: str, role: str, organisation: str = "", hours=""
) -> tuple[str, str, str, int | None]:
    """One person of the team, as typed: a name and a role are needed, the hours are a whole number."""
    full_name, role, organisation = ((v or "").strip() for v in (full_name, role, organisation))
    errors = []
    if not full_name:
        errors.append(_("Write the person's name."))
    if not role:
        errors.append(_("Write the person's role in the project (for example: coordinator, educator)."))
    if len(full_name) > 200 or len(role) > 200 or len(organisation) > 200:
        errors.append(_("A name, a role and an organisation have at most 200 characters each."))
    if "\x00" in full_name + role + organisation:
        errors.append(_("The text holds a character that cannot be stored."))
    text = str(hours if hours is not None else "").strip()
    value = None
    if text:
        if not text.isdigit() or len(text) > 6:
            errors.append(_("The hours are a whole number, such as 120."))
        else:
            value = int(text)
    if errors:
        raise ValidationError(errors)
    return full_name, role, organisation, value


# --- drafts -----------------------------------------------------------------------------------------

DRAFT_FIELDS = (
    "org_name", "org_legal_form", "org_tax_code", "org_vat_number", "org_address", "legal_rep_name",
    "legal_rep_tax_code", "contact_phone", "title", "summary", "start_on", "end_on", "night_service",
)  # fmt: skip


def draft_start(*, owner, call: Call, now: dt.datetime | None = None) -> ApplicationDraft:
    """The owner's draft for ``call``: the one already started, or a new one while the call is open."""
    now = now or timezone.now()
    existing = ApplicationDraft.objects.of(owner).filter(call=call, status=ApplicationDraft.Status.DRAFT).first()
    if existing:
        return existing
    if not call_is_open(call, now):
        raise ValidationError(_("This call is not open for applications."))
    account = owner.applicant_account
    return ApplicationDraft.objects.create(owner=owner, call=call, language=account.language)


def _lock_editable(draft: ApplicationDraft, now: dt.datetime) -> ApplicationDraft:
    draft = ApplicationDraft.objects.select_for_update(of=("self",)).select_related("call__online").get(pk=draft.pk)
    if draft.status != ApplicationDraft.Status.DRAFT:
        raise ValidationError(_("This application was already submitted: it can no longer be changed."))
    _check_before_deadline(draft.call, now)
    return draft


def attachment_accept(kind: AttachmentType, file: UploadedFile) -> None:
    """A document within its type's size and a PDF by its content (``grants.services.attachment_check``)."""
    if file.size is not None and file.size > kind.max_mb * 2**20:
        raise ValidationError(
            _("'%(name)s' is too large (%(size)d MB); the limit for %(kind)s is %(limit)d MB.")
            % {"name": file.name, "size": -(-file.size // 2**20), "kind": kind.name, "limit": kind.max_mb}
        )
    try:
        grants_services.attachment_check(file)
    except ValidationError as error:
        raise ValidationError(f"{kind.name}: {' '.join(error.messages)}") from None


def draft_save(
    *,
    draft: ApplicationDraft,
    data: dict,
    zones=None,
    lines: list[tuple[str, Decimal, Decimal]] | None = None,
    uploads: dict[int, UploadedFile] | None = None,
    sites: list[dict] | None = None,
    team: list[dict] | None = None,
    declared: set[int] | None = None,
    now: dt.datetime | None = None,
) -> ApplicationDraft:
    """Save what the applicant wrote (cleaned by the form), before the deadline only, in one transaction.

    ``sites`` are dicts for ``site_locate`` (name, address, lat, lon), ``team`` dicts for ``team_member_parse``;
    both are checked again here, and replace what the draft held. ``declared`` holds the ids of the call's
    self-declarations ticked: the others are taken back."""
    now = now or timezone.now()
    uploads = uploads or {}
    if sites is not None and len(sites) > MAX_SITES:
        raise ValidationError(_("An application has at most %(count)d sites.") % {"count": MAX_SITES})
    if team is not None and len(team) > MAX_TEAM:
        raise ValidationError(_("A team has at most %(count)d people.") % {"count": MAX_TEAM})
    located = [site_locate(**site) for site in sites] if sites is not None else None
    members = [team_member_parse(**member) for member in team] if team is not None else None
    declarations = {d.pk: d for d in Declaration.objects.filter(call_id=draft.call_id)}
    if declared is not None and set(declared) - set(declarations):
        raise ValidationError(_("This call does not ask for that declaration."))
    kinds = {k.pk: k for k in AttachmentType.objects.filter(call_id=draft.call_id)}
    for kind_id, file in uploads.items():
        if kind_id not in kinds:
            raise ValidationError(_("This call does not ask for that document."))
        attachment_accept(kinds[kind_id], file)
    if lines is not None and len(lines) > MAX_BUDGET_LINES:
        raise ValidationError(_("A budget plan has at most %(count)d lines.") % {"count": MAX_BUDGET_LINES})
    with transaction.atomic():
        locked = _lock_editable(draft, now)
        for name in DRAFT_FIELDS:
            if name in data:
                setattr(locked, name, data[name])
        locked.save()
        if zones is not None:
            locked.zones.set(zones)
        if lines is not None:
            locked.budget_lines.all().delete()
            DraftBudgetLine.objects.bulk_create(
                DraftBudgetLine(draft=locked, description=d, requested=r, co_financing=c) for d, r, c in lines
            )
        if located is not None:
            locked.sites.all().delete()
            DraftSite.objects.bulk_create(
                DraftSite(draft=locked, name=n, address=a, point=p, zone=z) for n, a, p, z in located
            )
            if located:  # a site's zone is one of the project's zones
                locked.zones.add(*{z.pk for _n, _a, _p, z in located})
        if members is not None:
            locked.team.all().delete()
            DraftTeamMember.objects.bulk_create(
                DraftTeamMember(draft=locked, full_name=n, role=r, organisation=o, hours=h) for n, r, o, h in members
            )
        if declared is not None:
            _declarations_record(locked, declarations, set(declared), now)
        for kind_id, file in uploads.items():
            DraftAttachment.objects.filter(draft=locked, kind_id=kind_id).delete()
            digest = hashlib.sha256()
            for chunk in file.chunks():
                digest.update(chunk)
            file.seek(0)
            name = re.sub(r"[^A-Za-z0-9._-]+", "_", file.name or "document.pdf")[-120:]
            DraftAttachment.objects.create(
                draft=locked, kind=kinds[kind_id], file=File(file, name=name), original_name=(file.name or name)[:255],
                size=file.size, sha256=digest.hexdigest(),
            )  # fmt: skip
    return locked


def _declarations_record(draft: ApplicationDraft, declarations: dict, declared: set[int], now: dt.datetime) -> None:
    """Keep the declarations still ticked as they were made (their words and time), add the new ones in the
    applicant's language, take back the others."""
    DraftDeclaration.objects.filter(draft=draft).exclude(declaration_id__in=declared).delete()
    kept = set(DraftDeclaration.objects.filter(draft=draft).values_list("declaration_id", flat=True))
    language = draft.owner.applicant_account.language
    words = {pk: grants_services.in_language_of(d.text_it, d.text_en, language) for pk, d in declarations.items()}
    DraftDeclaration.objects.bulk_create(
        DraftDeclaration(draft=draft, declaration_id=pk, text=words[pk], declared_at=now)
        for pk in sorted(declared - kept)
    )


def draft_problems(draft: ApplicationDraft) -> list[str]:
    """Everything that keeps the draft from being submitted, in the user's language (empty: ready)."""
    problems = []
    labels = {
        "org_name": _("the organisation's name"),
        "org_legal_form": _("the legal form"),
        "org_tax_code": _("the organisation's codice fiscale"),
        "org_address": _("the registered address"),
        "legal_rep_name": _("the legal representative"),
        "legal_rep_tax_code": _("the legal representative's codice fiscale"),
        "title": _("the project title"),
        "summary": _("the summary"),
        "start_on": _("the start date"),
        "end_on": _("the end date"),
    }
    missing = [label for name, label in labels.items() if not getattr(draft, name)]
    if missing:
        problems.append(_("Fill in %(fields)s.") % {"fields": ", ".join(missing)})
    for name, parse in (
        ("org_tax_code", organisation_tax_code_parse),
        ("org_vat_number", organisation_tax_code_parse),
        ("legal_rep_tax_code", person_tax_code_parse),
    ):
        if getattr(draft, name):
            try:
                parse(getattr(draft, name))
            except ValidationError as error:
                problems.extend(error.messages)
    if draft.start_on and draft.end_on and draft.end_on < draft.start_on:
        problems.append(_("The end date cannot be before the start date."))
    if not draft.zones.exists():
        problems.append(_("Place at least one site on the map, or choose a zone where the project takes place."))
    if not draft.team.exists():
        problems.append(_("Name at least one person of the team, with their role."))
    made = set(draft.declarations.values_list("declaration_id", flat=True))
    missing_declarations = Declaration.objects.filter(call_id=draft.call_id, required=True).exclude(pk__in=made)
    if missing_declarations.exists():
        problems.append(
            _("The legal representative must make every required self-declaration (%(count)d still to tick).")
            % {"count": missing_declarations.count()}
        )
    lines = list(draft.budget_lines.all())
    requested = sum((line.requested for line in lines), Decimal("0.00"))
    co_financing = sum((line.co_financing for line in lines), Decimal("0.00"))
    total = requested + co_financing
    rules = online_rules(draft.call)
    if not lines or requested <= 0:
        problems.append(_("The budget plan needs at least one expense item with an amount requested."))
    elif requested > draft.call.budget:
        problems.append(_("The requested amount exceeds the call's whole budget."))
    if rules and rules.max_requested is not None and requested > rules.max_requested:
        problems.append(
            _("The amount requested (%(requested)s EUR) is over the call's maximum of %(maximum)s EUR per application.")
            % {"requested": requested, "maximum": rules.max_requested}
        )
    if rules and rules.min_cofinancing_percent and total > 0:
        share = co_financing * 100 / total
        if share < rules.min_cofinancing_percent:
            problems.append(
                _(
                    "Co-financing is %(share)s%% of the total cost (%(total)s EUR); the call asks for at least "
                    "%(minimum)s%%."
                )
                % {"share": share.quantize(CENT), "total": total, "minimum": rules.min_cofinancing_percent}
            )
    present = set(draft.attachments.values_list("kind_id", flat=True))
    for kind in AttachmentType.objects.filter(call_id=draft.call_id, required=True):
        if kind.pk not in present:
            problems.append(_("Attach the required document: %(name)s.") % {"name": kind.name})
    return problems


def protocol_next(year: int) -> str:
    """The next protocol number of ``year`` ("2026/000123"), taken in the caller's transaction: the upsert
    locks the year's row until commit, so concurrent submissions queue and a rollback gives the number back."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO grants_protocolcounter (year, last) VALUES (%s, 1)
            ON CONFLICT (year) DO UPDATE SET last = grants_protocolcounter.last + 1
            RETURNING last
            """,
            [year],
        )
        number = cursor.fetchone()[0]
    return f"{year}/{number:06d}"


def _organisation_for(draft: ApplicationDraft, email: str) -> Organisation:
    code = organisation_tax_code_parse(draft.org_tax_code)
    existing = Organisation.objects.filter(tax_code=code).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return grants_services.organisation_register(
                name=draft.org_name, tax_code=code, email=email, language=draft.language
            )
    except (IntegrityError, ValidationError):  # registered by someone else at the same moment
        return Organisation.objects.get(tax_code=code)


def draft_sites(draft: ApplicationDraft) -> GeometryCollection:
    """The application's sites: the points placed on the map, and a point inside each zone chosen without a
    site in it (``ST_PointOnSurface``), so every zone of the application is on the map."""
    placed = list(draft.sites.all())
    points = [Point(site.point.x, site.point.y, srid=4326) for site in placed]
    with_site = {site.zone_id for site in placed}
    for zone in draft.zones.exclude(pk__in=with_site):
        point = zone.geom.point_on_surface
        point.srid = 4326
        points.append(point)
    return GeometryCollection(*points, srid=4326)


def draft_submit(*, draft: ApplicationDraft, now: dt.datetime | None = None) -> ApplicationDraft:
    """Submit before the deadline: the application (``grants.services.application_submit``, with its
    documents), the protocol number and the receipt e-mail, in one transaction."""
    now = now or timezone.now()
    opened: list = []
    try:
        with transaction.atomic():
            locked = _lock_editable(draft, now)
            problems = draft_problems(locked)
            if problems:
                raise ValidationError(problems)
            owner = locked.owner
            account = owner.applicant_account
            # The application's rows point to the draft's stored files (one copy of each document, shared).
            stored = []
            for attachment in locked.attachments.select_related("kind"):
                opened.append(attachment.file.open("rb"))
                stored.append((attachment.file, attachment.original_name))
            application = grants_services.application_submit(
                call=locked.call,
                organisation=locked.org_name,
                contact_name=account.full_name,
                contact_email=owner.email,
                contact_phone=locked.contact_phone,
                title=locked.title,
                summary=locked.summary,
                requested_amount=locked.requested_total,
                co_financing=locked.co_financing_total,
                sites=draft_sites(locked),
                night_service=locked.night_service,
                submitted_on=timezone.localdate(now),
                stored_attachments=stored,
                actor=owner,
                applicant=_organisation_for(locked, owner.email),
            )
            locked.protocol_number = protocol_next(timezone.localtime(now).year)
            locked.application = application
            locked.status = ApplicationDraft.Status.SUBMITTED
            locked.submitted_at = now
            locked.language = account.language
            locked.save()
            ApplicationEvent.objects.filter(application=application).update(
                note=_("Submitted online, protocol %(number)s") % {"number": locked.protocol_number}
            )
            _receipt_email_queue(locked)
    finally:
        for handle in opened:
            handle.close()
    return locked


def application_withdraw(*, draft: ApplicationDraft, now: dt.datetime | None = None) -> ApplicationDraft:
    """The applicant withdraws a submitted application, before the deadline only (recorded in its events)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            ApplicationDraft.objects.select_for_update(of=("self",)).select_related("call__online").get(pk=draft.pk)
        )
        if locked.status != ApplicationDraft.Status.SUBMITTED:
            raise ValidationError(_("Only a submitted application can be withdrawn."))
        _check_before_deadline(locked.call, now)
        application = Application.objects.select_for_update().get(pk=locked.application_id)
        if application.status != Application.Status.SUBMITTED:
            raise ValidationError(_("The office has already examined this application: it can no longer be withdrawn."))
        application.status = Application.Status.WITHDRAWN
        application.save(update_fields=["status"])
        with translation.override(locked.language):
            note = _("Withdrawn by the applicant (protocol %(number)s)") % {"number": locked.protocol_number}
        ApplicationEvent.objects.create(
            application=application, actor=locked.owner, from_status=Application.Status.SUBMITTED,
            to_status=Application.Status.WITHDRAWN, note=note,
        )  # fmt: skip
        locked.status = ApplicationDraft.Status.WITHDRAWN
        locked.withdrawn_at = now
        locked.save(update_fields=["status", "withdrawn_at", "updated_at"])
    return locked


# --- notices ----------------------------------------------------------------------------------------


def _call_title(call: Call, language: str) -> str:
    return grants_services.in_language_of(call.title_it, call.title_en, language)


def _receipt_email_queue(draft: ApplicationDraft) -> None:
    with translation.override(draft.language):
        submitted = deadline_label(draft.submitted_at)
    queue_rendered(
        draft.owner.email,
        "grants/applicants/email/receipt",
        {
            "name": draft.owner.applicant_account.full_name,
            "protocol": draft.protocol_number,
            "submitted": submitted,
            "call_title": _call_title(draft.call, draft.language),
            "title": draft.title,
            "organisation": draft.org_name,
            "receipt_url": absolute_url(reverse("applicants:receipt", args=[draft.pk])),
            "url": absolute_url(reverse("applicants:draft", args=[draft.pk])),
        },
        draft.language,
        kind="grants.receipt",
        reference=f"draft:{draft.pk}:receipt",
    )


NOTIFIED_STATUSES = (
    Application.Status.ELIGIBLE,
    Application.Status.INELIGIBLE,
    Application.Status.RANKED,
    Application.Status.FUNDED,
)


def status_notice_queue(event: ApplicationEvent) -> bool:
    """Tell the online applicant of a step the office took, in its language, once per status."""
    if event.to_status not in NOTIFIED_STATUSES:
        return False
    draft = (
        ApplicationDraft.objects.filter(application_id=event.application_id)
        .select_related("owner__applicant_account", "call", "application")
        .first()
    )
    if draft is None:
        return False
    language = draft.language
    with translation.override(language):
        status = str(Application.Status(event.to_status).label)
    application = draft.application
    from city.models import OutboundEmail

    reference = f"application:{application.pk}:{event.to_status}"
    if OutboundEmail.objects.filter(reference=reference).exists():
        return False
    queue_rendered(
        draft.owner.email,
        "grants/applicants/email/status",
        {
            "name": draft.owner.applicant_account.full_name,
            "protocol": draft.protocol_number,
            "call_title": _call_title(draft.call, language),
            "title": draft.title,
            "status": status,
            "to_status": event.to_status,
            "reason": event.note if event.to_status == Application.Status.INELIGIBLE else "",
            "rank": application.rank if event.to_status == Application.Status.RANKED else None,
            "url": absolute_url(reverse("applicants:draft", args=[draft.pk])),
        },
        language,
        kind=f"grants.status.{event.to_status}",
        reference=reference,
    )
    return True


def reminder_days() -> int:
    return int(getattr(settings, "GRANTS_DRAFT_REMINDER_DAYS", 3))


def draft_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind the owners of drafts not yet submitted whose call closes within ``reminder_days()``, once each:
    the draft is claimed by a conditional update in the same transaction as its e-mail, so two runs (or two
    workers) never send it twice."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(days=reminder_days())
    today = timezone.localdate(now)
    candidates = ApplicationDraft.objects.filter(
        status=ApplicationDraft.Status.DRAFT,
        reminder_sent_at__isnull=True,
        call__online__isnull=False,
        call__closes_on__gte=today,
        call__closes_on__lte=timezone.localdate(horizon),
    ).select_related("call__online", "owner__applicant_account")
    sent = 0
    for draft in candidates:
        deadline = draft.call.online.deadline
        if not (now < deadline <= horizon):
            continue
        with transaction.atomic():
            claimed = ApplicationDraft.objects.filter(
                pk=draft.pk, status=ApplicationDraft.Status.DRAFT, reminder_sent_at__isnull=True
            ).update(reminder_sent_at=now)
            if not claimed:
                continue
            language = draft.owner.applicant_account.language
            with translation.override(language):
                label = deadline_label(deadline)
            queue_rendered(
                draft.owner.email,
                "grants/applicants/email/reminder",
                {
                    "name": draft.owner.applicant_account.full_name,
                    "call_title": _call_title(draft.call, language),
                    "title": draft.title,
                    "deadline": label,
                    "url": absolute_url(reverse("applicants:draft", args=[draft.pk])),
                },
                language,
                kind="grants.reminder",
                reference=f"draft:{draft.pk}:reminder",
            )
            sent += 1
    return sent
