"""The applicants' pages. Every page about an application reads it through ``ApplicationDraft.objects.of(user)``:
someone else's application, or its documents, is a 404 exactly like one that does not exist."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grants.models import Application, Call
from grants.views import download_name

from . import receipt, services
from .forms import ApplicantLoginForm, DraftForm, RegisterForm, draft_initial
from .models import ApplicantAccount, ApplicationDraft, DraftAttachment


def applicant_required(view=None, *, anonymous_404: bool = True):
    """Logged in with a verified applicant's account; anyone else gets a 404, the same as for an application
    that does not exist (anonymous visitors of "My applications" are sent to the login instead)."""
    if view is None:
        return functools.partial(applicant_required, anonymous_404=anonymous_404)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            if anonymous_404:
                raise Http404(_("No such application."))
            return redirect(f"{reverse('applicants:login')}?next={request.get_full_path()}")
        account = ApplicantAccount.objects.filter(user=request.user, verified_at__isnull=False).first()
        if account is None:
            raise Http404(_("No such application."))
        request.applicant = account
        return view(request, *args, **kwargs)

    return wrapper


def _own_draft(request: HttpRequest, draft_id: int) -> ApplicationDraft:
    return get_object_or_404(
        ApplicationDraft.objects.of(request.user).select_related("call__online", "application"), pk=draft_id
    )


def home(request: HttpRequest) -> HttpResponse:
    calls = services.open_calls()
    ctx = {
        "calls": [{"call": c, "deadline": services.deadline_label(c.online.deadline)} for c in calls],
        "is_applicant": request.user.is_authenticated and hasattr(request.user, "applicant_account"),
    }
    return render(request, "grants/applicants/home.html", ctx)


def register(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_register(
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(request, "grants/applicants/register_done.html", {"email": form.cleaned_data["email"]})
    return render(request, "grants/applicants/register.html", {"form": form})


def verify(request: HttpRequest, token: str) -> HttpResponse:
    try:
        services.account_verify(token)
    except ValidationError as error:
        return render(request, "grants/applicants/verify_failed.html", {"errors": error.messages}, status=400)
    messages.success(request, _("Your e-mail is confirmed: log in to start your application."))
    return redirect("applicants:login")


class ApplicantLoginView(auth_views.LoginView):
    template_name = "grants/applicants/login.html"
    authentication_form = ApplicantLoginForm

    def get_default_redirect_url(self):
        return reverse("applicants:mine")


@applicant_required(anonymous_404=False)
def mine(request: HttpRequest) -> HttpResponse:
    drafts = ApplicationDraft.objects.of(request.user).select_related("call__online", "application")
    rows = []
    now = timezone.now()
    for draft in drafts:
        deadline = services.call_deadline(draft.call)
        rows.append(
            {
                "draft": draft,
                "deadline": services.deadline_label(deadline) if deadline else "",
                "open": deadline is not None and now < deadline,
                "status": draft.application.get_status_display()
                if draft.application_id
                else draft.get_status_display(),
            }
        )
    ctx = {"rows": rows, "calls": services.open_calls(now)}
    return render(request, "grants/applicants/mine.html", ctx)


@require_POST
@applicant_required(anonymous_404=False)
def start(request: HttpRequest, call_id: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=call_id, published_at__isnull=False)
    try:
        draft = services.draft_start(owner=request.user, call=call)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("applicants:mine")
    return redirect("applicants:draft", draft.pk)


@applicant_required
def draft_view(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _own_draft(request, draft_id)
    deadline = services.call_deadline(draft.call)
    now = timezone.now()
    editable = draft.status == ApplicationDraft.Status.DRAFT and deadline is not None and now < deadline
    if not editable:
        return _draft_summary(request, draft, deadline)
    if request.method == "POST":
        form = DraftForm(request.POST, request.FILES, draft=draft)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in services.DRAFT_FIELDS}
            try:
                services.draft_save(
                    draft=draft, data=data, zones=form.cleaned_data["zones"], lines=form.lines, uploads=form.uploads(),
                    sites=form.sites, team=form.team, declared=form.declared(),
                )  # fmt: skip
                if request.POST.get("action") == "submit":
                    services.draft_submit(draft=draft)
                    messages.success(
                        request, _("Application submitted: the receipt is below and on its way by e-mail.")
                    )
                else:
                    messages.success(request, _("Draft saved. You can come back and change it until the deadline."))
                return redirect("applicants:draft", draft.pk)
            except ValidationError as error:
                form.add_error(None, error)
        status = 400
    else:
        form = DraftForm(initial=draft_initial(draft), draft=draft)
        status = 200
    draft.refresh_from_db()
    ctx = {
        "draft": draft,
        "form": form,
        "deadline": services.deadline_label(deadline),
        "rules": services.online_rules(draft.call),
        "budget_rows": form.budget_rows(),
        "site_rows": form.site_rows(),
        "chosen_zones": draft.zones.count(),
        "team_rows": form.team_rows(),
        "map": _map_context(),
        "attachments": {a.kind_id: a for a in draft.attachments.all()},
        "problems": services.draft_problems(draft) if request.method == "GET" else [],
    }
    return render(request, "grants/applicants/draft_form.html", ctx, status=status)


def _map_context() -> dict:
    """What the sites' map needs: the city's centre and the base tiles (the only outside resource; without
    them the observatory's own layers still draw the city)."""
    return {
        "centre": settings.OBSERVATORY_CITY_CENTRE,
        "tiles_url": settings.OBSERVATORY_MAP_TILES_URL,
        "tiles_attribution": settings.OBSERVATORY_MAP_TILES_ATTRIBUTION,
    }


def _draft_summary(request: HttpRequest, draft: ApplicationDraft, deadline) -> HttpResponse:
    now = timezone.now()
    ctx = {
        "draft": draft,
        "deadline": services.deadline_label(deadline) if deadline else "",
        "before_deadline": deadline is not None and now < deadline,
        "can_withdraw": (
            draft.status == ApplicationDraft.Status.SUBMITTED
            and deadline is not None
            and now < deadline
            and draft.application.status == draft.application.Status.SUBMITTED
        ),
        "submitted_at": services.deadline_label(draft.submitted_at) if draft.submitted_at else "",
        "events": [
            {"at": e.at, "status": Application.Status(e.to_status).label, "note": e.note}
            for e in (draft.application.events.all() if draft.application_id else [])
        ],
        "application": draft.application,
    }
    return render(request, "grants/applicants/draft_summary.html", ctx)


@applicant_required
def attachment(request: HttpRequest, draft_id: int, attachment_id: int) -> HttpResponse:
    draft = _own_draft(request, draft_id)
    document = get_object_or_404(DraftAttachment, pk=attachment_id, draft=draft)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404(_("No such attachment.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=download_name(document.original_name), content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@applicant_required
def receipt_pdf(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _own_draft(request, draft_id)
    if draft.protocol_number is None:
        raise Http404(_("No receipt: the application is not submitted yet."))
    pdf = receipt.receipt_pdf(draft, language=translation.get_language() or draft.language)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{receipt.receipt_filename(draft)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@applicant_required
def withdraw(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _own_draft(request, draft_id)
    if request.method == "POST":
        try:
            services.application_withdraw(draft=draft)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The application is withdrawn."))
        return redirect("applicants:draft", draft.pk)
    return render(request, "grants/applicants/withdraw.html", {"draft": draft})
