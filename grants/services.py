"""Writes of the grants app: keyword-only ``<entity>_<action>`` functions, each one transaction.

Every refusal is a ``ValidationError`` with a message in the user's language, raised before anything
is written (or inside the transaction, which then rolls back), so nothing is ever half-written.
The money invariants are checked under a row lock (``SELECT ... FOR UPDATE`` on the call or the
project), so concurrent awards, disbursements and withdrawals queue on that row and each sees the
others' sums; triggers in the database (migrations 0002 and 0005) refuse the same violations if some
other path tries. A project commits its grant minus what it released: withdrawing it releases the
part not paid, as a new entry (``GrantRelease``), so the call can fund someone else with it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.gis.geos import GeometryCollection, GEOSException, GEOSGeometry
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from city.outbox import absolute_url, queue_rendered
from interventions import services as interventions_services

from .models import (
    CUP_PATTERN,
    ZERO,
    Application,
    ApplicationAttachment,
    ApplicationEvent,
    Call,
    CommissionMember,
    Criterion,
    Disbursement,
    ExpenseClaim,
    ExpenseItem,
    GrantRelease,
    Milestone,
    Organisation,
    ProgressReport,
    Project,
    ReportingEvent,
    Review,
    Score,
    Tranche,
)

MAX_GEOJSON_CHARS = 500_000
MAX_SITE_PARTS = 200
PDF_MAGIC = b"%PDF-"
CENT = Decimal("0.01")


# --- parsing and checks shared by the services and the admin forms ---------------------------------


def money_parse(value, *, field: str, allow_negative: bool = False) -> Decimal:
    """An amount in EUR as a Decimal with cents; refuses text, NaN, infinities, fractions of a cent, zero.

    Negative amounts only where ``allow_negative`` (corrections of disbursements).
    """
    if isinstance(value, float):
        value = repr(value)  # never trust binary floats with money; parse their shortest decimal form
    try:
        amount = Decimal(str(value).strip().replace(" ", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("%(field)s must be an amount in euros, such as 1250.00.") % {"field": field}) from None
    if not amount.is_finite():
        raise ValidationError(_("%(field)s must be an amount in euros, such as 1250.00.") % {"field": field})
    if amount != amount.quantize(CENT):
        raise ValidationError(_("%(field)s cannot have fractions of a cent.") % {"field": field})
    if amount == 0:
        raise ValidationError(_("%(field)s cannot be zero.") % {"field": field})
    if amount < 0 and not allow_negative:
        raise ValidationError(_("%(field)s must be positive.") % {"field": field})
    if abs(amount) >= Decimal("1e12"):
        raise ValidationError(_("%(field)s is too large.") % {"field": field})
    return amount.quantize(CENT)


def sites_from_geojson(text: str) -> GeometryCollection:
    """Parse GeoJSON (a geometry, a Feature or a FeatureCollection, WGS84) into one GeometryCollection."""
    if len(text) > MAX_GEOJSON_CHARS:
        raise ValidationError(_("The GeoJSON is too large."))
    try:
        data = json.loads(text)
    except (ValueError, TypeError):
        raise ValidationError(_("The sites are not valid GeoJSON.")) from None
    geometries: list[dict] = []

    def collect(obj) -> None:
        if not isinstance(obj, dict):
            raise ValidationError(_("The sites are not valid GeoJSON."))
        kind = obj.get("type")
        if kind == "FeatureCollection":
            for feature in obj.get("features") or []:
                collect(feature)
        elif kind == "Feature":
            if obj.get("geometry"):
                collect(obj["geometry"])
        elif kind == "GeometryCollection":
            for geometry in obj.get("geometries") or []:
                collect(geometry)
        elif kind in {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}:
            geometries.append(obj)
        else:
            raise ValidationError(_("The sites are not valid GeoJSON."))

    collect(data)
    if not geometries:
        raise ValidationError(_("Draw or paste at least one site."))
    if len(geometries) > MAX_SITE_PARTS:
        raise ValidationError(_("Too many sites in one application."))
    parts = []
    for geometry in geometries:
        try:
            geos = GEOSGeometry(json.dumps(geometry), srid=4326)
        except (GEOSException, ValueError, TypeError):
            raise ValidationError(_("The sites are not valid GeoJSON.")) from None
        geos.srid = 4326
        if geos.empty or not geos.valid:
            raise ValidationError(_("A site's geometry is invalid (for instance a polygon crossing itself)."))
        xmin, ymin, xmax, ymax = geos.extent
        if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
            raise ValidationError(_("Coordinates must be longitude and latitude in WGS84 (EPSG:4326)."))
        parts.append(geos)
    return GeometryCollection(*parts, srid=4326)


def sites_check_in_city(sites: GEOSGeometry) -> None:
    """Refuse sites of which some part neither lies in nor touches any zone of the city."""
    if sites.srid != 4326:
        sites = sites.transform(4326, clone=True)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM ST_Dump(ST_GeomFromEWKB(%s)) d
            WHERE NOT EXISTS (SELECT 1 FROM observatory_zone z WHERE ST_Intersects(z.geom, d.geom))
            """,
            [bytes(sites.ewkb)],
        )
        outside = cursor.fetchone()[0]
    if outside:
        raise ValidationError(
            _("%(count)d of the sites lie outside the city: no zone of the observatory covers or touches them.")
            % {"count": outside}
        )


def attachment_check(file: UploadedFile) -> None:
    """A PDF by its first bytes (not its name or declared type), within the size limit."""
    limit = settings.GRANTS_ATTACHMENT_MAX_BYTES
    if file.size is not None and file.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)d MB); the limit is %(limit)d MB.")
            % {"size": -(-file.size // 2**20), "limit": limit // 2**20}
        )
    if file.size == 0:
        raise ValidationError(_("The file is empty."))
    file.seek(0)
    head = file.read(1024)
    file.seek(0)
    # The PDF specification allows up to 1 KB of junk before the header; real files start with it.
    if PDF_MAGIC not in head:
        raise ValidationError(_("Only PDF files are accepted: this file is not a PDF."))
    # A PDF ends with its end-of-file marker (ISO 32000-1, 7.5.5), after at most a little trailing junk:
    # a file without it is truncated or damaged, and would not open.
    file.seek(max(0, (file.size or 0) - 2048))
    tail = file.read()
    file.seek(0)
    if b"%%EOF" not in tail:
        raise ValidationError(_("The PDF is truncated or damaged (it has no end-of-file marker)."))


def _check_dates(first: dt.date, last: dt.date, *, first_label: str, last_label: str) -> None:
    if first is None or last is None:
        raise ValidationError(_("Both dates are required."))
    if last < first:
        raise ValidationError(_("%(last)s cannot be before %(first)s.") % {"last": last_label, "first": first_label})


# --- applications and their workflow ----------------------------------------------------------------


def _event(application: Application, *, from_status: str, to_status: str, actor=None, note: str = "") -> None:
    ApplicationEvent.objects.create(
        application=application, actor=actor, from_status=from_status, to_status=to_status, note=note
    )


def application_check(*, call: Call, requested_amount, co_financing, sites, submitted_on: dt.date) -> tuple:
    """The checks of ``application_submit`` without writing: returns the parsed amounts."""
    requested = money_parse(requested_amount, field=_("The requested amount"))
    co_financing = ZERO if co_financing in (None, "", 0, "0") else money_parse(co_financing, field=_("Co-financing"))
    if requested > call.budget:
        raise ValidationError(_("The requested amount exceeds the call's whole budget."))
    if not (call.opens_on <= submitted_on <= call.closes_on):
        raise ValidationError(
            _("The call accepts applications from %(opens)s to %(closes)s.")
            % {"opens": call.opens_on.isoformat(), "closes": call.closes_on.isoformat()}
        )
    sites_check_in_city(sites)
    return requested, co_financing


def application_submit(
    *,
    call: Call,
    organisation: str,
    contact_name: str,
    contact_email: str,
    title: str,
    summary: str,
    requested_amount,
    sites: GEOSGeometry,
    co_financing=ZERO,
    contact_phone: str = "",
    night_service: bool = False,
    submitted_on: dt.date | None = None,
    attachments: list[UploadedFile] = (),
    stored_attachments: list = (),
    actor=None,
    applicant: Organisation | None = None,
) -> Application:
    """Record an application with its documents: ``attachments`` are new uploads (stored for the application);
    ``stored_attachments`` are (open stored file, original name) pairs of files already in the storage (an online
    draft's documents), which the application's rows point to rather than copy: one stored file, two rows."""
    submitted_on = submitted_on or timezone.localdate()
    validate_email(contact_email)
    if not isinstance(sites, GeometryCollection):
        sites = GeometryCollection(sites, srid=sites.srid or 4326)
    requested, co_financing = application_check(
        call=call, requested_amount=requested_amount, co_financing=co_financing, sites=sites, submitted_on=submitted_on
    )
    for file in (*attachments, *(stored for stored, _original_name in stored_attachments)):
        attachment_check(file)
    with transaction.atomic():
        application = Application.objects.create(
            call=call,
            organisation=organisation,
            contact_name=contact_name,
            contact_email=contact_email,
            contact_phone=contact_phone,
            title=title,
            summary=summary,
            requested_amount=requested,
            co_financing=co_financing,
            sites=sites,
            night_service=night_service,
            submitted_on=submitted_on,
            applicant=applicant,
        )
        _event(application, from_status="", to_status=Application.Status.SUBMITTED, actor=actor)
        for file in attachments:
            application_attachment_add(application=application, file=file)
        for stored, original_name in stored_attachments:
            ApplicationAttachment.objects.create(
                application=application, file=stored.name, original_name=original_name[:255], size=stored.size
            )
    return application


def application_attachment_add(*, application: Application, file: UploadedFile) -> ApplicationAttachment:
    attachment_check(file)
    return ApplicationAttachment.objects.create(
        application=application, file=file, original_name=file.name[:255], size=file.size
    )


def application_transition(*, application: Application, to_status: str, actor=None, note: str = "") -> Application:
    """Move an application one step along the workflow, recording who and when.

    Funding happens only through ``project_award``; ranking through ``call_rank``; scoring needs a
    score for every criterion of the call.
    """
    original = application
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        from_status = application.status
        if to_status == Application.Status.FUNDED:
            raise ValidationError(_("An application is funded by awarding it a grant."))
        if not application.can_move_to(to_status):
            raise ValidationError(
                _("An application cannot move from '%(from)s' to '%(to)s'.")
                % {"from": Application.Status(from_status).label, "to": Application.Status(to_status).label}
            )
        if to_status == Application.Status.SCORED:
            application_scoring_complete_check(application)
        update_fields = ["status"]
        if to_status == Application.Status.INELIGIBLE:
            reason = (note or application.outcome_reason).strip()
            if not reason:
                raise ValidationError(_("Write the reason why the application is not eligible: the applicant sees it."))
            application.outcome_reason = reason
            note = reason
            update_fields.append("outcome_reason")
        application.status = to_status
        application.save(update_fields=update_fields)
        _event(application, from_status=from_status, to_status=to_status, actor=actor, note=note)
    original.status = to_status  # the caller's copy is current too
    return application


def application_scoring_complete_check(application: Application) -> None:
    """Every member of the call's commission who may score has scored every criterion (independent scores)."""
    criteria = list(Criterion.objects.filter(call_id=application.call_id))
    if not criteria:
        raise ValidationError(_("The call has no evaluation criteria yet."))
    members = list(
        CommissionMember.objects.filter(
            call_id=application.call_id, declared_at__isnull=False, has_conflict=False
        ).select_related("evaluator")
    )
    if not members:
        raise ValidationError(_("No member of the call's commission may score yet (declarations not signed)."))
    scored = set(Score.objects.filter(application=application).values_list("evaluator_id", "criterion_id"))
    missing = [
        f"{m.evaluator.get_username()}: {c.name}"
        for m in members
        for c in criteria
        if (m.evaluator_id, c.pk) not in scored
    ]
    if missing:
        raise ValidationError(_("Score every criterion first; missing: %(names)s.") % {"names": ", ".join(missing)})


def commission_assign(*, call: Call, evaluator, actor=None) -> CommissionMember:
    """The administrator puts an evaluator on the call's commission (once)."""
    if CommissionMember.objects.filter(call=call, evaluator=evaluator).exists():
        raise ValidationError(_("%(user)s is already on this call's commission.") % {"user": evaluator.get_username()})
    return CommissionMember.objects.create(call=call, evaluator=evaluator, assigned_by=actor)


def commission_declare(*, call: Call, evaluator, has_conflict: bool, declaration: str = "") -> CommissionMember:
    """The member signs the conflict-of-interest declaration (once): only then may they see and score
    applications, and never if they declare a conflict."""
    with transaction.atomic():
        member = CommissionMember.objects.select_for_update().filter(call=call, evaluator=evaluator).first()
        if member is None:
            raise ValidationError(_("You are not a member of this call's evaluation commission."))
        if member.declared_at is not None:
            raise ValidationError(_("The declaration is already signed; it cannot be changed."))
        if has_conflict and not declaration.strip():
            raise ValidationError(_("Describe the conflict of interest you declare."))
        member.has_conflict = bool(has_conflict)
        member.declaration = declaration.strip()
        member.declared_at = timezone.now()
        member.save(update_fields=["has_conflict", "declaration", "declared_at"])
        return member


def commission_member_may_see(*, call: Call, user) -> bool:
    """Who may read the call's applications as an evaluator: a member who declared no conflict."""
    return CommissionMember.objects.filter(
        call=call, evaluator=user, declared_at__isnull=False, has_conflict=False
    ).exists()


def score_check_evaluator(*, call_id: int, evaluator) -> None:
    member = CommissionMember.objects.filter(call_id=call_id, evaluator=evaluator).first()
    if member is None:
        raise ValidationError(_("Only members of the call's evaluation commission can score its applications."))
    if member.declared_at is None:
        raise ValidationError(_("Sign the conflict-of-interest declaration before scoring."))
    if member.has_conflict:
        raise ValidationError(_("You declared a conflict of interest in this call: you cannot score its applications."))


def score_record(*, application: Application, criterion: Criterion, evaluator, score, reason: str = "") -> Score:
    """An evaluator's score (0-10) of one criterion with its written reason; scoring again replaces that
    evaluator's score. Only a commission member who signed a declaration without conflicts scores."""
    score_check_evaluator(call_id=application.call_id, evaluator=evaluator)
    if not (reason or "").strip():
        raise ValidationError(_("Every score needs its written reason (motivazione)."))
    try:
        value = Decimal(str(score))
    except InvalidOperation:
        raise ValidationError(_("A score must be a number from 0 to 10.")) from None
    if not value.is_finite() or not (0 <= value <= 10):
        raise ValidationError(_("A score must be a number from 0 to 10."))
    if criterion.call_id != application.call_id:
        raise ValidationError(_("That criterion belongs to another call."))
    status = Application.objects.filter(pk=application.pk).values_list("status", flat=True).first()
    if status not in (Application.Status.ELIGIBLE, Application.Status.SCORED):
        raise ValidationError(_("Only eligible applications are scored."))
    result, _created = Score.objects.update_or_create(
        application=application,
        criterion=criterion,
        evaluator=evaluator,
        defaults={"score": value, "reason": reason.strip()},
    )
    return result


def ranking_key(application: Application) -> tuple:
    """The ranking's order, the rule the call states: higher weighted score first; on a tie, the
    application submitted earlier; then the lower application number (protocol order)."""
    return (-(application.weighted_score or 0), application.submitted_on, application.id)


def call_rank(*, call: Call, actor=None) -> list[Application]:
    """Rank the call's scored (and already ranked) applications by weighted score (``ranking_key``).

    Applications below the call's minimum score become not eligible, with the reason; scored ones become
    ranked; ranking again after more are scored renumbers them all (until the ranking is approved).
    """
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        candidates = list(
            Application.objects.with_weighted_score()
            .select_for_update(of=("self",))
            .filter(call=call, status__in=(Application.Status.SCORED, Application.Status.RANKED))
        )
        if call.ranking_published_at is not None:
            raise ValidationError(_("The ranking of this call is already approved and published."))
        if not any(a.status == Application.Status.SCORED for a in candidates):
            raise ValidationError(_("No scored applications to rank in this call."))
        below = [a for a in candidates if (a.weighted_score or 0) < call.minimum_score]
        for application in below:
            application.rank = None
            application.status = Application.Status.INELIGIBLE
            application.outcome_reason = _(
                "Weighted score %(score).2f, below the call's minimum score of %(minimum).2f."
            ) % {"score": application.weighted_score or 0, "minimum": call.minimum_score}
            application.save(update_fields=["rank", "status", "outcome_reason"])
            _event(
                application,
                from_status=Application.Status.SCORED,
                to_status=Application.Status.INELIGIBLE,
                actor=actor,
                note=application.outcome_reason,
            )
        candidates = [a for a in candidates if a not in below]
        candidates.sort(key=ranking_key)
        for position, application in enumerate(candidates, start=1):
            from_status = application.status
            application.rank = position
            application.status = Application.Status.RANKED
            application.save(update_fields=["rank", "status"])
            if from_status == Application.Status.SCORED:
                _event(
                    application,
                    from_status=from_status,
                    to_status=Application.Status.RANKED,
                    actor=actor,
                    note=_("Rank %(rank)d, weighted score %(score).2f")
                    % {"rank": position, "score": application.weighted_score or 0},
                )
    return candidates


def call_publish(*, call: Call) -> Call:
    """Publish a draft call: the public sees it (and its ranking, once approved)."""
    if call.published_at is None:
        call.published_at = timezone.now()
        call.save(update_fields=["published_at"])
    return call


def call_ranking_approve(*, call: Call, act_number: str, act_date: dt.date, actor=None) -> Call:
    """Approve the ranking (graduatoria) with its act and publish it.

    Every application must be decided (ranked or not eligible). In rank order, the applications whose
    requested amounts fit the budget still free are to be funded (they stay ranked until their award);
    the others, from the first that does not fit, are eligible but not funded.
    """
    if not (act_number or "").strip() or act_date is None:
        raise ValidationError(_("The approval act needs its number and its date."))
    _check_act(act_number, act_date)
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        if call.ranking_published_at is not None:
            raise ValidationError(_("The ranking of this call is already approved and published."))
        undecided = Application.objects.filter(
            call=call,
            status__in=(Application.Status.SUBMITTED, Application.Status.ELIGIBLE, Application.Status.SCORED),
        ).count()
        if undecided:
            raise ValidationError(
                _("%(count)d application(s) of this call are not yet ranked or declared not eligible.")
                % {"count": undecided}
            )
        ranked = list(
            Application.objects.select_for_update().filter(call=call, status=Application.Status.RANKED).order_by("rank")
        )
        if not ranked:
            raise ValidationError(_("No ranked applications to approve in this call."))
        free = call_remaining(call)
        fits = True
        for application in ranked:
            fits = fits and application.requested_amount <= free
            if fits:
                free -= application.requested_amount
                continue
            application.status = Application.Status.NOT_FUNDED
            application.outcome_reason = _(
                "Eligible, but the budget of the call is used by the applications ranked higher."
            )
            application.save(update_fields=["status", "outcome_reason"])
            _event(
                application,
                from_status=Application.Status.RANKED,
                to_status=Application.Status.NOT_FUNDED,
                actor=actor,
                note=application.outcome_reason,
            )
        call.ranking_act_number = act_number.strip()
        call.ranking_act_date = act_date
        call.ranking_published_at = timezone.now()
        call.save(update_fields=["ranking_act_number", "ranking_act_date", "ranking_published_at"])
        outcome_notices_queue(call=call)
    return call


def _recipient_language(application: Application) -> str:
    return application.applicant.language if application.applicant_id else settings.LANGUAGE_CODE


def outcome_notices_queue(*, call: Call) -> int:
    """Tell every applicant of the call its outcome, in its language, with the link to the graduatoria
    (queued in the caller's transaction: no approval, no e-mail)."""
    queued = 0
    for application in Application.objects.filter(call=call).exclude(
        status__in=(Application.Status.SUBMITTED, Application.Status.WITHDRAWN)
    ):
        language = _recipient_language(application)
        with translation.override(language):
            outcome = {
                Application.Status.RANKED: _("Funded: the grant will be awarded by the next act."),
                Application.Status.FUNDED: _("Funded."),
                Application.Status.NOT_FUNDED: _("Eligible, not funded."),
            }.get(application.status, _("Not eligible."))
        context = {
            "call_title": in_language_of(call.title_it, call.title_en, language),
            "application_title": application.title,
            "organisation": application.organisation,
            "act_number": call.ranking_act_number,
            "act_date": call.ranking_act_date.isoformat(),
            "outcome": outcome,
            "reason": application.outcome_reason if application.status != Application.Status.RANKED else "",
            "url": absolute_url(call.get_absolute_url()),
        }
        if queue_rendered(
            application.contact_email, "grants/email/outcome", context, language, kind="grants.outcome",
            reference=f"application:{application.pk}",
        ):  # fmt: skip
            queued += 1
    return queued


def in_language_of(italian: str, english: str, language: str) -> str:
    return english if language == "en" and english else italian


# --- funded projects and money ----------------------------------------------------------------------


def call_committed(call_id: int) -> Decimal:
    """What the call's projects hold of its budget: their grants minus what withdrawn projects released."""
    granted = Project.objects.filter(call_id=call_id).aggregate(total=Sum("granted_amount"))["total"] or ZERO
    released = GrantRelease.objects.filter(project__call_id=call_id).aggregate(total=Sum("amount"))["total"] or ZERO
    return granted - released


def call_remaining(call: Call, committed: Decimal | None = None) -> Decimal:
    """The one budget formula in Python: what a call has left, its budget minus what its projects hold
    (``CallQuerySet.with_budget`` says the same in SQL for lists; the database triggers are the guard)."""
    return call.budget - (call_committed(call.pk) if committed is None else committed)


def project_disbursed(project_id: int) -> Decimal:
    return Disbursement.objects.filter(project_id=project_id).aggregate(total=Sum("amount"))["total"] or ZERO


def project_released(project_id: int) -> Decimal:
    return GrantRelease.objects.filter(project_id=project_id).aggregate(total=Sum("amount"))["total"] or ZERO


def project_award_check(
    *, application: Application, granted_amount, start_on: dt.date, end_on: dt.date, co_financing=None
) -> tuple[Decimal, Decimal]:
    """The checks of ``project_award`` (without the lock); returns (granted, co-financing) parsed."""
    granted = money_parse(granted_amount, field=_("The granted amount"))
    co = application.co_financing if co_financing in (None, "") else co_financing
    co = ZERO if co in (0, "0", ZERO) else money_parse(co, field=_("Co-financing"))
    _check_dates(start_on, end_on, first_label=_("the start"), last_label=_("The end"))
    if application.status != Application.Status.RANKED:
        raise ValidationError(
            _("Only a ranked application can be funded (this one is '%(status)s').")
            % {"status": Application.Status(application.status).label}
        )
    if granted > application.requested_amount:
        raise ValidationError(
            _("The grant (%(granted)s EUR) cannot exceed the amount requested (%(requested)s EUR).")
            % {"granted": granted, "requested": application.requested_amount}
        )
    call = application.call
    remaining = call_remaining(call)
    if granted > remaining:
        raise ValidationError(
            _("Over budget: the call has %(remaining)s EUR left of %(budget)s EUR; this grant is %(granted)s EUR.")
            % {"remaining": remaining, "budget": call.budget, "granted": granted}
        )
    return granted, co


def project_award(
    *,
    application: Application,
    granted_amount,
    start_on: dt.date,
    end_on: dt.date,
    actor=None,
    co_financing=None,
    title_it: str = "",
    title_en: str = "",
    description_it: str = "",
    description_en: str = "",
    beneficiary: str = "",
    sites: GEOSGeometry | None = None,
    status: str = Project.Status.PLANNED,
    organisation: Organisation | None = None,
    cup: str = "",
    rup: str = "",
    office: str = "",
    award_act_number: str = "",
    award_act_date: dt.date | None = None,
) -> Project:
    """Fund a ranked application: create its project, assign its zones, mark it funded.

    The call's row is locked first, so two awards in the same call run one after the other and the
    second sees the first's grant in the committed sum: the budget can never be exceeded.
    """
    with transaction.atomic():
        Call.objects.select_for_update().get(pk=application.call_id)
        application = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
        granted, co = project_award_check(
            application=application,
            granted_amount=granted_amount,
            start_on=start_on,
            end_on=end_on,
            co_financing=co_financing,
        )
        if status == Project.Status.WITHDRAWN:
            raise ValidationError(_("A project is withdrawn after its award, not at it."))
        cup = cup_parse(cup) if cup else None
        if cup and Project.objects.filter(cup=cup).exists():
            raise ValidationError(_("The CUP %(cup)s is already the code of another project.") % {"cup": cup})
        _check_act(award_act_number, award_act_date)
        if sites is not None:
            if not isinstance(sites, GeometryCollection):
                sites = GeometryCollection(sites, srid=4326)
            sites_check_in_city(sites)
        project = Project.objects.create(
            application=application,
            call=application.call,
            beneficiary=beneficiary or application.organisation,
            title_it=title_it or application.title,
            title_en=title_en or title_it or application.title,
            description_it=description_it or application.summary,
            description_en=description_en,
            granted_amount=granted,
            co_financing=co,
            start_on=start_on,
            end_on=end_on,
            status=status,
            sites=sites if sites is not None else application.sites,
            night_service=application.night_service,
            organisation=organisation or application.applicant,
            cup=cup,
            rup=rup.strip(),
            office=office.strip(),
            award_act_number=award_act_number.strip(),
            award_act_date=award_act_date,
        )
        project_zones_assign(project=project)
        from_status = application.status
        application.status = Application.Status.FUNDED
        application.save(update_fields=["status"])
        _event(
            application,
            from_status=from_status,
            to_status=Application.Status.FUNDED,
            actor=actor,
            note=_("Granted %(granted)s EUR") % {"granted": granted},
        )
    return project


def project_zones_assign(*, project: Project) -> int:
    """Set the project's zones to those within the buffer of its sites, in one SQL statement.

    Distances are on the geography (metres on the spheroid), after a bounding-box prefilter on the
    zones' GiST index (the box is widened generously: 1 degree of longitude is at least 50 km here).
    """
    metres = settings.GRANTS_ZONE_BUFFER_METRES
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH touching AS (
                SELECT z.id FROM observatory_zone z JOIN grants_project p ON p.id = %(project)s
                WHERE z.geom && ST_Expand(p.sites, %(degrees)s)
                  AND ST_DWithin(z.geom::geography, p.sites::geography, %(metres)s)
            ), gone AS (
                DELETE FROM grants_project_zones pz
                WHERE pz.project_id = %(project)s AND pz.zone_id NOT IN (SELECT id FROM touching)
            )
            INSERT INTO grants_project_zones (project_id, zone_id)
            SELECT %(project)s, id FROM touching
            ON CONFLICT (project_id, zone_id) DO NOTHING
            """,
            {"project": project.pk, "metres": metres, "degrees": metres / 50_000},
        )
    project_intervention_sync(project=project)
    return project.zones.count()


def project_intervention_sync(*, project: Project) -> Project:
    """Create or update the project's intervention row (what, place, zones, dates, cancelled if withdrawn).

    Called wherever a project's sites, zones, dates or status change, in the same transaction, so the
    impact estimator always measures the project the grants pages show.
    """
    intervention = interventions_services.intervention_for_project(
        intervention=project.intervention,
        what=project.title_it or project.title_en,
        place=project.sites,
        zone_ids=list(project.zones.values_list("pk", flat=True)),
        start_on=project.start_on,
        end_on=project.end_on,
        night_time=project.night_service,
        cost=project.granted_amount,
        cancelled=project.status == Project.Status.WITHDRAWN,
        partner=project.beneficiary,
    )
    if project.intervention_id != intervention.pk:
        project.intervention = intervention
        Project.objects.filter(pk=project.pk).update(intervention=intervention)
    return project


def project_sites_update(*, project: Project, sites: GEOSGeometry) -> Project:
    if not isinstance(sites, GeometryCollection):
        sites = GeometryCollection(sites, srid=4326)
    sites_check_in_city(sites)
    with transaction.atomic():
        project.sites = sites
        project.save(update_fields=["sites"])
        project_zones_assign(project=project)
    return project


def disbursement_check(
    *, project: Project, amount, paid_on: dt.date, disbursed: Decimal | None = None, released: Decimal | None = None
) -> Decimal:
    """The checks of ``disbursement_record`` (sums are read when not given); returns the amount.

    A project is paid at most what it commits: its grant minus what it released.
    """
    value = money_parse(amount, field=_("The amount"), allow_negative=True)
    if paid_on is None:
        raise ValidationError(_("The payment date is required."))
    if paid_on > timezone.localdate():
        raise ValidationError(_("A disbursement is recorded once paid: the date cannot be in the future."))
    if paid_on < project.call.opens_on:
        raise ValidationError(_("The payment date is before the call opened."))
    if value > 0 and project.status == Project.Status.WITHDRAWN:
        raise ValidationError(_("The project was withdrawn: only corrections that take money back are accepted."))
    if value > 0:
        payment_conditions_check(project=project, paid_on=paid_on)
    disbursed = project_disbursed(project.pk) if disbursed is None else disbursed
    released = project_released(project.pk) if released is None else released
    if disbursed + value > project.granted_amount - released:
        if released:
            raise ValidationError(
                _(
                    "This would pay %(total)s EUR, more than the %(committed)s EUR the project still commits "
                    "(%(granted)s EUR granted, %(released)s EUR released; already paid: %(paid)s EUR)."
                )
                % {
                    "total": disbursed + value,
                    "committed": project.granted_amount - released,
                    "granted": project.granted_amount,
                    "released": released,
                    "paid": disbursed,
                }
            )
        raise ValidationError(
            _("This would pay %(total)s EUR, more than the %(granted)s EUR granted (already paid: %(paid)s EUR).")
            % {"total": disbursed + value, "granted": project.granted_amount, "paid": disbursed}
        )
    if disbursed + value < 0:
        raise ValidationError(
            _("A correction cannot take back more than was paid (%(paid)s EUR).") % {"paid": disbursed}
        )
    return value


def _lock_project(project: Project) -> Project:
    """The project's row and its call's row, locked in one statement (every money writer locks this way)."""
    return Project.objects.select_for_update().select_related("call").get(pk=project.pk)


def disbursement_record(
    *,
    project: Project,
    amount,
    paid_on: dt.date,
    note: str = "",
    actor=None,
    corrects: Disbursement | None = None,
) -> Disbursement:
    """Record a tranche (or a correction as a new signed entry) under a lock on the project's row.

    Money taken back from a withdrawn project goes back to the call at once: a release of the same
    amount is recorded with it, so a withdrawn project always commits exactly what it was paid.
    """
    with transaction.atomic():
        project = _lock_project(project)
        value = disbursement_check(project=project, amount=amount, paid_on=paid_on)
        if corrects is not None and corrects.project_id != project.pk:
            raise ValidationError(_("A correction must refer to an entry of the same project."))
        entry = Disbursement.objects.create(
            project=project, paid_on=paid_on, amount=value, note=note, corrects=corrects, recorded_by=actor
        )
        if value < 0 and project.status == Project.Status.WITHDRAWN:
            GrantRelease.objects.create(
                project=project,
                released_on=timezone.localdate(),
                amount=-value,
                reason=_("Taken back from the withdrawn project (disbursement %(id)d).") % {"id": entry.pk},
                recorded_by=actor,
            )
        if value > 0:
            project_status_follow(
                project=project, actor=actor, because=_("payment of %(amount)s EUR") % {"amount": value}
            )
        return entry


def project_status_follow(*, project: Project, actor=None, because: str = "") -> Project:
    """Move a running project's status along with its money and reports (call it under the project's lock).

    Planned becomes active with the first payment or the first approved report; active (or planned) becomes
    completed once the whole grant is disbursed or the balance tranche (the last one of the plan) is paid.
    A suspended or withdrawn project is the office's decision and stays as it is; a status never goes back here.
    The step is written in the project's reporting trail, which the beneficiary and the office read.
    """
    if project.status not in (Project.Status.PLANNED, Project.Status.ACTIVE):
        return project
    disbursed = project_disbursed(project.pk)
    committed = project.granted_amount - project_released(project.pk)
    balance_paid = Tranche.objects.filter(
        project_id=project.pk, kind=Tranche.Kind.BALANCE, disbursement__isnull=False
    ).exists()
    if balance_paid or (disbursed > 0 and disbursed >= committed):
        status = Project.Status.COMPLETED
    elif disbursed > 0 or ProgressReport.objects.filter(project_id=project.pk, status=Review.APPROVED).exists():
        status = Project.Status.ACTIVE
    else:
        return project
    if status == project.status:
        return project
    before = project.status
    Project.objects.filter(pk=project.pk).update(status=status)
    project.status = status
    note = _("%(from)s → %(to)s") % {"from": Project.Status(before).label, "to": Project.Status(status).label}
    _reporting_event(
        project, f"project:{project.pk}", status, actor=actor, note=f"{note} ({because})" if because else note
    )
    return project


# --- project status: withdrawing releases the money not paid, reinstating commits it again ----------


def project_status_check(*, project: Project, status: str, committed: Decimal | None = None) -> None:
    """Refuse a status change that the money does not allow (reinstating where the budget is gone)."""
    if status not in Project.Status.values:
        raise ValidationError(_("Unknown project status: %(status)s.") % {"status": status})
    if project.status == Project.Status.WITHDRAWN and status != Project.Status.WITHDRAWN:
        released = project_released(project.pk)
        remaining = call_remaining(project.call, committed)
        if released > remaining:
            raise ValidationError(
                _(
                    "The project cannot be reinstated: it would commit again the %(released)s EUR it released, "
                    "and the call has %(remaining)s EUR left."
                )
                % {"released": released, "remaining": remaining}
            )


def project_status_change(*, project: Project, status: str, actor=None, reason: str = "") -> Project:
    """Set a project's status. Withdrawing releases the part of the grant not yet paid back to the call;
    reinstating a withdrawn project commits it again (a negative release: a correction, not an edit).

    The project's and the call's rows are locked first, as awards and disbursements lock them, so a
    withdrawal, a payment and an award of the freed money queue on them and see each other's sums.
    """
    with transaction.atomic():
        locked = _lock_project(project)
        project_status_check(project=locked, status=status)
        before = locked.status
        released = project_released(locked.pk)
        if status == Project.Status.WITHDRAWN and before != Project.Status.WITHDRAWN:
            free = locked.granted_amount - released - project_disbursed(locked.pk)
            if free > 0:
                GrantRelease.objects.create(
                    project=locked,
                    released_on=timezone.localdate(),
                    amount=free,
                    reason=reason
                    or _("Project withdrawn (was '%(status)s'): the part not paid goes back to the call.")
                    % {"status": Project.Status(before).label},
                    recorded_by=actor,
                )
        elif before == Project.Status.WITHDRAWN and status != Project.Status.WITHDRAWN and released:
            last = GrantRelease.objects.filter(project=locked, amount__gt=0).order_by("-id").first()
            GrantRelease.objects.create(
                project=locked,
                released_on=timezone.localdate(),
                amount=-released,
                reason=reason or _("Project reinstated: its grant is committed again."),
                corrects=last,
                recorded_by=actor,
            )
        if status != before:
            locked.status = status
            locked.save(update_fields=["status"])
            project_intervention_sync(project=locked)
    project.status = status  # the caller's copy is current too
    return locked


# --- award details, beneficiaries' checks, publication and the payment plan --------------------------

TAX_CODE_PERSON = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPR-T][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")


def cup_parse(value: str) -> str:
    """A CUP in its canonical form (upper case, no spaces), or a refusal saying what its form must be."""
    cup = re.sub(r"\s+", "", str(value or "")).upper()
    if not re.fullmatch(CUP_PATTERN, cup):
        raise ValidationError(
            _(
                "The CUP must be 15 characters: a letter, two digits, a letter, then eleven digits "
                "(for instance C11G06000000001); '%(value)s' is not."
            )
            % {"value": value}
        )
    return cup


def tax_code_parse(value: str, *, natural_person: bool) -> str:
    """An organisation's 11-digit tax code (with its check digit) or a natural person's 16-character one."""
    code = re.sub(r"\s+", "", str(value or "")).upper()
    if natural_person:
        if not TAX_CODE_PERSON.fullmatch(code):
            raise ValidationError(_("A natural person's tax code has 16 letters and digits (e.g. RSSMRA80A01L219X)."))
        return code
    if not re.fullmatch(r"[0-9]{11}", code):
        raise ValidationError(_("An organisation's tax code has 11 digits."))
    total = 0
    for index, digit in enumerate(int(c) for c in code[:10]):
        if index % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    if (10 - total % 10) % 10 != int(code[10]):
        raise ValidationError(_("The tax code %(code)s is not valid: its check digit does not match.") % {"code": code})
    return code


def organisation_register(
    *, name: str, tax_code: str, natural_person: bool = False, email: str = "", language: str = "it"
) -> Organisation:
    """Add an organisation (or a natural person) to the registry of applicants and beneficiaries."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("The name is required."))
    code = tax_code_parse(tax_code, natural_person=natural_person)
    if email:
        validate_email(email)
    if Organisation.objects.filter(tax_code=code).exists():
        raise ValidationError(_("An organisation with the tax code %(code)s is already registered.") % {"code": code})
    return Organisation.objects.create(
        name=name, tax_code=code, natural_person=natural_person, email=email, language=language or "it"
    )


def organisation_checks_record(
    *,
    organisation: Organisation,
    durc_valid_until: dt.date | None = None,
    antimafia_status: str | None = None,
    antimafia_checked_on: dt.date | None = None,
) -> Organisation:
    """Record a beneficiary's DURC (its validity date) and the outcome of its anti-mafia check."""
    if antimafia_status is not None:
        if antimafia_status not in Organisation.AntimafiaStatus.values:
            raise ValidationError(_("Unknown anti-mafia check status."))
        if antimafia_status in (Organisation.AntimafiaStatus.CLEARED, Organisation.AntimafiaStatus.REFUSED):
            if antimafia_checked_on is None:
                raise ValidationError(_("The date of the anti-mafia check is required with its outcome."))
            if antimafia_checked_on > timezone.localdate():
                raise ValidationError(_("The anti-mafia check cannot be dated in the future."))
        organisation.antimafia_status = antimafia_status
        organisation.antimafia_checked_on = antimafia_checked_on
    if durc_valid_until is not None:
        organisation.durc_valid_until = durc_valid_until
    organisation.save(update_fields=["antimafia_status", "antimafia_checked_on", "durc_valid_until"])
    return organisation


def _check_act(number: str, date: dt.date | None) -> None:
    if bool((number or "").strip()) != bool(date):
        raise ValidationError(_("An act needs both its number and its date."))
    if date and date > timezone.localdate():
        raise ValidationError(_("An act cannot be dated in the future."))


def project_award_details_update(
    *,
    project: Project,
    cup: str | None = None,
    rup: str | None = None,
    office: str | None = None,
    award_act_number: str | None = None,
    award_act_date: dt.date | None = None,
) -> Project:
    """Set the CUP, the RUP, the office and the award act of a funded project (given fields only)."""
    with transaction.atomic():
        locked = _lock_project(project)
        if cup is not None:
            value = cup_parse(cup) if cup else None
            if value and Project.objects.filter(cup=value).exclude(pk=locked.pk).exists():
                raise ValidationError(_("The CUP %(cup)s is already the code of another project.") % {"cup": value})
            locked.cup = value
        if rup is not None:
            locked.rup = rup.strip()
        if office is not None:
            locked.office = office.strip()
        if award_act_number is not None or award_act_date is not None:
            number = locked.award_act_number if award_act_number is None else award_act_number.strip()
            date = award_act_date or locked.award_act_date
            _check_act(number, date)
            locked.award_act_number, locked.award_act_date = number, date
        locked.save(update_fields=["cup", "rup", "office", "award_act_number", "award_act_date"])
    return locked


def publication_threshold() -> Decimal:
    return Decimal(str(settings.GRANTS_PUBLICATION_THRESHOLD_EUR))


def antimafia_threshold() -> Decimal:
    return Decimal(str(settings.GRANTS_ANTIMAFIA_THRESHOLD_EUR))


def project_publish_check(project: Project) -> None:
    """What the art. 27 record of a grant needs before it is published."""
    missing = []
    if project.organisation_id is None:
        missing.append(_("the beneficiary's registry entry (tax code)"))
    if not project.award_act_number:
        missing.append(_("the award act"))
    if not project.rup:
        missing.append(_("the responsible official (RUP)"))
    if not project.office:
        missing.append(_("the responsible office"))
    if missing:
        raise ValidationError(
            _("The grant cannot be published yet; missing: %(missing)s.") % {"missing": ", ".join(missing)}
        )


def project_publish(*, project: Project, actor=None) -> Project:
    """Publish the grant under D.lgs. 33/2013 art. 26-27 (idempotent: the first publication's time stays)."""
    with transaction.atomic():
        locked = _lock_project(project)
        if locked.published_at is None:
            project_publish_check(locked)
            locked.published_at = timezone.now()
            locked.save(update_fields=["published_at"])
    project.published_at = locked.published_at
    return locked


def payment_conditions_check(*, project: Project, paid_on: dt.date) -> None:
    """The conditions of any payment: the CUP, the art. 26 publication above its threshold, a DURC valid on
    the payment date (organisations) and, above the anti-mafia threshold, a cleared anti-mafia check."""
    if not project.cup:
        raise ValidationError(_("A payment needs the project's CUP: record it first."))
    if project.granted_amount > publication_threshold() and project.published_at is None:
        raise ValidationError(
            _("The grant is not published (D.lgs. 33/2013 art. 26): no payment can be recorded before its publication.")
        )
    organisation = Organisation.objects.filter(pk=project.organisation_id).first()
    if organisation is None:
        raise ValidationError(_("The beneficiary has no registry entry: record its DURC before any payment."))
    if not organisation.natural_person and (
        organisation.durc_valid_until is None or organisation.durc_valid_until < paid_on
    ):
        raise ValidationError(
            _("The beneficiary's DURC is missing or expired on %(date)s: no payment can be recorded.")
            % {"date": paid_on.isoformat()}
        )
    if project.granted_amount > antimafia_threshold() and organisation.antimafia_status != (
        Organisation.AntimafiaStatus.CLEARED
    ):
        raise ValidationError(
            _("Grants over %(threshold)s EUR need a cleared anti-mafia check of the beneficiary before any payment.")
            % {"threshold": antimafia_threshold()}
        )


def milestone_approve(*, milestone: Milestone, actor=None, approved_on: dt.date | None = None) -> Milestone:
    """The city approves a milestone the beneficiary reached: a progress payment tied to it becomes due."""
    if milestone.done_on is None:
        raise ValidationError(_("A milestone is approved once it is done."))
    if milestone_reporting_open(milestone):
        raise ValidationError(
            _("The beneficiary's report or expense claim for this milestone is still open: decide on it first.")
        )
    milestone.approved_on = approved_on or timezone.localdate()
    milestone.save(update_fields=["approved_on"])
    return milestone


def tranche_add(*, project: Project, kind: str, amount, milestone: Milestone | None = None) -> Tranche:
    """Add a tranche to the project's payment plan; the plan never adds up to more than the project commits."""
    value = money_parse(amount, field=_("The amount"))
    if kind not in Tranche.Kind.values:
        raise ValidationError(_("Unknown kind of tranche."))
    if kind == Tranche.Kind.PROGRESS and milestone is None:
        raise ValidationError(_("A progress payment is tied to a milestone."))
    if milestone is not None and milestone.project_id != project.pk:
        raise ValidationError(_("That milestone belongs to another project."))
    with transaction.atomic():
        locked = _lock_project(project)
        plan = Tranche.objects.filter(project=locked)
        if kind in (Tranche.Kind.ADVANCE, Tranche.Kind.BALANCE) and plan.filter(kind=kind).exists():
            raise ValidationError(_("The payment plan has one advance and one balance at most."))
        planned = plan.aggregate(total=Sum("amount"))["total"] or ZERO
        committed = locked.granted_amount - project_released(locked.pk)
        if planned + value > committed:
            raise ValidationError(
                _("The payment plan would add up to %(total)s EUR, more than the %(committed)s EUR granted.")
                % {"total": planned + value, "committed": committed}
            )
        return Tranche.objects.create(project=locked, kind=kind, amount=value, milestone=milestone)


def tranche_due_check(tranche: Tranche) -> None:
    """An advance is due at once; a progress payment once its milestone is approved; the balance once every
    milestone of the project is approved and every other tranche is paid."""
    if tranche.disbursement_id is not None:
        raise ValidationError(_("This tranche is already paid."))
    if tranche.kind == Tranche.Kind.PROGRESS and (
        tranche.milestone.approved_on is None or milestone_reporting_open(tranche.milestone)
    ):
        raise ValidationError(
            _("This progress payment is due once the milestone '%(milestone)s' is approved.")
            % {"milestone": tranche.milestone.title}
        )
    if tranche.kind == Tranche.Kind.BALANCE:
        if Milestone.objects.filter(project_id=tranche.project_id, approved_on__isnull=True).exists():
            raise ValidationError(_("The balance is due once every milestone of the project is approved."))
        if Tranche.objects.filter(project_id=tranche.project_id, disbursement__isnull=True).exclude(pk=tranche.pk):
            raise ValidationError(_("The balance is paid last, after the other tranches."))


def tranche_pay(*, tranche: Tranche, paid_on: dt.date, actor=None, note: str = "") -> Disbursement:
    """Pay a due tranche: the disbursement goes through every money check and payment condition, in the
    same transaction, under the project's lock (so a tranche is never paid twice)."""
    with transaction.atomic():
        _lock_project(tranche.project)
        tranche = Tranche.objects.select_for_update(of=("self",)).select_related("milestone").get(pk=tranche.pk)
        tranche_due_check(tranche)
        entry = disbursement_record(
            project=tranche.project,
            amount=tranche.amount,
            paid_on=paid_on,
            note=note or str(tranche.get_kind_display()),
            actor=actor,
        )
        tranche.disbursement = entry
        tranche.save(update_fields=["disbursement"])
        if tranche.kind == Tranche.Kind.BALANCE:  # the last of the plan (tranche_due_check): the project is done
            project_status_follow(project=_lock_project(tranche.project), actor=actor, because=_("balance paid"))
        organisation = tranche.project.organisation
        if organisation is not None and organisation.email:
            with translation.override(organisation.language):
                kind = str(tranche.get_kind_display())
            queue_rendered(
                organisation.email,
                "grants/email/payment",
                {
                    "beneficiary": organisation.name,
                    "project_title": in_language_of(
                        tranche.project.title_it, tranche.project.title_en, organisation.language
                    ),
                    "amount": entry.amount,
                    "kind": kind,
                    "paid_on": entry.paid_on.isoformat(),
                    "cup": tranche.project.cup,
                    "url": absolute_url(tranche.project.get_absolute_url()),
                },
                organisation.language,
                kind="grants.payment",
                reference=f"tranche:{tranche.pk}",
            )
        return entry


# --- beneficiaries' reporting: progress reports, expense claims, the city's decisions ------------------


def _reporting_event(project: Project, subject: str, action: str, *, actor=None, note: str = "") -> None:
    ReportingEvent.objects.create(project=project, subject=subject, action=action, actor=actor, note=note)


def _count(value, *, field: str, decimal: bool = False):
    try:
        number = Decimal(str(value)) if decimal else int(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("%(field)s must be a number, zero or more.") % {"field": field}) from None
    if (decimal and not number.is_finite()) or number < 0:
        raise ValidationError(_("%(field)s must be a number, zero or more.") % {"field": field})
    return number


def progress_report_check(
    *, project: Project, milestone: Milestone, text: str, people_reached, night_events, night_service_hours
) -> tuple:
    """The checks of a report being sent, without writing: (text, people, events, hours) parsed."""
    if milestone.project_id != project.pk:
        raise ValidationError(_("That milestone belongs to another project."))
    if not (text or "").strip():
        raise ValidationError(_("Describe what was done."))
    people = _count(people_reached, field=_("People reached"))
    events = _count(night_events, field=_("Night events held"))
    hours = _count(night_service_hours, field=_("Hours of night-time service"), decimal=True)
    return text.strip(), people, events, hours


def progress_report_check_open(milestone: Milestone) -> None:
    """One report per milestone under review or approved at a time (call it inside the writing transaction)."""
    if ProgressReport.objects.filter(milestone=milestone, status__in=(Review.SUBMITTED, Review.APPROVED)).exists():
        raise ValidationError(_("This milestone already has a report under review or approved."))


def progress_report_submit(
    *, project: Project, milestone: Milestone, text: str, people_reached, night_events, night_service_hours, actor=None
) -> ProgressReport:
    """The beneficiary reports on a milestone with its output indicators."""
    text, people, events, hours = progress_report_check(
        project=project, milestone=milestone, text=text, people_reached=people_reached, night_events=night_events,
        night_service_hours=night_service_hours,
    )  # fmt: skip
    with transaction.atomic():
        progress_report_check_open(milestone)
        report = ProgressReport.objects.create(
            project=project, milestone=milestone, text=text, people_reached=people, night_events=events,
            night_service_hours=hours,
        )  # fmt: skip
        _reporting_event(project, f"report:{report.pk}", "submitted", actor=actor)
    return report


def expense_item_check(number: int, description: str, amount, receipt) -> tuple:
    """One expense item checked: (description, amount, receipt); the receipt a PDF within the size limit."""
    if not (description or "").strip():
        raise ValidationError(_("Item %(n)d: describe the expense.") % {"n": number})
    value = money_parse(amount, field=_("Item %(n)d: the amount") % {"n": number})
    if receipt is None:
        raise ValidationError(_("Item %(n)d: the receipt (PDF) is required.") % {"n": number})
    try:
        attachment_check(receipt)
    except ValidationError as error:
        raise ValidationError(_("Item %(n)d: %(error)s") % {"n": number, "error": " ".join(error.messages)}) from None
    return description.strip()[:300], value, receipt


def expense_claim_submit(*, project: Project, milestone: Milestone, items: list[tuple], actor=None) -> ExpenseClaim:
    """The beneficiary claims expenses for a milestone: (description, amount, PDF receipt) per item.

    Every item is checked before anything is written; one bad item refuses the whole claim."""
    if milestone.project_id != project.pk:
        raise ValidationError(_("That milestone belongs to another project."))
    if not items:
        raise ValidationError(_("A claim needs at least one expense item."))
    parsed = [
        expense_item_check(number, description, amount, receipt)
        for number, (description, amount, receipt) in enumerate(items, start=1)
    ]
    with transaction.atomic():
        claim = ExpenseClaim.objects.create(project=project, milestone=milestone)
        for description, value, receipt in parsed:
            ExpenseItem.objects.create(claim=claim, description=description[:300], amount=value, receipt=receipt)
        total = sum(value for _description, value, _receipt in parsed)
        note = _("%(count)d item(s), %(total)s EUR") % {"count": len(parsed), "total": total}
        _reporting_event(project, f"claim:{claim.pk}", "submitted", actor=actor, note=note)
    return claim


def reporting_decide(*, item: ProgressReport | ExpenseClaim, decision: str, reason: str = "", actor=None):
    """The city approves, asks for changes to, or rejects a report or a claim; the last two need a reason.

    Once a milestone's report is approved and none of its claims is still open or refused without an
    approved one, the milestone is approved: its progress payment becomes due. The beneficiary is told."""
    if decision not in (Review.APPROVED, Review.CHANGES_REQUESTED, Review.REJECTED):
        raise ValidationError(_("Unknown decision."))
    reason = (reason or "").strip()
    if decision != Review.APPROVED and not reason:
        raise ValidationError(_("Give the reason for asking changes or rejecting: the beneficiary reads it."))
    kind = "report" if isinstance(item, ProgressReport) else "claim"
    with transaction.atomic():
        locked = type(item).objects.select_for_update().get(pk=item.pk)
        if locked.status != Review.SUBMITTED:
            raise ValidationError(_("Only a submitted report or claim can be decided."))
        locked.status = decision
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decision_reason"])
        _reporting_event(locked.project, f"{kind}:{locked.pk}", decision, actor=actor, note=reason)
        milestone = locked.milestone
        if decision == Review.APPROVED and milestone.approved_on is None and milestone_reporting_complete(milestone):
            if milestone.done_on is None:
                milestone.done_on = timezone.localdate()
                milestone.save(update_fields=["done_on"])
            milestone_approve(milestone=milestone, actor=actor)
            _reporting_event(locked.project, f"milestone:{milestone.pk}", "approved", actor=actor)
        if decision == Review.APPROVED and kind == "report":
            project_status_follow(project=_lock_project(locked.project), actor=actor, because=_("report approved"))
        _review_notice(locked, kind)
    item.status, item.decision_reason = locked.status, locked.decision_reason
    return locked


def milestone_reporting_complete(milestone: Milestone) -> bool:
    """A report approved, and every claim of the milestone decided with at least one approved (if any)."""
    if not ProgressReport.objects.filter(milestone=milestone, status=Review.APPROVED).exists():
        return False
    if milestone_reporting_open(milestone):  # something sent is undecided, or sent back with no new version
        return False
    claims = ExpenseClaim.objects.filter(milestone=milestone).exclude(status=Review.DRAFT)  # drafts are not sent
    return not claims.exists() or claims.filter(status=Review.APPROVED).exists()


def milestone_reporting_open(milestone: Milestone) -> bool:
    """A report or claim of the milestone was sent and is not settled: not yet decided, or sent back for changes
    with no newer version sent. A tranche tied to the milestone waits for it (drafts do not count: not sent)."""
    if ProgressReport.objects.filter(milestone=milestone, status=Review.SUBMITTED).exists():
        return True
    if ExpenseClaim.objects.filter(milestone=milestone, status=Review.SUBMITTED).exists():
        return True
    for model in (ProgressReport, ExpenseClaim):  # sent back, and no newer version sent since
        latest = model.objects.filter(milestone=milestone).exclude(status=Review.DRAFT).order_by("-id").first()
        if latest is not None and latest.status == Review.CHANGES_REQUESTED:
            return True
    return False


def _review_notice(item, kind: str) -> None:
    organisation = item.project.organisation
    if organisation is None or not organisation.email:
        return
    with translation.override(organisation.language):
        what = _("progress report") if kind == "report" else _("expense claim")
        decision = str(Review(item.status).label)
    queue_rendered(
        organisation.email,
        "grants/email/review",
        {
            "beneficiary": organisation.name,
            "what": what,
            "milestone": in_language_of(item.milestone.title_it, item.milestone.title_en, organisation.language),
            "decision": decision,
            "reason": item.decision_reason,
            # The beneficiaries' area, where the member reads the decision and sends a new version.
            "url": absolute_url(reverse("grants:beneficiaries:project", args=[item.project_id])),
        },
        organisation.language,
        kind=f"grants.{kind}.{item.status}",
        reference=f"{kind}:{item.pk}",
    )
