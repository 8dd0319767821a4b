"""Issue a report as an official document (a staff action; POST from the report centre).

Thin: the form says which report, unit and year (and, to re-issue, which document it
replaces and why); assessments.reports.issuing does the rest and the register shows it.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from documents import selectors as document_selectors

from ..reports import issuing
from .reports import DocumentIssueForm, ReportJobListView


class DocumentIssueView(ReportJobListView):
    """Issue (POST): number given once, snapshot frozen, PDF/A ready to sign."""

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
            document = issuing.report_issue(
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
            messages.success(
                request,
                _("Issued %(number)s. Download it, sign it, and upload the signed file here.")
                % {"number": document.number},
            )
            return redirect("documents:issueddocument_detail", pk=document.pk)
        return self.render_to_response(self.get_context_data(issue_form=form), status=400)
