"""The dashboards' Plotly figures, built from selector rows; views only place them on the page.

Each function returns the figure as plain data for ``json_script`` (``to_plotly_json``: no second
validation pass, unlike ``to_json``).
"""

from __future__ import annotations

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from city import nightslots
from indicators import registry

MARGIN = {"l": 50, "r": 10, "t": 10, "b": 40}
WEEK_AXIS = {"type": "date", "tickformat": "%d %b %Y"}
NIGHT_COLOUR, BASELINE_COLOUR = "#2c7bb6", "#fdae61"


def _error_bars(rows: list[dict], *, value: str = "value") -> dict:
    """Asymmetric error bars from each row's lower and upper bounds (none where a bound is missing)."""
    return {
        "type": "data",
        "symmetric": False,
        "array": [(r["upper"] - r[value]) if r["upper"] is not None and r[value] is not None else 0 for r in rows],
        "arrayminus": [(r[value] - r["lower"]) if r["lower"] is not None and r[value] is not None else 0 for r in rows],
    }


INTERVENTION_COLOUR = "#5c2d91"


def _intervention_markers(figure: go.Figure, markers: list[dict] | None) -> None:
    """Interventions on the timeline: a dashed line at each start and a triangle at the top with what was done.

    The triangles sit on a hidden second y axis (0-1) so they stay at the top whatever the metric's scale.
    """
    if not markers:
        return
    for marker in markers:
        figure.add_vline(x=marker["start_on"].isoformat(), line_dash="dash", line_color=INTERVENTION_COLOUR,
                         line_width=1, opacity=0.6)  # fmt: skip
    figure.add_trace(
        go.Scatter(
            x=[m["start_on"].isoformat() for m in markers],
            y=[0.97] * len(markers),
            yaxis="y2",
            mode="markers",
            marker={"symbol": "triangle-down", "size": 11, "color": INTERVENTION_COLOUR},
            name=_("Interventions"),
            text=[f"{m['what']} ({m['kind_label']})" for m in markers],
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    figure.update_layout(yaxis2={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True})


def city_trend(trend: list[tuple], markers: list[dict] | None = None) -> dict:
    """City-wide weekly share of reporters who felt safe, per slot, with the interventions on the timeline.

    Reporters chose to report: no national survey figure is drawn beside their share."""
    figure = go.Figure()
    for code, label in nightslots.slot_choices():
        weeks = [(week, n, k) for week, s, n, k in trend if s == code]
        if weeks:
            figure.add_trace(
                go.Scatter(
                    x=[w.isoformat() for w, _n, _k in weeks],
                    y=[round(100 * k / n, 1) for _w, n, k in weeks],
                    customdata=[n for _w, n, _k in weeks],
                    name=str(label),
                    mode="lines+markers",
                    hovertemplate="%{x}: %{y}% (n=%{customdata})<extra>" + str(label) + "</extra>",
                )
            )
    _intervention_markers(figure, markers)
    figure.update_layout(
        yaxis={"title": _("Percent of reporters who felt safe (very or fairly)"), "range": [0, 100]},
        xaxis={"title": _("Week"), **WEEK_AXIS},
        margin=MARGIN,
        height=340,
        legend={"orientation": "h"},
    )
    return figure.to_plotly_json()


def zone_trend(series: list[dict], *, metric: str, markers: list[dict] | None = None) -> dict:
    """One zone's weekly values of a metric per slot, with their intervals, and the interventions' starts."""
    figure = go.Figure()
    for slot, label in nightslots.slot_choices():
        points = [r for r in series if r["slot"] == slot and r["metric"] == metric and r["value"] is not None]
        if points:
            figure.add_trace(
                go.Scatter(
                    x=[p["week"] for p in points],
                    y=[p["value"] for p in points],
                    error_y=_error_bars(points),
                    customdata=[p["n"] for p in points],
                    name=str(label),
                    mode="lines+markers",
                    hovertemplate="%{x}: %{y} (n=%{customdata})<extra>" + str(label) + "</extra>",
                )
            )
    _intervention_markers(figure, markers)
    figure.update_layout(
        yaxis={"title": str(registry.METRIC_LABELS[metric])},
        xaxis={"title": _("Week"), **WEEK_AXIS},
        margin=MARGIN,
        height=320,
        legend={"orientation": "h"},
    )
    return figure.to_plotly_json()


def zone_slots(comparison: list[dict], *, metric: str) -> dict:
    """One zone's metric in each slot of the period; the daytime baseline slot in its own colour."""
    bars = [r for r in comparison if r["metric"] == metric]
    labels = dict(nightslots.slot_choices())
    baseline = nightslots.baseline_slot()
    figure = go.Figure(
        go.Bar(
            x=[str(labels.get(r["slot"], r["slot"])) for r in bars],
            y=[r["value"] for r in bars],
            customdata=[r["n"] for r in bars],
            hovertemplate="%{x}: %{y} (n=%{customdata})<extra></extra>",
            marker_color=[BASELINE_COLOUR if r["slot"] == baseline else NIGHT_COLOUR for r in bars],
        )
    )
    figure.update_layout(yaxis={"title": str(registry.METRIC_LABELS[metric])}, margin=MARGIN, height=260)
    return figure.to_plotly_json()


def compare(rows: list[dict], *, metric: str) -> dict:
    """A few zones side by side on one metric, with their intervals."""
    chosen = [r for r in rows if r["metric"] == metric]
    figure = go.Figure(
        go.Bar(
            x=[r["code"] for r in chosen],
            y=[r["value"] for r in chosen],
            error_y=_error_bars(chosen),
            customdata=[r["n"] for r in chosen],
            hovertemplate="%{x}: %{y} (n=%{customdata})<extra></extra>",
            marker_color=NIGHT_COLOUR,
        )
    )
    figure.update_layout(yaxis={"title": str(registry.METRIC_LABELS[metric])}, margin=MARGIN, height=300)
    return figure.to_plotly_json()
