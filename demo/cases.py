"""Demo data for intersectoral work: Torino-like departments, the eight circoscrizioni as district councils over
the demo zones, a partner organisation, routing rules, reply templates, the demo logins of department people,
and cases in every state (open, in progress, overdue, closed, reopened by a citizen's "no").

Built through the cases services, so every case has its tasks, trail and e-mails as in production; then
back-dated in set-based updates so that due dates, overdue flags and the monthly figures look lived-in."""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import timezone

from cases import services
from cases.models import Case, FixedCheck, Priority, ReplyTemplate, RoutingRule, Task
from city import roles, workcalendar
from city.models import Department, DepartmentMembership, Zone
from reports.models import Category, Report

# (code, Italian name, English name, kind, inbox)
DEPARTMENTS = [
    ("municipal_police", "Polizia municipale", "Municipal police", "department", "polizia.municipale"),
    ("lighting", "Illuminazione pubblica (IREN Smart Solutions)", "Public lighting (IREN Smart Solutions)",
     "department", "illuminazione"),
    ("waste_public_space", "Rifiuti e spazio pubblico (AMIAT)", "Waste and public space (AMIAT)", "department",
     "amiat"),
    ("social_services", "Servizi sociali", "Social services", "department", "servizi.sociali"),
    ("transport", "Trasporti (GTT)", "Transport (GTT)", "department", "gtt"),
    ("police-centro", "Commissariato Centro", "Centre police station", "police_district", "commissariato.centro"),
    ("partner-notte", "Associazione Notte Sicura (partner)", "Safe Night Association (partner)", "partner",
     "notte.sicura"),
]  # fmt: skip
# Category code → departments that get a task (the routing rules).
ROUTES = {
    "broken-street-light": ["lighting"],
    "dark-area": ["lighting", "municipal_police"],
    "abandoned-place": ["waste_public_space", "municipal_police"],
    "vandalism": ["waste_public_space"],
    "harassment": ["municipal_police", "social_services"],
    "aggression": ["municipal_police"],
    "drug-dealing": ["municipal_police", "police-centro"],
    "groups-gathering": ["social_services", "partner-notte"],
    "no-night-transport": ["transport"],
    "unsafe-stop": ["transport", "lighting"],
    "unsafe-crossing": ["transport"],
    "noise-nightlife": ["municipal_police"],
}
# username → (department code, role); password settings.DEMO_PASSWORD like the other demo logins.
DEMO_PEOPLE = [
    ("demo-lighting", "lighting", "member"),
    ("demo-lighting-coord", "lighting", "coordinator"),
    ("demo-police", "municipal_police", "member"),
    ("demo-police-coord", "municipal_police", "coordinator"),
    ("demo-circ1", "circ-1", "member"),
    ("demo-partner", "partner-notte", "member"),
]
REPLY_TEMPLATES = [
    (None, "in_progress", "Presa in carico", "Taken in hand",
     "Grazie della segnalazione: l'ufficio competente l'ha presa in carico e vi terrà aggiornati.",
     "Thank you for your report: the competent office has taken it in hand and will keep you posted."),
    ("broken-street-light", "resolved", "Lampione riparato", "Street light repaired",
     "La squadra dell'illuminazione pubblica ha sostituito la lampada. Grazie della segnalazione.",
     "The public lighting crew replaced the lamp. Thank you for your report."),
    ("dark-area", "resolved", "Illuminazione potenziata", "Lighting improved",
     "Abbiamo aggiunto punti luce e segnalato il luogo alla polizia municipale per i controlli serali.",
     "We added lights and asked the municipal police to include the place in their evening rounds."),
    (None, "referred", "Inoltrata all'ente competente", "Referred to the competent body",
     "La questione non è di competenza del Comune: l'abbiamo inoltrata all'ente che se ne occupa.",
     "This is not the City's responsibility: we referred it to the body in charge."),
]  # fmt: skip
CASES = 40  # demo reports turned into cases (the most recent ones with a routed category)


def _circoscrizioni(zones: list[Zone]) -> dict[int, list[Zone]]:
    """The demo zones in eight sectors around the centre, like Torino's eight circoscrizioni (1 is the centre)."""
    lat0, lon0 = settings.OBSERVATORY_CITY_CENTRE
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM observatory_zone")
        centres = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
    sectors: dict[int, list[Zone]] = {n: [] for n in range(1, 9)}
    for zone in zones:
        lon, lat = centres[zone.pk]
        dx, dy = (lon - lon0) * math.cos(math.radians(lat0)) * 111.0, (lat - lat0) * 111.0
        if math.hypot(dx, dy) < 1.2:
            sectors[1].append(zone)
        else:
            sectors[2 + int(((math.atan2(dy, dx) + math.pi) / (2 * math.pi)) * 7) % 7].append(zone)
    return sectors


def seed_departments() -> dict[str, Department]:
    zones = list(Zone.objects.order_by("id"))
    found = {}
    for code, name_it, name_en, kind, inbox in DEPARTMENTS:
        department, _ = Department.objects.update_or_create(
            code=code,
            defaults={"name_it": name_it, "name_en": name_en, "kind": kind,
                      "inbox_email": f"{inbox}@comune.torino.example", "active": True},
        )  # fmt: skip
        department.zones.set(zones)  # city-wide bodies
        found[code] = department
    for number, sector in _circoscrizioni(zones).items():
        council, _ = Department.objects.update_or_create(
            code=f"circ-{number}",
            defaults={"name_it": f"Circoscrizione {number}", "name_en": f"District council {number}",
                      "kind": Department.Kind.DISTRICT_COUNCIL,
                      "inbox_email": f"circoscrizione{number}@comune.torino.example", "active": True},
        )  # fmt: skip
        council.zones.set(sector)
        found[council.code] = council
    return found


def seed_people(departments: dict[str, Department]) -> list[str]:
    password = make_password(settings.DEMO_PASSWORD)
    officer_group = Group.objects.get_or_create(name=roles.OFFICER)[0]
    for username, code, role in DEMO_PEOPLE:
        user, _ = User.objects.get_or_create(username=username)
        user.password = password
        user.email = f"{username}@comune.torino.example"
        user.is_active = True
        user.is_staff = False
        user.is_superuser = False
        user.save()
        # Department people read the dashboards too (the officers' pages), so they belong to the officer group
        # unless they work for a partner, who sees only what is shared with it.
        user.groups.set([] if code.startswith("partner") else [officer_group])
        DepartmentMembership.objects.filter(user=user).delete()
        DepartmentMembership.objects.create(user=user, department=departments[code], role=role)
    return [username for username, _, _ in DEMO_PEOPLE]


def seed_rules(departments: dict[str, Department]) -> int:
    RoutingRule.objects.all().delete()
    categories = {c.code: c for c in Category.objects.filter(code__in=ROUTES)}
    rules = [
        RoutingRule(category=categories[code], department=departments[department],
                    priority=Priority.HIGH if code in ("aggression", "harassment") else Priority.NORMAL)
        for code, targets in ROUTES.items() if code in categories for department in targets
    ]  # fmt: skip
    RoutingRule.objects.bulk_create(rules)
    ReplyTemplate.objects.all().delete()
    for code, status, title_it, title_en, text_it, text_en in REPLY_TEMPLATES:
        ReplyTemplate.objects.create(category=categories.get(code), status=status, title_it=title_it,
                                     title_en=title_en, text_it=text_it, text_en=text_en)  # fmt: skip
    return len(rules)


def seed_cases(ctx) -> int:
    """The demo's intersectoral work; returns the number of cases."""
    rng = ctx.rng("cases")
    departments = seed_departments()
    ctx.notes.append("department logins: " + ", ".join(seed_people(departments)))
    seed_rules(departments)
    people = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in DEMO_PEOPLE])}
    reports = list(
        Report.objects.filter(source=Report.Source.DEMO, category__code__in=ROUTES, status="submitted")
        .select_related("category", "zone")
        .order_by("-created_at", "-id")[:CASES]
    )
    now = timezone.now()
    for number, report in enumerate(reports):
        case = services.report_route(report=report)
        if case is None:
            continue
        age_days = int(rng.integers(1, 75))
        opened = now - dt.timedelta(days=age_days)
        Case.objects.filter(pk=case.pk).update(created_at=opened)
        for task in case.tasks.all():
            due = workcalendar.due_date(timezone.localdate(opened), task.reminder_days * 3)
            Task.objects.filter(pk=task.pk).update(created_at=opened, last_activity_at=opened, due_date=due)
        state = number % 5
        tasks = list(case.tasks.select_related("department").order_by("id"))
        if state == 0:
            continue  # just routed, nobody has looked yet
        if state == 1:
            services.task_start(task=tasks[0], user=_worker(tasks[0], people))
            continue
        reason = "partly_fixed" if state == 3 else "fixed"
        for task in tasks:
            services.task_close(task=task, user=_worker(task, people), reason=reason,
                                note="Sopralluogo e intervento eseguiti.")  # fmt: skip
        closed_on = min(opened + dt.timedelta(days=int(rng.integers(2, 25))), now)
        Case.objects.filter(pk=case.pk).update(closed_at=closed_on)
        Task.objects.filter(case=case).update(closed_at=closed_on)
        if state == 4:  # the citizen answered the questionnaire; a "no" reopens the case
            check = FixedCheck.objects.create(case=case, report=report, closure=0, sent_at=now)
            services.fixed_check_answer(check=check, answer=("yes", "partly", "no")[number % 3])
    return Case.objects.count()


def _worker(task: Task, people: dict[str, User]) -> User:
    """The demo person of the task's department (the lighting member for lighting), else the demo superuser."""
    if task.department.code == "lighting":
        return people["demo-lighting"]
    member = User.objects.filter(memberships__department=task.department).order_by("username").first()
    return member or User.objects.filter(is_superuser=True).order_by("id").first()
