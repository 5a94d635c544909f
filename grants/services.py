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
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.gis.geos import GeometryCollection, GEOSException, GEOSGeometry
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions import services as interventions_services

from .models import (
    ZERO,
    Application,
    ApplicationAttachment,
    ApplicationEvent,
    Call,
    Criterion,
    Disbursement,
    GrantRelease,
    Project,
    Score,
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
    actor=None,
) -> Application:
    submitted_on = submitted_on or timezone.localdate()
    validate_email(contact_email)
    if not isinstance(sites, GeometryCollection):
        sites = GeometryCollection(sites, srid=sites.srid or 4326)
    requested, co_financing = application_check(
        call=call, requested_amount=requested_amount, co_financing=co_financing, sites=sites, submitted_on=submitted_on
    )
    for file in attachments:
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
        )
        _event(application, from_status="", to_status=Application.Status.SUBMITTED, actor=actor)
        for file in attachments:
            application_attachment_add(application=application, file=file)
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
            missing = Criterion.objects.filter(call_id=application.call_id).exclude(
                id__in=Score.objects.filter(application=application).values("criterion_id")
            )
            if not Criterion.objects.filter(call_id=application.call_id).exists():
                raise ValidationError(_("The call has no evaluation criteria yet."))
            if missing.exists():
                raise ValidationError(
                    _("Score every criterion first; missing: %(names)s.")
                    % {"names": ", ".join(missing.values_list("name", flat=True))}
                )
        application.status = to_status
        application.save(update_fields=["status"])
        _event(application, from_status=from_status, to_status=to_status, actor=actor, note=note)
    original.status = to_status  # the caller's copy is current too
    return application


def score_record(*, application: Application, criterion: Criterion, evaluator, score) -> Score:
    """An evaluator's score (0-10) of one criterion; scoring again replaces that evaluator's score."""
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
        application=application, criterion=criterion, evaluator=evaluator, defaults={"score": value}
    )
    return result


def call_rank(*, call: Call, actor=None) -> list[Application]:
    """Rank the call's scored (and already ranked) applications by weighted score; ties: earlier submission, id.

    Scored applications become ranked; ranking again after more are scored renumbers them all.
    """
    with transaction.atomic():
        Call.objects.select_for_update().get(pk=call.pk)
        candidates = list(
            Application.objects.with_weighted_score()
            .select_for_update(of=("self",))
            .filter(call=call, status__in=(Application.Status.SCORED, Application.Status.RANKED))
        )
        if not any(a.status == Application.Status.SCORED for a in candidates):
            raise ValidationError(_("No scored applications to rank in this call."))
        candidates.sort(key=lambda a: (-(a.weighted_score or 0), a.submitted_on, a.id))
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


# --- funded projects and money ----------------------------------------------------------------------


def call_committed(call_id: int) -> Decimal:
    """What the call's projects hold of its budget: their grants minus what withdrawn projects released."""
    granted = Project.objects.filter(call_id=call_id).aggregate(total=Sum("granted_amount"))["total"] or ZERO
    released = GrantRelease.objects.filter(project__call_id=call_id).aggregate(total=Sum("amount"))["total"] or ZERO
    return granted - released


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
    remaining = call.budget - call_committed(call.pk)
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
        return entry


# --- project status: withdrawing releases the money not paid, reinstating commits it again ----------


def project_status_check(*, project: Project, status: str, committed: Decimal | None = None) -> None:
    """Refuse a status change that the money does not allow (reinstating where the budget is gone)."""
    if status not in Project.Status.values:
        raise ValidationError(_("Unknown project status: %(status)s.") % {"status": status})
    if project.status == Project.Status.WITHDRAWN and status != Project.Status.WITHDRAWN:
        released = project_released(project.pk)
        committed = call_committed(project.call_id) if committed is None else committed
        remaining = project.call.budget - committed
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
