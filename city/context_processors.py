"""What the site layout needs on every page: which staff pages the user may open, so a link they cannot
follow is not shown (computed lazily, in one query for the user's groups: anonymous pages pay nothing)."""

from django.utils.functional import SimpleLazyObject

from city.roles import DASHBOARD_ROLES, MODERATOR, OFFICER


def _links(user) -> dict[str, bool]:
    if not user.is_authenticated or not user.is_active:
        return {"dashboard": False, "moderation": False, "cases": False}
    if user.is_superuser:
        return {"dashboard": True, "moderation": True, "cases": True}
    groups = set(user.groups.values_list("name", flat=True))
    return {
        "dashboard": bool(groups & set(DASHBOARD_ROLES)),
        "moderation": MODERATOR in groups,
        # Department people who are not officers have a queue too (one more query, only for them).
        "cases": OFFICER in groups or user.memberships.exists(),
    }


def staff_links(request) -> dict:
    return {"staff_links": SimpleLazyObject(lambda: _links(request.user))}
