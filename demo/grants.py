"""Demo grants: Torino's two calls, their applications through the whole workflow, funded projects with money.

Runs inside ``demo.seed.demo_seed`` after the reports and before the indicator recompute.
Everything goes through the grants services (a few dozen rows: the rules matter more than speed
here); one project is suspended and then withdrawn, so the budgets show money released back to its
call. Then, so that the impact view has both outcomes to show, the synthetic reports of the zones
of some funded projects are nudged towards feeling safe after the project's start, in one SQL
UPDATE on the seeded rows; the other funded zones are left as they were.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.gis.geos import GeometryCollection, LineString, Polygon
from django.db import connection
from django.utils import timezone

from city.models import Zone
from grants import services
from grants.applicants import services as applicant_services
from grants.models import (
    ApplicantAccount,
    AttachmentType,
    Call,
    CallOnline,
    Criterion,
    Milestone,
    OrganisationMember,
    OutputIndicator,
    Project,
)

# (title, English title, organisation, requested EUR, night service, outcome, improves after start)
SOCIAL_INNOVATION = [
    ("Portierato di comunità serale", "Evening community concierge", "Cooperativa Il Ponte", "260000", True,
     "funded", True),
    ("Passeggiate di quartiere al buio", "Neighbourhood night walks", "Associazione Donne in Cammino", "230000", True,
     "funded", False),
    ("Bar sociale aperto fino a mezzanotte", "Social café open until midnight", "Impresa sociale Mezzanotte", "190000",
     True, "funded", True),
    ("Educativa di strada notturna", "Night-time street outreach", "Cooperativa Strade", "160000", True, "funded",
     False),
    ("Festival diffuso d'estate", "Summer street festival", "Comitato Feste Borgo", "120000", False, "not_funded",
     False),
    ("Sportello digitale", "Digital help desk", "Studio Privato Srl", "90000", False, "ineligible", False),
]  # fmt: skip
INFRASTRUCTURE = [
    ("Nuova illuminazione del sottopasso", "New lighting of the underpass", "Circoscrizione 6", "470000", True,
     "funded", True),
    ("Recupero del bocciodromo come casa di quartiere", "Old bowling hall reopened as a community house",
     "Fondazione Case del Quartiere", "400000", True, "funded", False),
    ("Giardino condiviso sull'area dismessa", "Shared garden on the vacant lot", "Orti Alti APS", "310000", False,
     "funded", True),
    ("Riqualificazione della piazza del mercato", "Market square renewal", "Consorzio Mercato", "520000", False,
     "not_funded", False),
    ("Parcheggio multipiano", "Multi-storey car park", "Parcheggi Spa", "900000", False, "ineligible", False),
]  # fmt: skip
CENT = Decimal("0.01")
GRANT_SHARE = Decimal("0.95")  # grants cover 95% of what was asked, rounded to hundreds
START_FRACTIONS = (0.42, 0.50, 0.58, 0.66, 0.74)  # staggered starts within the demo window
IMPROVING_SHIFT_PERCENT = 80  # share of unsafe answers nudged up one step in improving zones after the start
# Suspended, then withdrawn: the part of its grant not paid goes back to the call (see the budgets).
WITHDRAWN_TITLE = "Educativa di strada notturna"
NIGHT_SLOTS = ("evening", "night", "late_night")


LEGAL_BASIS = "Regolamento comunale per la concessione di contributi (n. 373), art. 5; D.lgs. 117/2017 art. 55"
SELECTION_METHOD = "Avviso pubblico con graduatoria di merito"
OFFICE = "Divisione Politiche Sociali e Rigenerazione Urbana"
RUP = "Dott.ssa Laura Verdi"


def _tax_code(serial: int) -> str:
    """A valid 11-digit organisation tax code (the Agenzia delle Entrate's check digit) for the demo."""
    body = f"9{serial:09d}"
    total = 0
    for index, digit in enumerate(int(c) for c in body):
        if index % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return body + str((10 - total % 10) % 10)


def _organisation(name: str, serial: int, ctx, *, cleared: bool):
    organisation = services.organisation_register(
        name=name, tax_code=_tax_code(serial), email=f"ente{serial}@example.org"
    )
    return services.organisation_checks_record(
        organisation=organisation,
        durc_valid_until=dt.date.today() + dt.timedelta(days=120),
        antimafia_status="cleared" if cleared else "not_requested",
        antimafia_checked_on=ctx.first_night - dt.timedelta(days=30) if cleared else None,
    )


def _cup(serial: int, year: int) -> str:
    return f"C11G{year % 100:02d}{serial:09d}"


def _evaluator() -> User:
    # The accounts step later sets this login's password and group; the workflow needs an actor now.
    user, _created = User.objects.get_or_create(username="demo-grants")
    return user


def _busy_zones(limit: int) -> list[Zone]:
    """Zones with the most night-time reports: there the impact view has data to work with."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT zone_id FROM reports_report WHERE zone_id IS NOT NULL AND slot = ANY(%s)
            GROUP BY zone_id ORDER BY count(*) DESC, zone_id LIMIT %s
            """,
            [list(NIGHT_SLOTS), limit],
        )
        ids = [row[0] for row in cursor.fetchall()]
    zones = Zone.objects.in_bulk(ids)
    return [zones[i] for i in ids]


def _site(zone: Zone, kind: str, rng) -> GeometryCollection:
    """A small site inside the zone: a building footprint (about 80 m) or a relit street (about 300 m)."""
    centre = zone.geom.point_on_surface
    dx, dy = rng.uniform(-0.0008, 0.0008, size=2)
    lon, lat = centre.x + dx, centre.y + dy
    if not zone.geom.contains(type(centre)(lon, lat, srid=4326)):
        lon, lat = centre.x, centre.y
    if kind == "line":
        geometry = LineString((lon - 0.002, lat), (lon + 0.002, lat + 0.0004), srid=4326)
        geometry = geometry.intersection(zone.geom) if not zone.geom.contains(geometry) else geometry
        if geometry.empty or geometry.geom_type not in ("LineString", "MultiLineString"):
            geometry = Polygon.from_bbox((lon - 0.0005, lat - 0.0004, lon + 0.0005, lat + 0.0004))
    else:
        geometry = Polygon.from_bbox((lon - 0.0005, lat - 0.0004, lon + 0.0005, lat + 0.0004))
    geometry.srid = 4326
    return GeometryCollection(geometry, srid=4326)


def seed_grants(ctx) -> int:
    """The two calls (EUR 1.0 M social innovation, EUR 1.4 M infrastructure), applications, projects, money."""
    rng = ctx.rng("grants")
    evaluator = _evaluator()
    zones = _busy_zones(30)
    if len(zones) < 8:
        ctx.notes.append("grants: too few zones with reports; no demo grants were made")
        return 0
    order = rng.permutation(len(zones))
    zone_queue = [zones[i] for i in order]
    rows = 0
    improving: list[tuple[int, dt.date]] = []
    funded_index = 0
    for kind, budget, title_it, title_en, specs, opens_days in (
        (Call.Kind.SOCIAL_INNOVATION, "1000000.00", "Bando innovazione sociale per la notte",
         "Social innovation for the night call", SOCIAL_INNOVATION, 150),
        (Call.Kind.INFRASTRUCTURE_REGENERATION, "1400000.00", "Bando rigenerazione di infrastrutture sociali degradate",
         "Regeneration of degraded social infrastructure call", INFRASTRUCTURE, 140),
    ):  # fmt: skip
        opens = ctx.first_night - dt.timedelta(days=opens_days)
        call = Call.objects.create(
            kind=kind,
            title_it=title_it,
            title_en=title_en,
            budget=Decimal(budget),
            opens_on=opens,
            closes_on=opens + dt.timedelta(days=60),
            eligibility="Enti del terzo settore, associazioni e enti pubblici con sede a Torino.",
            legal_basis=LEGAL_BASIS,
            selection_method=SELECTION_METHOD,
        )
        services.call_publish(call=call)
        services.commission_assign(call=call, evaluator=evaluator)
        services.commission_declare(call=call, evaluator=evaluator, has_conflict=False)
        criteria = [
            Criterion.objects.create(call=call, name=name, weight=Decimal(weight))
            for name, weight in (("Impatto sulla sicurezza percepita", "0.4"), ("Qualità del progetto", "0.3"),
                                 ("Coinvolgimento del territorio", "0.2"), ("Sostenibilità economica", "0.1"))
        ]  # fmt: skip
        rows += 1 + len(criteria)
        applications = []
        for number, (title, english, organisation, requested, night, outcome, improves) in enumerate(specs):
            zone = zone_queue.pop()
            application = services.application_submit(
                call=call,
                organisation=organisation,
                contact_name=f"Referente {number + 1}",
                contact_email=f"referente{number + 1}.{kind[:6]}@example.org",
                contact_phone=f"+39 011 000 {1000 + number}",
                title=title,
                summary=f"{title}: proposta per rendere più vivibile e sicura la zona {zone.name} nelle ore serali.",
                requested_amount=requested,
                co_financing=str(int(int(requested) * 0.1)),
                sites=_site(zone, "line" if "illuminazione" in title else "polygon", rng),
                night_service=night,
                submitted_on=opens + dt.timedelta(days=int(rng.integers(5, 55))),
                actor=evaluator,
            )
            applications.append((application, english, outcome, improves))
            if outcome == "ineligible":
                services.application_transition(
                    application=application, to_status="ineligible", actor=evaluator,
                    note="Soggetto proponente non ammissibile.",
                )  # fmt: skip
                continue
            services.application_transition(application=application, to_status="eligible", actor=evaluator)
            quality = 8.5 if outcome == "funded" else 6.8
            for criterion in criteria:
                score = round(float(min(10, max(0, quality + rng.normal(0, 0.3)))), 1)
                services.score_record(
                    application=application, criterion=criterion, evaluator=evaluator, score=score,
                    reason="Valutazione coerente con i criteri del bando.",
                )  # fmt: skip
            services.application_transition(application=application, to_status="scored", actor=evaluator)
        services.call_rank(call=call, actor=evaluator)
        for application, _english, outcome, _improves in applications:
            if outcome == "not_funded":
                services.application_transition(application=application, to_status="not_funded", actor=evaluator)
        act_date = call.closes_on + dt.timedelta(days=20)
        services.call_ranking_approve(
            call=call, act_number=f"DD {call.pk * 100 + 7}/{act_date.year}", act_date=act_date, actor=evaluator
        )
        for application, english, outcome, improves in applications:
            rows += 1
            if outcome != "funded":
                continue
            fraction = START_FRACTIONS[funded_index % len(START_FRACTIONS)]
            funded_index += 1
            start = ctx.first_night + dt.timedelta(days=int(ctx.nights * fraction))
            granted = (application.requested_amount * GRANT_SHARE).quantize(Decimal("100"))
            project = services.project_award(
                application=application,
                granted_amount=granted,
                start_on=start,
                end_on=start + dt.timedelta(days=540),
                actor=evaluator,
                title_en=english,
                description_en=f"{english}: a project to make the area livelier and safer in the evening.",
                organisation=_organisation(
                    application.organisation, application.pk, ctx, cleared=granted > services.antimafia_threshold()
                ),
                cup=_cup(application.pk, act_date.year),
                rup=RUP,
                office=OFFICE,
                award_act_number=f"DD {application.pk + 1000}/{act_date.year}",
                award_act_date=act_date + dt.timedelta(days=5),
            )
            services.project_publish(project=project, actor=evaluator)
            rows += _milestones_and_money(ctx, project, granted, start, evaluator, rng)
            if application.title == WITHDRAWN_TITLE:
                rows += _suspend_then_withdraw(project, evaluator)
            elif improves:
                improving.append((project.pk, start))
    rows += _calls_in_each_state(ctx, evaluator, zone_queue, rng)
    rows += _beneficiary_login()
    rows += _applicant_login()
    shifted = _improve_treated_zones(improving)
    ctx.notes.append(
        f"grants: {len(improving)} funded projects' zones made to feel safer after their start "
        f"({shifted} reports nudged); the other funded zones were left unchanged"
    )
    return rows


def _milestones_and_money(ctx, project, granted: Decimal, start: dt.date, actor, rng) -> int:
    steps = [
        ("Avvio delle attività", "Activities start", start),
        ("Prima verifica intermedia", "First interim review", start + dt.timedelta(days=90)),
        ("Chiusura e rendicontazione", "Closure and final report", project.end_on),
    ]
    for title_it, title_en, due in steps:
        Milestone.objects.create(
            project=project, title_it=title_it, title_en=title_en, due_on=due,
            done_on=due + dt.timedelta(days=int(rng.integers(0, 10))) if due + dt.timedelta(days=10) <= ctx.last_night
            else None,
        )  # fmt: skip
    # The payment plan: a 40% advance at the start, 30% once the interim review is approved, the balance at the end.
    interim = project.milestones.order_by("due_on")[1]
    advance = services.tranche_add(project=project, kind="advance", amount=(granted * Decimal("0.40")).quantize(CENT))
    progress = services.tranche_add(
        project=project, kind="progress", amount=(granted * Decimal("0.30")).quantize(CENT), milestone=interim
    )
    services.tranche_add(project=project, kind="balance", amount=granted - advance.amount - progress.amount)
    made = 0
    if start <= ctx.last_night:
        tranche = services.tranche_pay(tranche=advance, paid_on=start, actor=actor, note="Anticipo del 40%")
        made += 1
    if interim.done_on is not None and interim.done_on + dt.timedelta(days=5) <= ctx.last_night:
        services.milestone_approve(milestone=interim, actor=actor, approved_on=interim.done_on + dt.timedelta(days=3))
        tranche = services.tranche_pay(
            tranche=progress, paid_on=interim.done_on + dt.timedelta(days=5), actor=actor, note="SAL 1"
        )
        made += 1
    if made and project.pk % 3 == 0:  # one correction, as a new entry: how history is fixed
        services.disbursement_record(
            project=project, amount="-250.00", paid_on=tranche.paid_on, note="Rettifica: spese non ammissibili",
            corrects=tranche, actor=actor,
        )  # fmt: skip
        made += 1
    OutputIndicator.objects.create(
        project=project, name_it="Serate di apertura", name_en="Evenings open", unit="serate",
        target=Decimal(120), value=Decimal(int(rng.integers(10, 80))), declared_on=ctx.last_night,
    )  # fmt: skip
    return len(steps) + made + 4


def _calls_in_each_state(ctx, evaluator, zone_queue, rng) -> int:
    """Small calls beside the two awarded ones, so every state of a call shows: a draft, an open call, one
    under evaluation, one ranked (graduatoria published, awards pending) and one closed (final balance paid)."""
    today = dt.date.today()
    specs = [  # (state, title, opens relative to today, length in days)
        ("draft", "Bando notti d'estate 2027 (bozza)", 30, 45),
        ("open", "Bando micro-progetti di quartiere", -10, 30),
        ("evaluation", "Bando presidi culturali serali", -70, 40),
        ("ranked", "Bando illuminazione partecipata", -120, 40),
        ("closed", "Bando piccole manutenzioni 2025", -700, 40),
    ]
    rows = 0
    for state, title, opens_in, length in specs:
        opens = today + dt.timedelta(days=opens_in)
        call = Call.objects.create(
            kind=Call.Kind.SOCIAL_INNOVATION, title_it=title, title_en=title, budget=Decimal("60000.00"),
            opens_on=opens, closes_on=opens + dt.timedelta(days=length), legal_basis=LEGAL_BASIS,
            selection_method=SELECTION_METHOD,
        )  # fmt: skip
        criterion = Criterion.objects.create(call=call, name="Qualità complessiva", weight=Decimal(1))
        rows += 2
        if state == "draft":
            continue
        services.call_publish(call=call)
        if state == "open":
            rows += _online_rules(call)
        services.commission_assign(call=call, evaluator=evaluator)
        services.commission_declare(call=call, evaluator=evaluator, has_conflict=False)
        applications = []
        for number in range(2):
            zone = zone_queue[(len(zone_queue) - 1 - number) % len(zone_queue)] if zone_queue else None
            if zone is None:
                return rows
            applications.append(
                services.application_submit(
                    call=call,
                    organisation=f"APS {title.split()[-1]} {number + 1}",
                    contact_name="Referente",
                    contact_email=f"aps{call.pk}{number}@example.org",
                    title=f"{title}: proposta {number + 1}",
                    summary="Attività serali nel quartiere.",
                    requested_amount="25000.00",
                    sites=_site(zone, "polygon", rng),
                    night_service=True,
                    submitted_on=min(today, opens + dt.timedelta(days=3 + number)),
                    actor=evaluator,
                )
            )
            rows += 1
        if state == "open":
            continue
        for number, application in enumerate(applications):
            services.application_transition(application=application, to_status="eligible", actor=evaluator)
            services.score_record(
                application=application, criterion=criterion, evaluator=evaluator, score=8 - number,
                reason="Proposta chiara e radicata nel quartiere.",
            )  # fmt: skip
            if state != "evaluation":
                services.application_transition(application=application, to_status="scored", actor=evaluator)
        if state == "evaluation":
            continue
        services.call_rank(call=call, actor=evaluator)
        act_date = call.closes_on + dt.timedelta(days=15)
        services.call_ranking_approve(
            call=call, act_number=f"DD {call.pk * 100 + 9}/{act_date.year}", act_date=act_date, actor=evaluator
        )
        if state == "ranked":
            continue
        winner = applications[0]
        start = act_date + dt.timedelta(days=20)
        project = services.project_award(
            application=winner, granted_amount="24000.00", start_on=start, end_on=start + dt.timedelta(days=300),
            actor=evaluator, organisation=_organisation(winner.organisation, 5000 + winner.pk, ctx, cleared=False),
            cup=_cup(5000 + winner.pk, act_date.year), rup=RUP, office=OFFICE,
            award_act_number=f"DD {winner.pk + 5000}/{act_date.year}", award_act_date=act_date + dt.timedelta(days=5),
        )  # fmt: skip
        services.project_publish(project=project, actor=evaluator)
        final = Milestone.objects.create(
            project=project, title_it="Relazione finale", title_en="Final report", due_on=project.end_on,
            done_on=project.end_on,
        )  # fmt: skip
        advance = services.tranche_add(project=project, kind="advance", amount="9600.00")
        balance = services.tranche_add(project=project, kind="balance", amount="14400.00")
        services.tranche_pay(tranche=advance, paid_on=start, actor=evaluator)
        services.milestone_approve(milestone=final, actor=evaluator, approved_on=project.end_on)
        # The balance completes the project (grants.services.project_status_follow), as the advance started it.
        services.tranche_pay(tranche=balance, paid_on=project.end_on + dt.timedelta(days=10), actor=evaluator)
        rows += 5
    return rows


BENEFICIARY_LOGIN = "demo-beneficiario"


def _beneficiary_login() -> int:
    """``demo-beneficiario`` (password settings.DEMO_PASSWORD) acts for the first active social-innovation
    project's organisation in the beneficiaries' area (/projects/beneficiary/): it sees what is due and reports."""
    project = (
        Project.objects.filter(call__kind=Call.Kind.SOCIAL_INNOVATION, status="active", organisation__isnull=False)
        .order_by("start_on", "id")
        .first()
    )
    if project is None:
        return 0
    user, _created = User.objects.get_or_create(username=BENEFICIARY_LOGIN)
    user.set_password(settings.DEMO_PASSWORD)
    user.email, user.is_staff, user.is_superuser, user.is_active = "beneficiario@example.org", False, False, True
    user.save()
    OrganisationMember.objects.get_or_create(organisation=project.organisation, user=user)
    return 1


APPLICANT_LOGIN = "richiedente@example.org"


def _online_rules(call) -> int:
    """The open call takes applications online (/apply/): noon of the closing day, at most EUR 30,000 asked,
    10% co-financing, two documents (one required) and the standard self-declarations."""
    CallOnline.objects.create(
        call=call, deadline_time=dt.time(12, 0), max_requested=Decimal("30000.00"),
        min_cofinancing_percent=Decimal("10"),
    )  # fmt: skip
    AttachmentType.objects.create(call=call, name_it="Formulario di progetto", name_en="Project form", max_mb=5)
    AttachmentType.objects.create(call=call, name_it="Statuto", name_en="Statute", required=False, max_mb=5)
    return 3 + applicant_services.declarations_default_create(call)


def _applicant_login() -> int:
    """``richiedente@example.org`` (password settings.DEMO_PASSWORD): an association's contact person with a
    draft begun on the open call, to finish and submit at /apply/."""
    call = Call.objects.filter(online__isnull=False).order_by("id").first()
    if call is None:
        return 0
    user, _created = User.objects.get_or_create(username=APPLICANT_LOGIN)
    user.set_password(settings.DEMO_PASSWORD)
    user.email, user.is_staff, user.is_superuser, user.is_active = APPLICANT_LOGIN, False, False, True
    user.save()
    ApplicantAccount.objects.update_or_create(
        user=user, defaults={"full_name": "Chiara Ferrero", "language": "it", "verified_at": timezone.now()}
    )
    draft = applicant_services.draft_start(owner=user, call=call)
    applicant_services.draft_save(
        draft=draft,
        data={"org_name": "Associazione Piazze Accese", "org_legal_form": "association", "title": "Piazze accese"},
    )
    return 2


def _suspend_then_withdraw(project, actor) -> int:
    services.project_status_change(project=project, status="suspended", actor=actor)
    services.project_status_change(
        project=project, status="withdrawn", actor=actor,
        reason="Ritirato dal beneficiario: la parte non erogata torna al bando.",
    )  # fmt: skip
    return project.releases.count()


def _improve_treated_zones(improving: list[tuple[int, dt.date]]) -> int:
    """Nudge unsafe answers up one step in the zones of improving projects after their start (one UPDATE)."""
    if not improving:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH treated AS (
                SELECT pz.zone_id, min(t.start_on) AS start_on
                FROM unnest(%s::bigint[], %s::date[]) AS t(project_id, start_on)
                JOIN grants_project_zones pz ON pz.project_id = t.project_id
                GROUP BY pz.zone_id
            )
            UPDATE reports_report r SET perceived_safety = r.perceived_safety + 1
            FROM treated
            WHERE r.zone_id = treated.zone_id AND r.night >= treated.start_on AND r.slot = ANY(%s)
              AND r.perceived_safety IN (1, 2)
              AND abs(hashtext(r.tracking_code)) %% 100 < %s
            """,
            [[p for p, _s in improving], [s for _p, s in improving], list(NIGHT_SLOTS), IMPROVING_SHIFT_PERCENT],
        )
        return cursor.rowcount
