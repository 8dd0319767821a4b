"""The forms as official documents and PDFs: header (reports.context), template, WeasyPrint
(reports.pdf), the same path as every other report.

`member_forms_pdf` is the per-piece function for bulk rendering: it takes any list of
members (a cell, or one slice of a 1,700-member unit) and returns that piece's PDF.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.models import Member, Organization
from documents import services as document_services

from ... import rules
from ...deciders import DecidingBody, decider_of
from ...models import RatingReopening
from ...permissions import can_decide_as, can_decide_for, can_decide_round
from ...selectors import deciding_organization_for
from .. import context
from ..issuing import document_snapshot, issued_rendering
from ..services import report_html

# Document type of a decision (Quyết định) in the numbering of Hướng dẫn 36-HD/VPTW.
RERATING_DOCUMENT_TYPE = "QĐ"
RERATING_KIND = "rerating"


def form_document(
    *,
    kind: str,
    organization: Organization,
    year: int,
    body: object,
    doc_type: str,
    summary: str,
    exported_by: str,
    number: str = "",
    day: datetime.date | None = None,
    recipients: list[str] | None = None,
) -> context.ReportDocument:
    """A form wrapped in the official header and footer (template `reports/<kind>.html`).

    Marked "DỰ THẢO" by the one rule of context.is_draft: a blank form or a decision not
    issued yet (Mẫu 03) has no number and says so; an issued one has its number.
    """
    header = context.build_header(
        organization=organization,
        doc_type=doc_type,
        summary=summary,
        number=number,
        day=day or timezone.localdate(),
    )
    header.draft = context.is_draft(number)
    if recipients is not None:
        header.recipients = recipients
    return context.ReportDocument(
        kind=kind,
        organization=organization,
        year=year,
        header=header,
        footer=context.Footer(
            exported_by=exported_by,
            exported_at=timezone.now(),
            as_of=timezone.now(),
            scope=f"{organization.name} ({organization.code}), {year}",
        ),
        body=body,
    )


def document_pdf(document: context.ReportDocument) -> bytes:
    from .. import pdf  # WeasyPrint loads only where a PDF is made

    return pdf.render_pdf(report_html(document))


def member_forms_document(
    *,
    members: list[Member],
    organization: Organization,
    year: int,
    exported_by: str,
    day: datetime.date | None = None,
) -> context.ReportDocument:
    from .member import member_form_sheets

    return form_document(
        kind="member_forms",
        organization=organization,
        year=year,
        body=member_form_sheets(members=members, year=year),
        doc_type="BẢN KIỂM ĐIỂM CÁ NHÂN",
        summary=f"Năm {year}",
        exported_by=exported_by,
        day=day,
    )


def member_forms_pdf(
    *,
    members: list[Member],
    organization: Organization,
    year: int,
    exported_by: str,
    day: datetime.date | None = None,
) -> bytes:
    """The self-review forms of `members` (annotated with `cell_id`, scoped by the caller),
    one form and its annexes per member, headed by `organization`."""
    return document_pdf(
        member_forms_document(
            members=members, organization=organization, year=year, exported_by=exported_by, day=day
        )
    )


def collective_document(
    *, organization: Organization, year: int, exported_by: str, day: datetime.date | None = None
) -> context.ReportDocument:
    from .collective import collective_sheet

    return form_document(
        kind="form_01",
        organization=organization,
        year=year,
        body=collective_sheet(organization=organization, year=year),
        doc_type="BÁO CÁO",
        summary=f"Kiểm điểm tập thể {organization.name} năm {year}",
        exported_by=exported_by,
        day=day,
        recipients=context_recipients(organization),
    )


def context_recipients(organization: Organization) -> list[str]:
    return ["- Cấp ủy cấp trên (để báo cáo),", "- Lưu hồ sơ."]


def dossier_document(
    *, organization: Organization, year: int, exported_by: str, day: datetime.date | None = None
) -> context.ReportDocument:
    from ...dossier import dossier_for

    return form_document(
        kind="form_04",
        organization=organization,
        year=year,
        body=dossier_for(organization=organization, year=year),
        doc_type="MỤC LỤC HỒ SƠ",
        summary=f"Kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng, đảng viên năm {year}",
        exported_by=exported_by,
        day=day,
        recipients=["- Lưu hồ sơ."],
    )


def quarterly_document(
    *,
    member: Member,
    organization: Organization,
    year: int,
    exported_by: str,
    day: datetime.date | None = None,
) -> context.ReportDocument:
    """Mẫu 05 of one member (annotated with `cell_id`): the quarters and the year."""
    from ... import quarterly
    from .member import member_form_sheets

    quarters = quarterly.quarters_for_members(members=[member], year=year)[member.pk]
    (sheet,) = member_form_sheets(members=[member], year=year)
    rows = list(zip(sheet.quarters, quarters.quarters, strict=True))
    return form_document(
        kind="form_05",
        organization=organization,
        year=year,
        body={"sheet": sheet, "rows": rows},
        doc_type="BẢN TỰ ĐÁNH GIÁ",
        summary=f"Kết quả thực hiện nhiệm vụ theo quý và cả năm {year}",
        exported_by=exported_by,
        day=day,
    )


def rerating_document(
    *,
    reopening: RatingReopening,
    exported_by: str,
    day: datetime.date | None = None,
    number: str = "",
) -> context.ReportDocument:
    """Mẫu 03 of one reopening, by the deciding committee: a "DỰ THẢO" without number until
    it is issued (`number` is the issue's; an issued one is printed from the register)."""
    from .rerating import rerating_body

    round_ = reopening.round
    deciding = rerating_issuer(reopening)
    subject = reopening.organization or round_.organization
    body = rerating_body(reopening=reopening)
    document = form_document(
        kind="form_03",
        organization=deciding,
        year=round_.year,
        body=body,
        doc_type="QUYẾT ĐỊNH",
        summary=(
            f"Về việc hủy bỏ kết quả và xếp loại lại chất lượng năm {round_.year} "
            f"của {subject.name}"
        ),
        exported_by=exported_by,
        number=number,
        day=day,
        recipients=[
            f"- {subject.name} (để thực hiện),",
            "- Các đồng chí có tên tại Điều 2,",
            "- Lưu Văn phòng.",
        ],
    )
    if reopening.organization_id is None:
        # The tier above decides by its standing committee; a đảng ủy cơ sở deciding its chi
        # bộ trực thuộc signs as the đảng ủy (its own header's "T/M ĐẢNG ỦY").
        document.header.on_behalf = "T/M BAN THƯỜNG VỤ"
    return document


def rerating_issuer(reopening: RatingReopening) -> Organization:
    """Who issues the reopening's Mẫu 03: the committee that decided again, kept when it did
    — the đảng ủy cơ sở for a chi bộ trực thuộc it decided (HD 43 §3), else the round's
    deciding committee; for a reopening closed before that was kept, today's."""
    if reopening.issuer_id is not None:
        return reopening.issuer
    if reopening.organization_id is not None:
        decider = decider_of(reopening.organization)
        if decider is not None:
            return decider.organization
    return deciding_organization_for(reopening.round) or reopening.round.organization


def may_issue_rerating(user, reopening: RatingReopening) -> bool:
    """The body that decided again issues its decision: the cell's decider for a step."""
    if reopening.issuer_id is not None:
        if reopening.organization_id is not None:
            # That very đảng ủy, not a role above it (can_decide_as reads only the
            # organization; a cell's step is always decided by its committee).
            return can_decide_as(user, DecidingBody(reopening.issuer, rules.deciders.COMMITTEE))
        return can_decide_for(user, reopening.issuer)
    if reopening.organization_id is not None:
        return can_decide_as(user, decider_of(reopening.organization))
    return can_decide_round(user, reopening.round)


@transaction.atomic
def rerating_issue(*, actor, reopening: RatingReopening) -> RatingReopening:
    """Issue Mẫu 03 through the register: numbered once (type QĐ, by the deciding committee),
    frozen, PDF/A ready to sign — after the round was decided again.

    Issuing again returns the same document; an open reopening cannot be issued (its new
    decision is not made yet).
    """
    locked = (
        RatingReopening.objects.select_for_update(of=("self",))
        .select_related("round__organization", "organization", "document", "issuer")
        .get(pk=reopening.pk)
    )
    if actor is not None and not may_issue_rerating(actor, locked):
        raise PermissionDenied(_("Only the deciding committee may issue this decision."))
    if locked.redecided_at is None:
        raise ValidationError(
            _("The rating has not been decided again yet: the decision is still a draft.")
        )
    if locked.document is not None:
        return locked
    deciding = rerating_issuer(locked)
    exported_by = (actor.get_full_name() or actor.get_username()) if actor else "partybuild"

    def render(stamp: document_services.Stamp) -> document_services.Rendering:
        document = rerating_document(
            reopening=locked, exported_by=exported_by, day=stamp.issued_on, number=stamp.number
        )
        return issued_rendering(
            stamp=stamp,
            html=report_html(document),
            what=RERATING_KIND,
            title=f"{document.header.doc_type} {document.header.summary}",
            scope=document.footer.scope,
            organization=document.organization,
            year=document.year,
            as_of=document.footer.as_of,
            snapshot=document_snapshot(document),
            filename_stem=document.filename_stem,
        )

    locked.document = document_services.document_issue(
        actor=actor,
        organization=deciding,
        year=locked.round.year,
        kind=RERATING_KIND,
        kind_label=_("Re-rating decision (Mẫu 03)"),
        document_type=RERATING_DOCUMENT_TYPE,
        suffix=context.naming_of(deciding, timezone.localdate()).suffix,
        render=render,
        # The deciding committee issues its own decision (checked above).
        check_permission=False,
    )
    locked.save(update_fields=["document"])
    return locked
