"""What the site layout needs on every page: which staff pages the user may open, so a link they cannot
follow is not shown (computed lazily: anonymous pages pay nothing)."""

from django.utils.functional import SimpleLazyObject

from city.roles import DASHBOARD_ROLES, MODERATOR, OFFICER, has_role


def _links(user) -> dict[str, bool]:
    if not user.is_authenticated:
        return {"dashboard": False, "moderation": False, "cases": False}
    return {
        "dashboard": has_role(user, *DASHBOARD_ROLES),
        "moderation": has_role(user, MODERATOR),
        "cases": has_role(user, OFFICER) or user.memberships.exists(),
    }


def staff_links(request) -> dict:
    return {"staff_links": SimpleLazyObject(lambda: _links(request.user))}
