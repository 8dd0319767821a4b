"""Importing dated posts (`chuc_vu` files, DOMAIN §8): who held which Party or government post
in which organization, from when to when.

A post belongs to the organization whose committee or office it is — a đảng ủy member's post
is on the đảng bộ, not on their cell — so the rating rules see the leadership of each year
(O2–O4) and the form-category suggestion reads the year's posts. Importing a file again
updates the end date of a post already recorded (member, organization, title, start).
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from ..audit import audit_record
from ..choices import ImportKind, PostKind, normalize_label
from ..models import Member, Organization, Post
from .base import (
    Importer,
    Progress,
    Row,
    duplicate_in_file,
    outside_scope,
    register,
    unknown_organization,
)
from .members import (
    RECORD_NUMBER,
    is_hamlet_head,
    latest_cells,
    member_in_scope,
    record_number_message,
)

# Party posts of DOMAIN §8; every other title is a government post.
PARTY_POST_TITLES = ("Bí thư", "Phó Bí thư", "Ủy viên Ban Thường vụ", "Cấp ủy viên", "Chi ủy viên")
_PARTY = {normalize_label(t): t for t in PARTY_POST_TITLES}


@dataclass
class _Plan:
    row: int
    member: Member
    organization: Organization
    fields: dict
    post: Post | None


@register
class PostImporter(Importer):
    kind = ImportKind.POSTS
    required_columns = ("so_ly_lich", "ma_to_chuc", "chuc_vu", "tu_ngay")
    optional_columns = ("den_ngay",)
    needs_organization = True

    def validate(self, rows: list[Row], progress: Progress) -> None:
        records = {row.values.get("so_ly_lich", "") for row in rows} - {""}
        codes = {row.values.get("ma_to_chuc", "") for row in rows} - {""}
        self.members = {
            m.record_number: m for m in Member.objects.filter(record_number__in=records)
        }
        self.latest = latest_cells([m.pk for m in self.members.values()])
        self.organizations = {o.code: o for o in Organization.objects.filter(code__in=codes)}
        self.existing = {
            (p.member_id, p.organization_id, normalize_label(p.title), p.start): p
            for p in Post.objects.filter(member__in=self.members.values())
        }
        self.plans: list[_Plan] = []
        seen: dict[tuple, int] = {}
        for row in rows:
            progress.step()
            plan = self._parse(row)
            if plan is None:
                continue
            key = (plan.member.pk, plan.organization.pk, normalize_label(plan.fields["title"]))
            key += (plan.fields["start"],)
            if key in seen:
                described = " · ".join(
                    row.values.get(c, "") for c in ("so_ly_lich", "ma_to_chuc", "chuc_vu")
                )
                row.error("tu_ngay", duplicate_in_file(described, seen[key]))
                continue
            seen[key] = row.number
            plan.post = self.existing.get(key)
            self.plans.append(plan)

    def _parse(self, row: Row) -> _Plan | None:
        record = row.pattern("so_ly_lich", RECORD_NUMBER, record_number_message(), required=True)
        code = row.text("ma_to_chuc", required=True)
        title = " ".join(row.text("chuc_vu", required=True, max_length=120).split())
        start = row.date("tu_ngay", required=True, not_future=True)
        end = row.date("den_ngay")
        if start and end and end < start:
            row.error("den_ngay", _("The end date is before the start date."))
        member = self._member(row, record)
        organization = self._organization(row, code)
        if member is None or organization is None or not title or row.failed:
            return None
        party = _PARTY.get(normalize_label(title))
        fields = {
            "kind": PostKind.PARTY if party else PostKind.GOVERNMENT,
            "title": party or title,
            "start": start,
            "end": end,
            "is_hamlet_head": not party and is_hamlet_head(title),
        }
        return _Plan(row.number, member, organization, fields, None)

    def _member(self, row: Row, record: str) -> Member | None:
        return member_in_scope(
            row, record, members=self.members, latest=self.latest, organization=self.organization
        )

    def _organization(self, row: Row, code: str) -> Organization | None:
        if not code:
            return None
        organization = self.organizations.get(code)
        if organization is None:
            row.error("ma_to_chuc", unknown_organization(code))
            return None
        if not organization.path.startswith(self.organization.path):
            row.error("ma_to_chuc", outside_scope(code, self.organization))
            return None
        return organization

    @transaction.atomic
    def write(self, progress: Progress) -> tuple[int, int]:
        created = updated = 0
        for plan in self.plans:
            if plan.post is None:
                post = Post.objects.create(
                    member=plan.member, organization=plan.organization, **plan.fields
                )
                created += 1
                changes = {
                    "title": [None, post.title],
                    "organization": [None, plan.organization.code],
                }
            else:
                post = plan.post
                changes = {
                    k: [str(getattr(post, k)), str(v)]
                    for k, v in plan.fields.items()
                    if getattr(post, k) != v
                }
                for name, value in plan.fields.items():
                    setattr(post, name, value)
                if changes:
                    post.save()
                updated += 1
            if changes:
                audit_record(
                    actor=self.actor,
                    action="post_import",
                    instance=post,
                    organization=plan.organization,
                    changes=changes,
                )
            progress.step()
        return created, updated
