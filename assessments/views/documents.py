"""Issue a report as an official document (a staff action; POST from the report centre).

Thin: the form says which report, unit and year (and, to re-issue, which document it
replaces and why); the issue is queued (assessments.reports.issue_jobs) and its page shows
the worker's progress, then the document's number and a link to it in the register.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from documents import selectors as document_selectors
from partybuild.jobs import percent, warn_if_unsent

from ..reports import issue_jobs
from .reports import DocumentIssueForm, ReportJobListView

IssueState = issue_jobs.State


class DocumentIssueView(ReportJobListView):
    """Issue (POST): checked at once, then queued; the worker numbers, freezes, renders."""

    http_method_names = ["post"]

    def post(self, request):
        form = DocumentIssueForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(issue_form=form), status=400)
        data = form.cleaned_data
        supersedes = None
        if data.get("supersedes"):
            supersedes = document_selectors.document_get(user=request.user, pk=data["supersedes"])
        try:
            job, created = issue_jobs.issuejob_request(
                actor=request.user,
                kind=data["kind"],
                organization=data["organization"],
                year=data["year"],
                supersedes=supersedes,
                reason=data.get("reason") or "",
            )
        except PermissionDenied as exc:
            if supersedes is not None:
                raise Http404 from exc
            form.add_error(None, str(exc))
        except ValidationError as exc:
            if supersedes is not None:
                messages.error(request, " ".join(exc.messages))
                return redirect("documents:issueddocument_detail", pk=supersedes.pk)
            form.add_error(None, exc)
        else:
            if not created:
                messages.info(request, _("This document is already being issued."))
            warn_if_unsent(request, job)
            return redirect("assessments:issuejob_detail", pk=job.pk)
        return self.render_to_response(self.get_context_data(issue_form=form), status=400)


def issue_job_context(job) -> dict:
    state = issue_jobs.issuejob_display_state(job)
    return {
        "job": job,
        "state": state,
        "state_label": IssueState(state).label,
        "is_stale": issue_jobs.issuejob_is_stale(job),
        "finished": state in (IssueState.DONE, IssueState.FAILED),
        "percent": (
            100 if state == IssueState.DONE else percent(job.progress_done, job.progress_total)
        ),
    }


class IssueJobDetailView(TemplateView):
    """One issue on its way: live progress, then its number and the link to the register."""

    template_name = "assessments/issuejob_detail.html"

    def get_context_data(self, **kwargs):
        job = issue_jobs.issuejob_get(user=self.request.user, pk=kwargs["pk"])
        return {**super().get_context_data(**kwargs), **issue_job_context(job)}


class IssueJobProgressView(TemplateView):
    """The progress partial, polled by htmx every second until the issue is finished."""

    template_name = "assessments/issuejob_progress.html"

    def get_context_data(self, **kwargs):
        job = issue_jobs.issuejob_get(user=self.request.user, pk=kwargs["pk"])
        return {**super().get_context_data(**kwargs), **issue_job_context(job)}
