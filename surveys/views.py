"""The questionnaire (citizens) and the campaign page (staff: response rates, letters, e-mails, reminders)."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from city import csvexport
from city.roles import DASHBOARD_ROLES, role_required
from reports.ratelimit import client_ip, rate_limit_refund, rate_limit_take

from . import selectors, services, tasks
from .forms import QuestionnaireForm
from .models import Campaign


def _map_ctx() -> dict:
    return {
        "centre": settings.OBSERVATORY_CITY_CENTRE,
        "tiles_url": settings.OBSERVATORY_MAP_TILES_URL,
        "tiles_attribution": settings.OBSERVATORY_MAP_TILES_ATTRIBUTION,
    }


def survey_list(request: HttpRequest) -> HttpResponse:
    """The surveys a person can answer now."""
    return render(request, "surveys/survey_list.html", {"campaigns": list(selectors.campaigns_answerable())})


def campaign_answer(request: HttpRequest, code: str) -> HttpResponse:
    """The questionnaire of a campaign: one page, no JavaScript needed; a probability sample asks for the
    invitation code (pre-filled from the e-mail's link). Errors come back on the fields, in the person's
    language, with status 400; nothing is saved unless everything is right."""
    campaign = selectors.campaign_for_answering(code)
    if campaign is None:
        raise Http404
    now = timezone.now()
    if not campaign.is_open_at(now):
        return render(
            request,
            "surveys/closed.html",
            {"campaign": campaign},
            status=410 if campaign.closes_at and now >= campaign.closes_at else 403,
        )
    if request.method == "POST":
        form = QuestionnaireForm(request.POST, campaign=campaign)
        # An open link is limited per connection like the report form: only an answer that would be saved
        # counts (a form with mistakes does not), and a refused one is shown again with what was typed.
        limited = campaign.mode == Campaign.Mode.OPEN
        ip = client_ip(request)
        wait_seconds = rate_limit_take(ip) if limited and form.is_valid() else 0
        if wait_seconds:
            form.add_error(
                None,
                ngettext(
                    "Many answers came from your connection in a short time: please send again in %(minutes)s minute.",
                    "Many answers came from your connection in a short time: please send again in %(minutes)s minutes.",
                    max(1, math.ceil(wait_seconds / 60)),
                )
                % {"minutes": max(1, math.ceil(wait_seconds / 60))},
            )
            ctx = {"campaign": campaign, "version": campaign.instrument_version, "form": form, **_map_ctx()}
            response = render(request, "surveys/questionnaire.html", ctx, status=429)
            response["Retry-After"] = str(wait_seconds)
            return response
        if form.is_valid():
            data = form.cleaned_data
            try:
                zone, zone_source = services.residence_resolve(
                    campaign=campaign,
                    location=form.location(),
                    zone=data.get("zone"),
                    address=data.get("address") or "",
                )
                services.response_submit(
                    campaign=campaign,
                    safe_after_dark=data["safe_after_dark"],
                    sex=data.get("sex") or "",
                    age_band=data.get("age_band") or "",
                    zone=zone,
                    zone_source=zone_source,
                    answers=form.answers(),
                    invitation_code=data.get("invitation_code") or "",
                )
            except ValidationError as error:
                if limited:
                    rate_limit_refund(ip)
                for key, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(form.field_for_error(key), message)
            else:
                return redirect("surveys:thanks", code=campaign.code)
    else:
        form = QuestionnaireForm(campaign=campaign, initial={"invitation_code": request.GET.get("code", "")[:32]})
    ctx = {"campaign": campaign, "version": campaign.instrument_version, "form": form, **_map_ctx()}
    return render(request, "surveys/questionnaire.html", ctx, status=400 if form.errors else 200)


def campaign_opt_out(request: HttpRequest, code: str) -> HttpResponse:
    """The link in every invitation e-mail: "write to me no more". GET asks to confirm (a mail scanner that
    follows links must not opt anyone out), POST records it; an unknown code is a 400 that says so."""
    campaign = get_object_or_404(Campaign.objects.filter(mode=Campaign.Mode.PROBABILITY), code=code)
    invitation_code = (request.POST.get("code") if request.method == "POST" else request.GET.get("code")) or ""
    ctx = {"campaign": campaign, "code": invitation_code[:32], "done": False, "error": ""}
    if request.method == "POST":
        try:
            services.invitation_opt_out(campaign=campaign, code=invitation_code)
        except ValidationError as error:
            ctx["error"] = error.messages[0]
            return render(request, "surveys/opt_out.html", ctx, status=400)
        ctx["done"] = True
    return render(request, "surveys/opt_out.html", ctx)


def campaign_thanks(request: HttpRequest, code: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.exclude(mode=Campaign.Mode.IMPORT), code=code)
    return render(request, "surveys/thanks.html", {"campaign": campaign})


@role_required(*DASHBOARD_ROLES)
def campaign_status(request: HttpRequest, code: str) -> HttpResponse:
    """Staff: a campaign's answers and, for a probability sample, invitations and response rate per zone."""
    campaign = get_object_or_404(Campaign.objects.select_related("instrument_version__instrument"), code=code)
    ctx = {
        "campaign": campaign,
        "rates": selectors.response_rates(campaign),
        "answers": campaign.responses.count(),
        "draw": campaign.draws.first(),
        "weighting_run": campaign.weighting_runs.first(),
    }
    return render(request, "surveys/campaign_status.html", ctx)


def _require_campaign_manager(request: HttpRequest) -> None:
    """Letters hold addresses and sending writes to people: for those who may change campaigns (admins)."""
    if not request.user.has_perm("surveys.change_campaign"):
        raise PermissionDenied


@role_required(*DASHBOARD_ROLES)
def campaign_letters_csv(request: HttpRequest, code: str) -> HttpResponse:
    """Campaign managers: the invitation codes of a probability sample, one row per letter to print."""
    _require_campaign_manager(request)
    campaign = get_object_or_404(Campaign, code=code, mode=Campaign.Mode.PROBABILITY)
    return csvexport.csv_response(
        f"{campaign.code}-invitations.csv", services.LETTER_COLUMNS, services.invitations_letters(campaign)
    )


@require_POST
@role_required(*DASHBOARD_ROLES)
def campaign_send(request: HttpRequest, code: str, what: str) -> HttpResponse:
    """Campaign managers: e-mail the invitations, or remind those who have not answered (a Celery task after
    commit)."""
    _require_campaign_manager(request)
    campaign = get_object_or_404(Campaign, code=code, mode=Campaign.Mode.PROBABILITY)
    task = {"invitations": tasks.email_invitations, "reminders": tasks.email_reminders}.get(what)
    if task is None:
        raise Http404
    transaction.on_commit(lambda: task.delay(campaign.pk))
    if what == "invitations":
        messages.success(request, _("The invitations are being e-mailed."))
    else:
        messages.success(request, _("The reminders are being e-mailed to those who have not answered."))
    return redirect("surveys:status", code=campaign.code)
