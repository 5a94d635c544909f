"""The staff roles (Django groups) and the checks views use."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

OFFICER = "officer"
MODERATOR = "moderator"
GRANTS_ADMIN = "grants_admin"
ALL_ROLES = (OFFICER, MODERATOR, GRANTS_ADMIN)
# Who may open the officers' dashboards: officers, and the other staff roles who work beside them.
DASHBOARD_ROLES = ALL_ROLES


def has_role(user, *roles: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=roles).exists()


def role_required(*roles: str):
    """Anonymous users go to the login page; logged-in users without one of the roles get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
