"""Did funded places come to feel safer? The funded projects read through the one estimator of interventions.

A funded project has its intervention row (``Project.intervention``, kept in step by the grants'
services), so ``interventions.impact`` measures projects and every other intervention alike: the same
stacked difference-in-differences, the same clean controls (zones no intervention treats by the end
of the post window), the same intervals and caveats (docs/methodology.md). This module only maps
projects to their interventions and back, and re-exports the estimator's names the grants pages and
their tests use.
"""

from __future__ import annotations

from dataclasses import replace

from interventions import impact as estimator
from interventions.impact import (  # noqa: F401  (the grants' names for the shared estimator)
    AFTER_DARK,
    BOOTSTRAP_DRAWS,
    CONTROLS_PER_TREATED,
    DEFAULT_WINDOW_NIGHTS,
    MIN_ANSWERS,
    MIN_CONTROLS,
    MIN_POST_NIGHTS,
    MIN_PSI_WEEKS,
    OUTCOMES,
    PSI,
    SHARE,
    DidEstimate,
    Impact,
    ProgrammeImpact,
    Stack,
    Treatment,
    _psi_windows,
    _share_windows,
    did_estimate,
    match_controls,
    slot_choices,
    stacked_did,
    t_quantile_975,
    treatments,
)

from .models import Project

ProjectImpact = Impact


def _project_interventions() -> dict[int, int]:
    """Intervention id -> project id, for the projects that were not withdrawn."""
    return dict(
        Project.objects.exclude(status=Project.Status.WITHDRAWN)
        .exclude(intervention__isnull=True)
        .values_list("intervention_id", "pk")
    )


def impact_for_project(project_id: int, **options) -> Impact | None:
    """The impact of one project (None if it was withdrawn)."""
    intervention_id = (
        Project.objects.exclude(status=Project.Status.WITHDRAWN)
        .filter(pk=project_id)
        .values_list("intervention_id", flat=True)
        .first()
    )
    if intervention_id is None:
        return None
    result = estimator.impact_for_intervention(intervention_id, **options)
    return replace(result, project_id=project_id) if result is not None else None


def programme_impact(**options) -> ProgrammeImpact:
    """Every project's experiment and, per outcome and slot, the stacked estimate over the projects with one."""
    projects = _project_interventions()
    programme = estimator.programme_impact(projects, **options)
    programme.projects = [replace(p, project_id=projects[p.intervention_id]) for p in programme.projects]
    return programme
