"""The register (sổ văn bản): list and search, one document, its files, the signed upload.

Thin views over documents.selectors and documents.services; documents come through
document_get, so another unit's document is a 404. Issuing itself is asked for from the
report centre (assessments.views.documents), which knows how each report is made.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from . import selectors, services
from .forms import RegisterSearchForm, SignedUploadForm
from .permissions import can_issue_document

PAGE_SIZE = 50
SEARCH_FIELDS = ("q", "kind", "number", "scope", "state", "year", "issued_from", "issued_to")


class IssuedDocumentListView(TemplateView):
    """Every issued document the user may see, newest first, searchable and paged."""

    template_name = "documents/issueddocument_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        form = RegisterSearchForm(
            self.request.GET or None, kinds=selectors.document_kinds_visible_to(user=user)
        )
        filters = form.cleaned_data if form.is_valid() else {}
        documents = selectors.documents_search(
            user=user,
            text=filters.get("q", ""),
            year=filters.get("year"),
            state=filters.get("state", ""),
            kind=filters.get("kind", ""),
            number=filters.get("number", ""),
            scope=filters.get("scope", ""),
            issued_from=filters.get("issued_from"),
            issued_to=filters.get("issued_to"),
        )
        page = Paginator(documents, PAGE_SIZE).get_page(self.request.GET.get("page"))
        # The search kept on every page link (pagination adds its own page=).
        query = QueryDict(mutable=True)
        for name in SEARCH_FIELDS:
            if self.request.GET.get(name):
                query[name] = self.request.GET[name]
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "documents": page.object_list,
            "page_obj": page,
            "query": query.urlencode(),
        }


class IssuedDocumentDetailView(TemplateView):
    """One document: its facts, files, signed originals, the upload form and its lineage."""

    template_name = "documents/issueddocument_detail.html"

    def get_context_data(self, **kwargs):
        document = selectors.document_get(user=self.request.user, pk=kwargs["pk"])
        return {
            **super().get_context_data(**kwargs),
            "document": document,
            "originals": selectors.originals_of(document=document),
            "upload_form": kwargs.get("upload_form") or SignedUploadForm(),
            "can_issue": can_issue_document(self.request.user, document.organization),
            "superseded_by": getattr(document, "superseded_by", None),
        }


class IssuedDocumentDownloadView(View):
    """The issued PDF (ready to sign) or its Excel twin; every download is audited."""

    def get(self, request, pk, what):
        document = selectors.document_get(user=request.user, pk=pk)
        field = {"pdf": document.pdf, "xlsx": document.xlsx}.get(what)
        if not field:
            raise Http404
        services.document_download(actor=request.user, document=document, what=what)
        return FileResponse(
            field.open("rb"), as_attachment=True, filename=f"{document.filename_stem}.{what}"
        )


class SignedOriginalDownloadView(View):
    """The electronic original as uploaded and verified."""

    def get(self, request, pk, original_pk):
        original = selectors.original_get(user=request.user, document_pk=pk, pk=original_pk)
        services.document_download(actor=request.user, document=original.document, what="signed")
        return FileResponse(
            original.file.open("rb"),
            as_attachment=True,
            filename=f"{original.document.filename_stem}-da-ky.pdf",
        )


class SignedOriginalUploadView(IssuedDocumentDetailView):
    """POST a signed copy: verified, kept as the original, or refused with the reason."""

    http_method_names = ["post"]

    def post(self, request, pk):
        document = selectors.document_get(user=request.user, pk=pk)
        if not can_issue_document(request.user, document.organization):
            raise PermissionDenied  # sees the register, does not keep its originals
        form = SignedUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.signed_original_upload(
                    actor=request.user, document=document, content=form.cleaned_data["file"].read()
                )
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                messages.success(request, services.upload_success_message(document))
                return redirect("documents:issueddocument_detail", pk=document.pk)
        return self.render_to_response(self.get_context_data(pk=pk, upload_form=form), status=400)
