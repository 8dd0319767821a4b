"""Interchange imports from the UI: upload → background check → preview → confirm → write.

Thin views over cells.jobs; the work itself runs in the Celery worker (cells.tasks).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from partybuild.jobs import percent, warn_if_unsent

from .. import jobs
from ..choices import ImportJobStatus
from ..imports import ImportKind


class ImportJobForm(forms.Form):
    """What the file contains, the unit it goes into, and the file."""

    kind = forms.ChoiceField(label=gettext_lazy("File contents"), choices=ImportKind.choices)
    organization = forms.ModelChoiceField(
        label=gettext_lazy("Unit"),
        queryset=None,
        required=False,
        help_text=gettext_lazy(
            "Required for members and events. Every row of the file must belong to this unit."
        ),
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8) or XLSX, header row first."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.data.get("kind") or self.initial.get("kind") or ImportKind.MEMBERS
        self.fields["organization"].queryset = jobs.organizations_importable_by(
            user=user, kind=kind
        )
        self.fields["organization"].label_from_instance = lambda o: f"{o.code} — {o.name}"


class ImportJobListView(ListView):
    """My import jobs and those of the units I can see."""

    template_name = "cells/importjob_list.html"
    context_object_name = "jobs"
    paginate_by = 50

    def get_queryset(self):
        return jobs.importjobs_visible_to(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for job in context["jobs"]:
            job.display_status = jobs.importjob_display_status(job)
            job.display_status_label = ImportJobStatus(job.display_status).label
        context["can_import"] = jobs.can_import_anything(self.request.user)
        return context


class ImportJobCreateView(FormView):
    """Upload a file: it is stored and checked in the background, nothing is written yet."""

    template_name = "cells/importjob_create.html"
    form_class = ImportJobForm

    def dispatch(self, request, *args, **kwargs):
        if not jobs.can_import_anything(request.user):
            raise PermissionDenied(_("You have no unit to import into."))
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        kind = self.request.GET.get("kind")
        return {"kind": kind} if kind in ImportKind.values else {}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["kinds"] = ImportKind.choices
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            job = jobs.importjob_create(
                actor=self.request.user,
                kind=data["kind"],
                organization=data["organization"],
                uploaded_file=data["file"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        except PermissionDenied as exc:
            form.add_error("organization", str(exc))
            return self.form_invalid(form)
        warn_if_unsent(self.request, job)
        return redirect("cells:importjob_detail", pk=job.pk)


class _JobContextMixin:
    """The job named by the URL, its status and progress: the page and its polled partial."""

    def get_context_data(self, **kwargs):
        job = jobs.importjob_get(user=self.request.user, pk=kwargs["pk"])
        return {**super().get_context_data(**kwargs), **self.job_context(job)}

    def job_context(self, job) -> dict:
        status = jobs.importjob_display_status(job)
        return {
            "job": job,
            "status": status,
            "status_label": ImportJobStatus(status).label,
            "is_stale": jobs.importjob_is_stale(job),
            "finished": status in jobs.FINISHED_STATUSES,
            "percent": percent(job.progress_done, job.progress_total or 0),
            "errors": jobs.importjob_sorted_errors(job)
            if status == ImportJobStatus.INVALID
            else [],
            "error_count": max(job.error_count, len(job.errors)),
            "confirmable": bool(jobs.importjob_confirmable(job)),
            "changes": job.changes if status == ImportJobStatus.READY else [],
            "can_act": jobs.can_import(
                self.request.user, kind=job.kind, organization=job.organization
            ),
        }


class ImportJobDetailView(_JobContextMixin, TemplateView):
    """The job's progress, then its preview (errors or counts) and the confirm button."""

    template_name = "cells/importjob_detail.html"


class ImportJobProgressView(_JobContextMixin, TemplateView):
    """The progress partial, polled by htmx every second until the job is finished."""

    template_name = "includes/_importjob_progress.html"


class ImportJobConfirmView(View):
    """Accept the preview: queue the write (POST only)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        job = jobs.importjob_get(user=request.user, pk=pk)
        try:
            job = jobs.importjob_confirm(actor=request.user, job=job)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The import was confirmed: the data is being written."))
            warn_if_unsent(request, job)
        return redirect("cells:importjob_detail", pk=job.pk)


class ImportJobConfirmRowsView(View):
    """Confirm rows refused as probable typos and check the file again (POST only)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        job = jobs.importjob_get(user=request.user, pk=pk)
        try:
            jobs.importjob_confirm_rows(
                actor=request.user, job=job, records=request.POST.getlist("confirm")
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("cells:importjob_detail", pk=job.pk)


class ImportJobRetryView(View):
    """Queue again a job that failed or whose worker was lost (POST only)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        job = jobs.importjob_get(user=request.user, pk=pk)
        try:
            job = jobs.importjob_retry(actor=request.user, job=job)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            warn_if_unsent(request, job)
        return redirect("cells:importjob_detail", pk=job.pk)


class ImportJobTemplateView(View):
    """An empty file of one kind to fill in: an XLSX template, or `?format=csv` for the header
    row of technical names."""

    def get(self, request, kind):
        file_format = "csv" if request.GET.get("format") == "csv" else "xlsx"
        filename, content_type, content = jobs.importjob_template(
            kind=kind, file_format=file_format
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
