"""The rating dossier of a grassroots organization for a year (Điều 17 of Quy định 366):
what it must hold, what the data already shows is there, and what is still missing (Mẫu 04).

The app writes most of the dossier itself (self-reviews, minutes, the appraisal, the
decision), so their presence is read from the ratings; the pieces that arrive on paper (the
residence committee's comment, suggestions, related bodies' comments, complaints) are recorded
as `DossierDocument`s by `dossierdocument_record`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.audit import audit_record
from cells.models import Member, Organization, ResidentialUnit
from cells.selectors import members_of
from cells.vietnamese import nfc

from .choices import NotRatedReason, RoundState
from .models import DossierDocument, MemberRating, OrganizationRating, RatingRound
from .permissions import can_enter_ratings
from .round_checks import acting_user
from .selectors import period_end

Kind = DossierDocument.Kind
# Members relieved of Party work, or suspended, write no review (Điều 5).
_NO_REVIEW = frozenset({NotRatedReason.EXEMPT, NotRatedReason.SUSPENDED})
_SUBMITTED = frozenset({RoundState.SUBMITTED, RoundState.DECIDED, RoundState.PUBLISHED})
_DECIDED = frozenset({RoundState.DECIDED, RoundState.PUBLISHED})

PRESENT, PARTIAL, MISSING, OPTIONAL = "present", "partial", "missing", "optional"


@dataclass
class DossierItem:
    """One line of the dossier index: a piece of Điều 17 and how far the unit has it."""

    number: int
    title: str
    required: bool
    have: int
    need: int
    missing: list[str] = field(default_factory=list)  # who or what is missing, by name
    documents: list[DossierDocument] = field(default_factory=list)
    note: str = ""

    @property
    def status(self) -> str:
        if not self.required:
            return PRESENT if self.have else OPTIONAL
        if self.have >= self.need:
            return PRESENT
        return PARTIAL if self.have else MISSING

    @property
    def counted(self) -> str:
        return f"{self.have}/{self.need}" if self.required else str(self.have)


@dataclass
class Dossier:
    organization: Organization
    year: int
    round: RatingRound | None
    items: list[DossierItem]

    @property
    def missing_items(self) -> list[DossierItem]:
        return [i for i in self.items if i.status in (MISSING, PARTIAL)]

    @property
    def complete(self) -> bool:
        return not self.missing_items


def _non_residential_cells(cell_ids: set[int]) -> set[int]:
    """Cells covering no hamlet or street group (agencies, schools…): their members need the
    comment of the Party committee where they live (Quy định 213-QĐ/TW)."""
    residential = set(
        ResidentialUnit.objects.filter(cell_id__in=cell_ids).values_list("cell_id", flat=True)
    )
    return cell_ids - residential


def dossier_for(*, organization: Organization, year: int) -> Dossier:
    """The Điều 17 checklist of `organization` (a grassroots organization, scoped by the
    caller) for `year`, computed from the ratings and the recorded documents (8 queries)."""
    end = period_end(year)
    members: list[Member] = list(members_of(organization=organization, on=end, subtree=True))
    round_ = RatingRound.objects.filter(organization=organization, year=year).first()
    ratings = {
        r.member_id: r
        for r in MemberRating.objects.filter(year=year, member_id__in=[m.pk for m in members])
    }
    documents: dict[str, list[DossierDocument]] = defaultdict(list)
    for doc in DossierDocument.objects.filter(organization=organization, year=year).select_related(
        "member"
    ):
        documents[doc.kind].append(doc)

    def writes_review(member: Member) -> bool:
        rating = ratings.get(member.pk)
        if rating is not None and not rating.proposed_level:
            return rating.not_rated_reason not in _NO_REVIEW
        return not (member.is_exempt or member.is_suspended)

    reviewers = [m for m in members if writes_review(m)]
    no_review = [m for m in reviewers if not (ratings.get(m.pk) and ratings[m.pk].self_level)]

    cells = list(
        Organization.objects.filter(pk__in={m.cell_id for m in members}).order_by(
            "name_sort_key", "path"
        )
    )
    collectives = [organization, *(c for c in cells if c.pk != organization.pk)]
    org_ratings = {
        r.organization_id: r
        for r in OrganizationRating.objects.filter(
            year=year, organization__in=[c.pk for c in collectives]
        )
    }
    no_report = [
        c.name
        for c in collectives
        if not (r := org_ratings.get(c.pk)) or not (r.proposed_level or r.not_rated_reason)
    ]

    away = _non_residential_cells({m.cell_id for m in reviewers})
    need_comment = [m for m in reviewers if m.cell_id in away]
    commented = {d.member_id for d in documents[Kind.RESIDENCE_COMMENT]}
    no_comment = [m.full_name for m in need_comment if m.pk not in commented]

    by_cell: dict[int, list[Member]] = defaultdict(list)
    for m in reviewers:
        rating = ratings.get(m.pk)
        if rating is None or rating.proposed_level or rating.cell_level:
            by_cell[m.cell_id].append(m)
    cells_without_minutes = [
        c.name
        for c in cells
        if by_cell.get(c.pk)
        and not all(
            (r := ratings.get(m.pk)) and r.votes_total and r.cell_level for m in by_cell[c.pk]
        )
    ]
    cells_with_members = [c for c in cells if by_cell.get(c.pk)]

    unproposed = [
        m.full_name
        for m in members
        if not (r := ratings.get(m.pk)) or not (r.proposed_level or r.not_rated_reason)
    ]
    submitted = round_ is not None and round_.state in _SUBMITTED
    decided = round_ is not None and round_.state in _DECIDED

    items = [
        DossierItem(
            number=1,
            title="Bản kiểm điểm của cá nhân",
            required=True,
            have=len(reviewers) - len(no_review),
            need=len(reviewers),
            missing=[m.full_name for m in no_review],
            note="Tính theo mức tự xếp loại đã nhập của từng đảng viên.",
        ),
        DossierItem(
            number=2,
            title="Báo cáo kiểm điểm của tập thể (Mẫu 01)",
            required=True,
            have=len(collectives) - len(no_report),
            need=len(collectives),
            missing=no_report,
            note="Tập thể có mức đề xuất hoặc lý do không xếp loại.",
        ),
        DossierItem(
            number=3,
            title="Nhận xét của cấp ủy nơi cư trú",
            required=bool(need_comment),
            have=len(need_comment) - len(no_comment),
            need=len(need_comment),
            missing=no_comment,
            documents=documents[Kind.RESIDENCE_COMMENT],
            note=(
                "Đảng viên sinh hoạt ở chi bộ cơ quan, trường học, doanh nghiệp (không gắn "
                "thôn, tổ dân phố)."
                if need_comment
                else "Không có đảng viên cần nhận xét nơi cư trú."
            ),
        ),
        DossierItem(
            number=4,
            title="Biên bản hội nghị kiểm điểm, đánh giá, xếp loại",
            required=bool(cells_with_members),
            have=len(cells_with_members) - len(cells_without_minutes),
            need=len(cells_with_members),
            missing=cells_without_minutes,
            note="Chi bộ đã nhập kết quả biểu quyết và mức chi bộ đề xuất của mọi đảng viên.",
        ),
        DossierItem(
            number=5,
            title="Báo cáo tổng hợp kết quả thẩm định, đề xuất của cấp ủy",
            required=True,
            have=1 if submitted and not unproposed else 0,
            need=1,
            missing=(
                unproposed[:50] if unproposed else ([] if submitted else ["Chưa gửi cấp trên"])
            ),
        ),
        DossierItem(
            number=6,
            title="Kết luận, quyết định xếp loại của cấp có thẩm quyền",
            required=True,
            have=1 if decided else 0,
            need=1,
            missing=[] if decided else ["Cấp trên chưa quyết định"],
        ),
        DossierItem(
            number=7,
            title="Gợi ý kiểm điểm (nếu có)",
            required=False,
            have=len(documents[Kind.REVIEW_SUGGESTION]),
            need=0,
            documents=documents[Kind.REVIEW_SUGGESTION],
        ),
        DossierItem(
            number=8,
            title="Ý kiến của các cơ quan liên quan (nếu có)",
            required=False,
            have=len(documents[Kind.RELATED_COMMENT]),
            need=0,
            documents=documents[Kind.RELATED_COMMENT],
        ),
        DossierItem(
            number=9,
            title="Đơn thư khiếu nại, tố cáo và kết quả giải quyết (nếu có)",
            required=False,
            have=len(documents[Kind.COMPLAINT]),
            need=0,
            documents=documents[Kind.COMPLAINT],
        ),
    ]
    return Dossier(organization=organization, year=year, round=round_, items=items)


@transaction.atomic
def dossierdocument_record(
    *,
    actor,
    organization: Organization,
    year: int,
    kind: str,
    received_on: datetime.date | None,
    member: Member | None = None,
    sender: str = "",
    summary: str = "",
) -> DossierDocument:
    """Record that a piece of the dossier was received (the grassroots committee's staff).

    `member`, for a residence comment, must be a member of `organization` at the end of the
    year (the caller fetched it through a scoped selector).
    """
    if actor is not None and not can_enter_ratings(actor, organization):
        raise PermissionDenied(
            _("You may not change the dossier of %(organization)s.")
            % {"organization": organization}
        )
    errors = {}
    if kind not in Kind.values:
        errors["kind"] = _("Choose the document.")
    if received_on is None:
        errors["received_on"] = _("Enter the date it was received (dd/mm/yyyy).")
    elif received_on > timezone.localdate():
        errors["received_on"] = _("The date received cannot be in the future.")
    if kind == Kind.RESIDENCE_COMMENT and member is None:
        errors["member"] = _("Choose the member the comment is about.")
    if errors:
        raise ValidationError(errors)
    doc = DossierDocument.objects.create(
        organization=organization,
        year=year,
        kind=kind,
        member=member if kind == Kind.RESIDENCE_COMMENT else None,
        received_on=received_on,
        sender=nfc(sender).strip()[:255],
        summary=nfc(summary).strip()[:500],
        recorded_by=acting_user(actor),
    )
    audit_record(
        actor=actor,
        action="dossier_document_record",
        instance=doc,
        organization=organization,
        changes={"kind": kind, "year": year, "member": member.pk if member else None},
    )
    return doc
