"""The report centre: ask for a report, watch it render, download it, retry a failed one.

Thin views over assessments.reports (services and selectors); the rendering itself runs in
the Celery worker (assessments.tasks). Units come through cells.selectors.organization_get and
jobs through reportjob_get, so another unit's or another user's job is a 404.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from cells import selectors as cells_selectors
from cells.choices import OrganizationType
from partybuild.jobs import percent, warn_if_unsent

from .. import schemes
from ..models import ReportJob
from ..reports import issuing, pieces, selectors, services


def _years():
    last = timezone.localdate().year
    return [(y, str(y)) for y in range(last, schemes.FIRST_YEAR - 1, -1)]


def _units(user):
    # Cells are listed too: the forms and minutes of a large unit are asked for one cell at a
    # time.
    return cells_selectors.organizations_visible_to(user=user).order_by("path")


class ReportJobForm(forms.Form):
    """Which report, of which unit, for which year, in which format."""

    kind = forms.ChoiceField(label=gettext_lazy("Report"), choices=ReportJob.Kind.choices)
    organization = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=None)
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int, choices=())
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[(ReportJob.Format.PDF, "PDF"), (ReportJob.Format.XLSX, "Excel")],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = _units(user)
        self.fields["organization"].label_from_instance = lambda o: f"{o.code} — {o.name}"
        self.fields["year"].choices = _years()


class ReportBatchForm(forms.Form):
    """Every commune-level unit of a province for a year, one PDF each, offered as a zip."""

    organization = forms.ModelChoiceField(label=gettext_lazy("Province"), queryset=None)
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int, choices=())
    kind = forms.ChoiceField(
        label=gettext_lazy("Report"),
        choices=[(k, ReportJob.Kind(k).label) for k in services.BATCH_KINDS],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = cells_selectors.organizations_visible_to(
            user=user
        ).filter(type__in=[OrganizationType.PROVINCE, OrganizationType.CENTRAL_CITY])
        self.fields["year"].choices = _years()


class DocumentIssueForm(forms.Form):
    """Which report to issue, of which unit and year."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Document"),
        choices=[(k, ReportJob.Kind(k).label) for k in issuing.ISSUABLE_KINDS],
    )
    organization = forms.ModelChoiceField(label=gettext_lazy("Issuing unit"), queryset=None)
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int, choices=())
    supersedes = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Reason for replacing"), required=False, widget=forms.HiddenInput
    )

    prefix = "issue"  # the report centre shows it beside the report form: distinct field ids

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = _units(user)
        self.fields["organization"].label_from_instance = lambda o: f"{o.code} — {o.name}"
        self.fields["year"].choices = _years()


def job_context(job: ReportJob) -> dict:
    state = services.reportjob_display_state(job)
    return {
        "job": job,
        "state": state,
        "state_label": ReportJob.State(state).label,
        "is_stale": services.reportjob_is_stale(job),
        "finished": state in (ReportJob.State.DONE, ReportJob.State.FAILED),
        # A unit's forms in pieces come as a zip per cell too; a cut list is one document.
        "zip_per_cell": job.is_batch and job.kind in pieces.PIECE_KINDS,
        "percent": 100
        if state == ReportJob.State.DONE
        else percent(job.progress_done, job.progress_total),
    }


class ReportJobListView(TemplateView):
    """The report centre: the request forms and my jobs with their live state."""

    template_name = "assessments/reportjob_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        initial = {"year": timezone.localdate().year - 1}
        if self.request.GET.get("org"):
            initial["organization"] = self.request.GET["org"]
        jobs = selectors.reportjobs_mine(user=user)
        return {
            **super().get_context_data(**kwargs),
            "issue_form": kwargs.get("issue_form") or DocumentIssueForm(user=user, initial=initial),
            "form": kwargs.get("form") or ReportJobForm(user=user, initial=initial),
            "batch_form": kwargs.get("batch_form") or ReportBatchForm(user=user, initial=initial),
            "rows": [job_context(j) for j in jobs],
        }


class ReportJobCreateView(ReportJobListView):
    """Ask for one report (POST). The same report already on its way is returned."""

    http_method_names = ["post"]

    def post(self, request):
        form = ReportJobForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data = form.cleaned_data
        try:
            job, created = services.reportjob_request(
                actor=request.user,
                kind=data["kind"],
                organization=data["organization"],
                year=data["year"],
                fmt=data["format"],
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
            return self.render_to_response(self.get_context_data(form=form))
        if not created:
            messages.info(request, _("This report is already being prepared."))
        warn_if_unsent(request, job)
        return redirect("assessments:reportjob_detail", pk=job.pk)


class ReportJobBatchCreateView(ReportJobListView):
    """Ask for the report of every commune-level unit of a province (POST)."""

    http_method_names = ["post"]

    def post(self, request):
        form = ReportBatchForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(batch_form=form))
        data = form.cleaned_data
        try:
            job, created = services.reportjob_batch_request(
                actor=request.user,
                province=data["organization"],
                year=data["year"],
                kind=data["kind"],
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
            return self.render_to_response(self.get_context_data(batch_form=form))
        if not created:
            messages.info(request, _("This report is already being prepared."))
        warn_if_unsent(request, job)
        return redirect("assessments:reportjob_detail", pk=job.pk)


class ReportJobDetailView(TemplateView):
    """One job: its live progress, then the download, or the error and a retry button."""

    template_name = "assessments/reportjob_detail.html"

    def get_context_data(self, **kwargs):
        job = selectors.reportjob_get(user=self.request.user, pk=kwargs["pk"])
        parts = [job_context(p) for p in selectors.batch_parts(job=job)] if job.is_batch else []
        return {**super().get_context_data(**kwargs), **job_context(job), "parts": parts}


class ReportJobProgressView(TemplateView):
    """The progress partial, polled by htmx every second until the job is finished."""

    template_name = "assessments/reportjob_progress.html"

    def get_context_data(self, **kwargs):
        job = selectors.reportjob_get(user=self.request.user, pk=kwargs["pk"])
        return {**super().get_context_data(**kwargs), **job_context(job)}


class ReportJobDownloadView(View):
    """The finished file; every download is audited (member data leaves the system)."""

    def get(self, request, pk):
        job = selectors.reportjob_get(user=request.user, pk=pk)
        try:
            services.reportjob_download(actor=request.user, job=job)
        except (ValidationError, PermissionDenied) as exc:
            raise Http404 from exc
        return FileResponse(
            job.file.open("rb"),
            as_attachment=True,
            filename=job.filename or f"report.{job.format}",
            content_type=services.CONTENT_TYPES[job.format],
        )


class ReportJobZipView(View):
    """A unit's forms made in pieces, as a zip with one PDF per cell (audited)."""

    def get(self, request, pk):
        job = selectors.reportjob_get(user=request.user, pk=pk)
        try:
            filename, content = services.reportjob_parts_zip(actor=request.user, job=job)
        except (ValidationError, PermissionDenied) as exc:
            raise Http404 from exc
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ReportJobRetryView(View):
    """Queue again a failed job, or a batch's failed units (POST only)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        job = selectors.reportjob_get(user=request.user, pk=pk)
        try:
            services.reportjob_retry(actor=request.user, job=job)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("assessments:reportjob_detail", pk=job.pk)
