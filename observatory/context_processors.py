"""What every page's frame needs: the citizens' menu, the staff menu for signed-in staff, and the city's
privacy and accessibility details for the footer (settings, so each city sets its own)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from city.roles import DASHBOARD_ROLES, MODERATOR, OFFICER

logger = logging.getLogger(__name__)


def _item(request: HttpRequest, url: str, label: str, *, exact: bool = False) -> dict:
    path = request.path if request is not None else ""
    current = path == url if exact else path.startswith(url)
    return {"url": url, "label": label, "current": current}


def staff_roles(user) -> set[str]:
    """The staff roles of ``user`` in one query (none for anonymous callers); a superuser has them all."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return {*DASHBOARD_ROLES, MODERATOR}
    return set(user.groups.values_list("name", flat=True))


def site(request: HttpRequest) -> dict:
    citizen_menu = [
        _item(request, reverse("reports:new"), _("Report")),
        _item(request, reverse("reports:lookup"), _("Follow a report"), exact=True),
        _item(request, reverse("public-map"), _("Map of reports")),
        _item(request, reverse("grants:projects"), _("Funded projects")),
        _item(request, reverse("surveys:list"), _("Surveys")),
        _item(request, reverse("applicants:home"), _("Apply for a grant")),
    ]
    user = getattr(request, "user", None)
    try:
        roles = staff_roles(user)
        # Officers see every case; members of a department (or council, or partner) see their own queue.
        cases = OFFICER in roles or (user is not None and user.is_authenticated and user.memberships.exists())
    except Exception:  # the database may be what is down (the 500 page): then the frame shows no staff menu
        logger.warning("staff roles could not be read for the menu", exc_info=True)
        roles, cases = set(), False
    staff_menu = []
    if roles & set(DASHBOARD_ROLES):
        staff_menu.append(_item(request, reverse("dashboard"), _("Dashboard")))
    if MODERATOR in roles:
        staff_menu.append(_item(request, reverse("reports:moderation"), _("Moderation")))
    if cases:
        staff_menu.append(_item(request, reverse("cases:queue"), _("Cases")))
    return {
        "site": {
            "citizen_menu": citizen_menu,
            "staff_menu": staff_menu,
            "privacy_controller": settings.OBSERVATORY_PRIVACY_CONTROLLER,
            "privacy_dpo_contact": settings.OBSERVATORY_PRIVACY_DPO_CONTACT,
            "accessibility_statement_url": settings.OBSERVATORY_ACCESSIBILITY_STATEMENT_URL,
        }
    }
