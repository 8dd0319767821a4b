"""Read side of the register: issued documents the user may see, searched and filtered."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from cells.selectors import organizations_visible_to

from .models import IssuedDocument, SignedOriginal


def documents_visible_to(*, user) -> QuerySet[IssuedDocument]:
    """Issued documents of the organizations in the user's subtrees."""
    return IssuedDocument.objects.filter(
        organization__in=organizations_visible_to(user=user)
    ).select_related("organization", "issued_by", "supersedes", "superseded_by")


def document_get(*, user, pk) -> IssuedDocument:
    """One document the user may see; another unit's is a 404, like one that does not exist."""
    try:
        return documents_visible_to(user=user).get(pk=pk)
    except (IssuedDocument.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def documents_search(
    *, user, text: str = "", year: int | None = None, state: str = "", kind: str = ""
) -> QuerySet[IssuedDocument]:
    """The register filtered: `text` matches the number, the title, the unit's name or code."""
    qs = documents_visible_to(user=user)
    text = (text or "").strip()
    if text:
        qs = qs.filter(
            Q(number__icontains=text)
            | Q(title__icontains=text)
            | Q(organization__name__icontains=text)
            | Q(organization__code__iexact=text)
        )
    if year:
        qs = qs.filter(year=year)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-issued_at", "-pk")


def originals_of(*, document: IssuedDocument) -> list[SignedOriginal]:
    return list(document.originals.select_related("uploaded_by").order_by("-uploaded_at"))


def original_get(*, user, document_pk, pk) -> SignedOriginal:
    document = document_get(user=user, pk=document_pk)
    try:
        return document.originals.get(pk=pk)
    except (SignedOriginal.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
