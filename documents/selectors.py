"""Read side of the register: issued documents the user may see, searched and filtered."""

from __future__ import annotations

import datetime

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
    *,
    user,
    text: str = "",
    year: int | None = None,
    state: str = "",
    kind: str = "",
    number: str = "",
    scope: str = "",
    issued_from: datetime.date | None = None,
    issued_to: datetime.date | None = None,
) -> QuerySet[IssuedDocument]:
    """The register filtered, newest first: `text` matches the number, the title, the unit's
    name or code; `number` the number; `scope` what the document covers (its scope line, or
    the unit's name or code); `issued_from`/`issued_to` the document's date, both included."""
    qs = documents_visible_to(user=user)
    text = (text or "").strip()
    if text:
        qs = qs.filter(
            Q(number__icontains=text)
            | Q(title__icontains=text)
            | Q(organization__name__icontains=text)
            | Q(organization__code__iexact=text)
        )
    if number := (number or "").strip():
        qs = qs.filter(number__icontains=number)
    if scope := (scope or "").strip():
        qs = qs.filter(
            Q(scope__icontains=scope)
            | Q(organization__name__icontains=scope)
            | Q(organization__code__iexact=scope)
        )
    if year:
        qs = qs.filter(year=year)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if issued_from:
        qs = qs.filter(issued_on__gte=issued_from)
    if issued_to:
        qs = qs.filter(issued_on__lte=issued_to)
    return qs.order_by("-issued_at", "-pk")


def document_kinds_visible_to(*, user) -> list[tuple[str, str]]:
    """(kind, label) of the documents the user may see, for the register's type filter."""
    rows = (
        documents_visible_to(user=user)
        .order_by("kind_label", "kind")
        .values_list("kind", "kind_label")
        .distinct()
    )
    seen: dict[str, str] = {}
    for kind, label in rows:
        seen.setdefault(kind, label)
    return sorted(seen.items(), key=lambda pair: pair[1])


def originals_of(*, document: IssuedDocument) -> list[SignedOriginal]:
    return list(document.originals.select_related("uploaded_by").order_by("-uploaded_at"))


def original_get(*, user, document_pk, pk) -> SignedOriginal:
    document = document_get(user=user, pk=document_pk)
    try:
        return document.originals.get(pk=pk)
    except (SignedOriginal.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
