"""The forms of Hướng dẫn 43 on screen and as PDFs: members' quarterly self-assessments
(Mẫu 05, entry), the member's self-review (2A / 2B / 2C), the collective's Mẫu 01, the dossier
index (Mẫu 04) with the documents received, and the re-rating decision (Mẫu 03).

Thin views: the unit comes from a scoped selector (another unit is a 404), members through
`inputs.member_in_unit_get`; services write, the builders of reports.forms read. Every PDF
is an export and is audited as one.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from assessments import dossier, inputs, quarterly, selectors, services
from assessments.models import DossierDocument, RatingReopening
from assessments.reports.forms import render as form_render
from assessments.rules.quarters import QUARTERS
from assessments.views.unit import UnitYearMixin
from cells import selectors as cells_selectors
from cells.audit import audit_export
from cells.views.organizations import add_service_errors

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def _exporter(user) -> str:
    return user.get_full_name() or user.get_username()


def _pdf(request, *, content: bytes, filename: str, what: str, organization, filters: dict):
    audit_export(
        actor=request.user, what=what, organization=organization, filename=filename,
        filters=filters,
    )  # fmt: skip
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# === Forms (shape only; the rules are in the services) =========================================
class QuarterlyAssessmentForm(forms.Form):
    points = forms.DecimalField(
        label=gettext_lazy("Points (0–100)"), required=False, max_digits=5, decimal_places=2,
        localize=True,
    )  # fmt: skip
    level = forms.ChoiceField(label=gettext_lazy("Self-assessed level"), required=False)
    results = forms.CharField(
        label=gettext_lazy("Results of assigned tasks"), required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip
    shortcomings = forms.CharField(
        label=gettext_lazy("Shortcomings and remedies"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [
            ("", _("— Not given —")),
            *((lv.slug, lv.label) for lv in scheme.member_levels),
        ]


class DossierDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Document"), choices=DossierDocument.Kind.choices)
    member = forms.TypedChoiceField(
        label=gettext_lazy("Member (for a residence comment)"), required=False, coerce=int,
        empty_value=None,
    )  # fmt: skip
    received_on = forms.DateField(
        label=gettext_lazy("Received on (dd/mm/yyyy)"), input_formats=DATE_FORMATS,
        required=False,
    )  # fmt: skip
    sender = forms.CharField(label=gettext_lazy("From"), max_length=255, required=False)
    summary = forms.CharField(label=gettext_lazy("Summary"), max_length=500, required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "—"), *((m.pk, m.full_name) for m in members)]


# === Mẫu 05: quarterly self-assessments ========================================================
class QuarterlyMixin(UnitYearMixin):
    def load(self) -> None:
        self.load_unit_year(self.kwargs["org_pk"])

    def list_url(self) -> str:
        return reverse(
            "assessments:quarterlyassessment_list",
            kwargs={"org_pk": self.organization.pk, "year": self.year},
        )


class QuarterlyAssessmentListView(QuarterlyMixin, View):
    """A unit's members (one cell with `?chi_bo=`) with their four quarters, the year's
    suggestion, and links to enter a quarter and to print Mẫu 05 and the self-review."""

    def get(self, request, *args, **kwargs):
        self.load()
        end = selectors.period_end(self.year)
        cells = list(cells_selectors.cells_under(organization=self.organization, on=end))
        chosen = next((c for c in cells if str(c.pk) == request.GET.get("chi_bo", "")), None)
        scope = chosen or self.organization
        members = list(cells_selectors.members_of(organization=scope, on=end, subtree=True))
        rows = quarterly.quarters_for_members(members=members, year=self.year)
        cell_names = {c.pk: c.name for c in cells}
        return render(
            request,
            "assessments/quarterlyassessment_list.html",
            {
                "organization": self.organization,
                "ancestors": self.unit_ancestors(),
                "year": self.year,
                "scheme": self.scheme,
                "cells": cells,
                "chosen": chosen,
                "quarters": QUARTERS,
                "rows": [(m, cell_names.get(m.cell_id, ""), rows[m.pk]) for m in members],
                "can_enter": any(
                    quarterly.can_enter_quarters(request.user, c) for c in (cells or [scope])
                ),
            },
        )


class QuarterlyAssessmentEditView(QuarterlyMixin, View):
    """Enter one quarter of one member (the cell secretary, on the member's behalf)."""

    def setup_member(self):
        self.load()
        self.member = inputs.member_in_unit_get(
            organization=self.organization, year=self.year, pk=self.kwargs["member_pk"]
        )
        self.quarter = self.kwargs["quarter"]
        if self.quarter not in QUARTERS:
            raise Http404
        self.cell = cells_selectors.organization_get(user=self.request.user, pk=self.member.cell_id)
        if not quarterly.can_enter_quarters(self.request.user, self.cell):
            raise PermissionDenied
        found = quarterly.quarters_for_members(members=[self.member], year=self.year)
        self.row = found[self.member.pk].by_quarter.get(self.quarter)

    def page(self, form):
        return render(
            self.request,
            "assessments/quarterlyassessment_form.html",
            {
                "organization": self.organization,
                "ancestors": self.unit_ancestors(),
                "year": self.year,
                "member": self.member,
                "cell": self.cell,
                "quarter": self.quarter,
                "row": self.row,
                "form": form,
                "list_url": self.list_url() + f"?chi_bo={self.cell.pk}",
            },
        )

    def get(self, request, *args, **kwargs):
        self.setup_member()
        initial = {}
        if self.row is not None:
            initial = {
                "points": self.row.points,
                "level": self.row.level,
                "results": self.row.results,
                "shortcomings": self.row.shortcomings,
                "version": self.row.version,
            }
        return self.page(QuarterlyAssessmentForm(initial=initial, scheme=self.scheme))

    def post(self, request, *args, **kwargs):
        self.setup_member()
        form = QuarterlyAssessmentForm(request.POST, scheme=self.scheme)
        if not form.is_valid():
            return self.page(form)
        data = form.cleaned_data
        try:
            quarterly.quarterlyassessment_save(
                actor=request.user,
                member=self.member,
                cell=self.cell,
                year=self.year,
                quarter=self.quarter,
                points=data["points"],
                level=data["level"],
                results=data["results"],
                shortcomings=data["shortcomings"],
                version=data["version"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.page(form)
        except services.RatingError as exc:
            form.add_error(None, exc.message)
            return self.page(form)
        messages.success(
            request,
            _("Quarter %(quarter)s of %(name)s was saved.")
            % {"quarter": self.quarter, "name": self.member.full_name},
        )
        return redirect(self.list_url() + f"?chi_bo={self.cell.pk}")


class MemberFormPdfView(QuarterlyMixin, View):
    """One member's pre-filled self-review (2A / 2B / 2C) with its annexes, as a PDF."""

    def get(self, request, *args, **kwargs):
        self.load()
        member = inputs.member_in_unit_get(
            organization=self.organization, year=self.year, pk=self.kwargs["member_pk"]
        )
        content = form_render.member_forms_pdf(
            members=[member],
            organization=selectors.grassroots_for(self.organization) or self.organization,
            year=self.year,
            exported_by=_exporter(request.user),
        )
        return _pdf(
            request,
            content=content,
            filename=f"ban-kiem-diem-{member.record_number or member.pk}-{self.year}.pdf",
            what="form_self_review_pdf",
            organization=self.organization,
            filters={"year": self.year, "member": member.pk},
        )


class QuarterlyPdfView(QuarterlyMixin, View):
    """One member's Mẫu 05 (the quarters and the year) as a PDF."""

    def get(self, request, *args, **kwargs):
        self.load()
        member = inputs.member_in_unit_get(
            organization=self.organization, year=self.year, pk=self.kwargs["member_pk"]
        )
        document = form_render.quarterly_document(
            member=member,
            organization=selectors.grassroots_for(self.organization) or self.organization,
            year=self.year,
            exported_by=_exporter(request.user),
        )
        return _pdf(
            request,
            content=form_render.document_pdf(document),
            filename=f"mau-05-{member.record_number or member.pk}-{self.year}.pdf",
            what="form_05_pdf",
            organization=self.organization,
            filters={"year": self.year, "member": member.pk},
        )


# === Mẫu 01 ====================================================================================
class CollectiveFormPdfView(UnitYearMixin, View):
    """The collective's review report (Mẫu 01) of the unit (a cell or a đảng bộ), as a PDF."""

    def get(self, request, *args, **kwargs):
        self.load_unit_year(self.kwargs["org_pk"])
        document = form_render.collective_document(
            organization=self.organization, year=self.year, exported_by=_exporter(request.user)
        )
        return _pdf(
            request,
            content=form_render.document_pdf(document),
            filename=f"mau-01-{self.organization.code}-{self.year}.pdf",
            what="form_01_pdf",
            organization=self.organization,
            filters={"year": self.year},
        )


# === Mẫu 04: the dossier =======================================================================
class DossierMixin(UnitYearMixin):
    def load(self) -> None:
        self.load_unit_year(self.kwargs["org_pk"])
        # The dossier is the grassroots organization's: a cell's page shows its unit's.
        self.organization = self.grassroots

    def page_url(self) -> str:
        return reverse(
            "assessments:dossier_detail", kwargs={"org_pk": self.organization.pk, "year": self.year}
        )


class DossierDetailView(DossierMixin, View):
    """The Điều 17 checklist of the unit: what the dossier holds and what is still missing;
    an editor records the documents received on paper."""

    def members(self):
        end = selectors.period_end(self.year)
        return list(
            cells_selectors.members_of(organization=self.organization, on=end, subtree=True)
        )

    def page(self, form=None):
        members = self.members()
        return render(
            self.request,
            "assessments/dossier_detail.html",
            {
                "organization": self.organization,
                "ancestors": self.unit_ancestors(),
                "year": self.year,
                "dossier": dossier.dossier_for(organization=self.organization, year=self.year),
                "can_enter": self.can_enter,
                "form": form or DossierDocumentForm(members=members),
                "pdf_url": reverse(
                    "assessments:dossier_pdf",
                    kwargs={"org_pk": self.organization.pk, "year": self.year},
                ),
            },
        )

    def get(self, request, *args, **kwargs):
        self.load()
        return self.page()

    def post(self, request, *args, **kwargs):
        self.load()
        if not self.can_enter:
            raise PermissionDenied
        members = self.members()
        form = DossierDocumentForm(request.POST, members=members)
        if not form.is_valid():
            return self.page(form)
        data = form.cleaned_data
        member = next((m for m in members if m.pk == data["member"]), None)
        try:
            dossier.dossierdocument_record(
                actor=request.user,
                organization=self.organization,
                year=self.year,
                kind=data["kind"],
                received_on=data["received_on"],
                member=member,
                sender=data["sender"],
                summary=data["summary"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.page(form)
        messages.success(request, _("The document was recorded in the dossier."))
        return redirect(self.page_url())


class DossierPdfView(DossierMixin, View):
    """The dossier index (Mẫu 04) as a PDF."""

    def get(self, request, *args, **kwargs):
        self.load()
        document = form_render.dossier_document(
            organization=self.organization, year=self.year, exported_by=_exporter(request.user)
        )
        return _pdf(
            request,
            content=form_render.document_pdf(document),
            filename=f"mau-04-{self.organization.code}-{self.year}.pdf",
            what="form_04_pdf",
            organization=self.organization,
            filters={"year": self.year},
        )


# === Mẫu 03: the re-rating decision ============================================================
def _reopening(user, round_pk, pk) -> RatingReopening:
    round_ = selectors.round_get(user=user, pk=round_pk)
    found = RatingReopening.objects.filter(round=round_, pk=pk).select_related(
        "round__organization", "organization", "document"
    )
    reopening = found.first()
    if reopening is None:
        raise Http404
    return reopening


class ReratingPdfView(View):
    """Mẫu 03 of one reopening of the round: its "DỰ THẢO" until issued; the issued decision
    is the register's (its frozen PDF, which the signers sign)."""

    def get(self, request, pk, reopening_pk):
        reopening = _reopening(request.user, pk, reopening_pk)
        if reopening.document_id is not None:
            return redirect("documents:issueddocument_detail", pk=reopening.document_id)
        document = form_render.rerating_document(
            reopening=reopening, exported_by=_exporter(request.user)
        )
        return _pdf(
            request,
            content=form_render.document_pdf(document),
            filename=f"mau-03-{reopening.round.organization.code}-{reopening.round.year}"
            f"-{reopening.pk}.pdf",
            what="form_03_pdf",
            organization=reopening.round.organization,
            filters={"year": reopening.round.year, "reopening": reopening.pk},
        )


class ReratingIssueView(View):
    """Issue Mẫu 03 (its number is given once) after the round was decided again."""

    http_method_names = ["post"]

    def post(self, request, pk, reopening_pk):
        reopening = _reopening(request.user, pk, reopening_pk)
        if not form_render.may_issue_rerating(request.user, reopening):
            raise PermissionDenied
        try:
            issued = form_render.rerating_issue(actor=request.user, reopening=reopening)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("The re-rating decision was issued as %(number)s.")
                % {"number": issued.document.number},
            )
        return redirect("assessments:review_detail", pk=pk)
