"""Importing members (`dang_vien` files) into the cells of one organization's subtree."""

import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import services
from ..choices import (
    CELL_TYPES,
    Gender,
    ImportKind,
    OrganizationType,
    PoliticalTheoryLevel,
    PostKind,
    ProfessionalLevel,
    normalize_label,
)
from ..models import Member, Membership, Organization, Post
from .base import (
    Importer,
    Progress,
    Row,
    duplicate_in_file,
    outside_scope,
    register,
    unknown_organization,
)
from .updates import PREVIEW_LIMIT, guard_update, member_changes

RECORD_NUMBER = re.compile(r"\d{6}[A-Z]{1,3}")
CARD_NUMBER = re.compile(r"\d{8}")
CITIZEN_ID = re.compile(r"\d{12}")
# Government titles of the head of a thôn or tổ dân phố, under their regional names (§1).
HAMLET_HEAD_TITLE = re.compile(
    r"^(tổ )?trưởng (thôn|làng|ấp|bản|buôn|bon|phum|sóc|tổ dân phố|khu phố|khối phố|khóm"
    r"|tiểu khu)\b"
)
_POST_COLUMNS = {"chuc_vu_dang": PostKind.PARTY, "chuc_vu_chinh_quyen": PostKind.GOVERNMENT}


def record_number_message() -> str:
    return _("A record number is 6 digits then 1 to 3 capital letters, e.g. 012345HG.")


def is_hamlet_head(title: str) -> bool:
    return bool(HAMLET_HEAD_TITLE.match(normalize_label(title)))


def member_in_scope(
    row: Row,
    record: str,
    *,
    members: dict[str, Member],
    latest: dict[int, tuple[Membership, bool]],
    organization: Organization,
) -> Member | None:
    """The member a row's record number names, if their latest cell is under `organization`;
    otherwise the row gets the error (an unknown number, or one held outside the import's
    units — said without naming where, see `outside_scope`)."""
    if not record:
        return None
    member = members.get(record)
    if member is None:
        row.error("so_ly_lich", _("No member has record number “%(record)s”.") % {"record": record})
        return None
    membership, _is_open = latest.get(member.pk, (None, False))
    if membership is None or not membership.organization.path.startswith(organization.path):
        row.error("so_ly_lich", outside_scope(record, organization))
        return None
    return member


def latest_cells(member_pks: list[int]) -> dict[int, tuple[Membership, bool]]:
    """Each member's current membership (open), else their last one: (membership, is_open)."""
    found: dict[int, tuple[Membership, bool]] = {}
    memberships = (
        Membership.objects.filter(member_id__in=member_pks)
        .select_related("organization")
        .order_by("member_id", "-start", "-id")
    )
    for membership in memberships:
        held = found.get(membership.member_id)
        is_open = membership.end is None
        if held is None or (is_open and not held[1]):
            found[membership.member_id] = (membership, is_open)
    return found


def cell_types_text() -> str:
    return ", ".join(str(OrganizationType(t).label) for t in sorted(CELL_TYPES))


@dataclass
class _MemberPlan:
    row: int
    record_number: str
    cell: Organization
    fields: dict
    posts: dict[str, list[str]] = field(default_factory=dict)
    member: Member | None = None
    transfer: bool = False


@register
class MemberImporter(Importer):
    kind = ImportKind.MEMBERS
    required_columns = ("so_ly_lich", "ho_ten", "gioi_tinh", "ma_chi_bo")
    optional_columns = (
        "ngay_sinh",
        "ngay_vao_dang",
        "ngay_chinh_thuc",
        "so_the_dang_vien",
        "cccd",
        "dan_toc",
        "ton_giao",
        "trinh_do_pho_thong",
        "chuyen_mon",
        "ly_luan_chinh_tri",
        "chuc_vu_dang",
        "chuc_vu_chinh_quyen",
    )
    needs_organization = True

    def __init__(self, *, confirmed: list[str] | tuple[str, ...] = (), **kwargs):
        super().__init__(**kwargs)
        # Record numbers whose probable-typo rows the user confirmed (cells.imports.updates).
        self.confirmed = frozenset(confirmed)
        self.changes: list[dict] = []

    # --- validation -------------------------------------------------------------------
    def validate(self, rows: list[Row], progress: Progress) -> None:
        self._prefetch(rows)
        self.plans: list[_MemberPlan] = []
        first_row: dict[str, int] = {}
        card_rows: dict[str, int] = {}
        id_rows: dict[str, int] = {}
        for row in rows:
            plan = self._parse(row)
            progress.step()
            record = row.values["so_ly_lich"]
            if record and "so_ly_lich" not in row.failed:
                if record in first_row:
                    row.error("so_ly_lich", duplicate_in_file(record, first_row[record]))
                    continue
                first_row[record] = row.number
            if plan is None or (plan.member and not self._preview_update(row, plan)):
                continue
            self._check_unique(
                row, plan, "so_the_dang_vien", "card_number", card_rows, self.card_owner
            )
            self._check_unique(row, plan, "cccd", "citizen_id", id_rows, self.id_owner)
            self.plans.append(plan)

    def _prefetch(self, rows: list[Row]) -> None:
        records = {row.values.get("so_ly_lich", "") for row in rows} - {""}
        cells = {row.values.get("ma_chi_bo", "") for row in rows} - {""}
        cards = {row.values.get("so_the_dang_vien", "") for row in rows} - {""}
        ids = {row.values.get("cccd", "") for row in rows} - {""}
        self.file_records = records
        self.cells = {o.code: o for o in Organization.objects.filter(code__in=cells)}
        self.members = {
            m.record_number: m for m in Member.objects.filter(record_number__in=records)
        }
        self.latest = latest_cells([m.pk for m in self.members.values()])
        self.card_owner: dict[str, str] = {}
        self.id_owner: dict[str, str] = {}
        owner_pks: dict[int, str] = {}
        for pk, record, card, citizen_id in Member.objects.filter(
            Q(card_number__in=cards) | Q(citizen_id__in=ids)
        ).values_list("pk", "record_number", "card_number", "citizen_id"):
            owner_pks[pk] = record
            if card in cards:
                self.card_owner[card] = record
            if citizen_id in ids:
                self.id_owner[citizen_id] = record
        # Owners whose cell (current, else last) lies in the import's subtree may be named.
        self.owners_in_scope = {
            owner_pks[pk]
            for pk, (membership, _open) in latest_cells(list(owner_pks)).items()
            if membership.organization.path.startswith(self.organization.path)
        }
        self.posts: dict[tuple[int, str], list[str]] = {}
        for member_id, kind, title in Post.objects.filter(
            member_id__in=[m.pk for m in self.members.values()]
        ).values_list("member_id", "kind", "title"):
            self.posts.setdefault((member_id, kind), []).append(title)

    def _parse(self, row: Row) -> _MemberPlan | None:
        record = row.pattern("so_ly_lich", RECORD_NUMBER, record_number_message(), required=True)
        fields = {
            "full_name": row.text("ho_ten", required=True, max_length=120),
            "gender": row.choice("gioi_tinh", Gender, required=True),
        }
        optional = {
            "ngay_sinh": ("birth_date", lambda c: row.date(c, not_future=True)),
            "ngay_vao_dang": ("admitted_on", lambda c: row.date(c, not_future=True)),
            "ngay_chinh_thuc": ("full_member_on", lambda c: row.date(c, not_future=True)),
            "so_the_dang_vien": (
                "card_number",
                lambda c: row.pattern(c, CARD_NUMBER, _("A party card number is 8 digits.")),
            ),
            "cccd": (
                "citizen_id",
                lambda c: row.pattern(c, CITIZEN_ID, _("A citizen ID (CCCD) is 12 digits.")),
            ),
            "dan_toc": ("ethnicity", lambda c: row.text(c, max_length=60)),
            "ton_giao": ("religion", lambda c: row.text(c, max_length=60)),
            "trinh_do_pho_thong": ("general_education", lambda c: row.text(c, max_length=10)),
            "chuyen_mon": ("professional_level", lambda c: row.choice(c, ProfessionalLevel)),
            "ly_luan_chinh_tri": (
                "political_theory",
                lambda c: row.choice(c, PoliticalTheoryLevel),
            ),
        }
        for column, (name, parse) in optional.items():
            if row.has(column):
                fields[name] = parse(column)
        for name in ("card_number", "citizen_id"):
            if name in fields:
                fields[name] = fields[name] or None
        member = self.members.get(record)
        admitted = fields.get("admitted_on", getattr(member, "admitted_on", None))
        full = fields.get("full_member_on", getattr(member, "full_member_on", None))
        if admitted and full and full < admitted:
            row.error(
                "ngay_chinh_thuc", _("The full-membership date is before the admission date.")
            )
        posts = {}
        for column, kind in _POST_COLUMNS.items():
            if row.has(column):
                titles = [t.strip() for t in row.text(column, max_length=500).split(";")]
                posts[kind] = [t[:120] for t in dict.fromkeys(t for t in titles if t)]
        cell = self._cell(row, row.text("ma_chi_bo", required=True), member)
        if not record or cell is None:
            return None
        plan = _MemberPlan(row.number, record, cell, fields, posts, member)
        if member is None:
            self._check_dissolved(row, plan)
        else:
            self._check_member_scope(row, plan)
        return plan

    def _preview_update(self, row: Row, plan: _MemberPlan) -> bool:
        """Guard against a mistyped record number; note the row's changes (old → new)."""
        if "so_ly_lich" in row.failed:
            return True
        if not guard_update(row, plan.member, plan.fields, confirmed=self.confirmed):
            return False
        membership = self.latest.get(plan.member.pk, (None, False))[0]
        posts = {
            str(PostKind(kind).label): (self.posts.get((plan.member.pk, kind), []), titles)
            for kind, titles in plan.posts.items()
        }
        changes = member_changes(
            plan.member,
            plan.fields,
            cell=plan.cell,
            current_cell=membership.organization if membership else None,
            posts=posts,
        )
        if changes and len(self.changes) < PREVIEW_LIMIT:
            self.changes.append(
                {
                    "row": row.number,
                    "record": plan.record_number,
                    "name": plan.member.full_name,
                    "changes": [vars(c) for c in changes],
                }
            )
        return True

    def _cell(self, row: Row, code: str, member: Member | None) -> Organization | None:
        if not code:
            return None
        cell = self.cells.get(code)
        if cell is None:
            row.error("ma_chi_bo", unknown_organization(code))
        elif cell.type not in CELL_TYPES:
            row.error(
                "ma_chi_bo",
                _("“%(code)s” is not a Party cell: members are placed in a %(types)s.")
                % {"code": code, "types": cell_types_text()},
            )
        elif not cell.path.startswith(self.organization.path):
            row.error("ma_chi_bo", outside_scope(code, self.organization))
        else:
            return cell
        return None

    def _check_member_scope(self, row: Row, plan: _MemberPlan) -> None:
        membership, is_open = self.latest.get(plan.member.pk, (None, False))
        if membership is None:
            plan.transfer = True
            self._check_dissolved(row, plan)
            return
        if not membership.organization.path.startswith(self.organization.path):
            self.foreign_hit(row, "so_ly_lich", plan.record_number)
            return
        plan.transfer = membership.organization_id != plan.cell.pk
        if not plan.transfer:
            return
        if is_open and membership.start >= timezone.localdate():
            row.error(
                "ma_chi_bo", _("The transfer date must be after the current membership began.")
            )
        self._check_dissolved(row, plan)

    def _check_dissolved(self, row: Row, plan: _MemberPlan) -> None:
        dissolved = plan.cell.dissolved_on
        if dissolved is not None and dissolved < timezone.localdate():
            row.error(
                "ma_chi_bo",
                _("Cell %(code)s was dissolved on %(date)s.")
                % {"code": plan.cell.code, "date": dissolved.strftime("%d/%m/%Y")},
            )

    def _check_unique(self, row, plan, column, name, seen, owners) -> None:
        value = plan.fields.get(name)
        if not value:
            return
        if value in seen:
            row.error(column, duplicate_in_file(value, seen[value]))
            return
        seen[value] = row.number
        owner = owners.get(value)
        # An owner also in the file gets its final value from the file: checked above.
        if owner and owner != plan.record_number and owner not in self.file_records:
            if owner not in self.owners_in_scope:
                self.foreign_hit(row, column, value)
                return
            row.error(
                column,
                _("%(value)s already belongs to member %(record)s.")
                % {"value": value, "record": owner},
            )

    # --- writing ---------------------------------------------------------------------------
    # New members go through members_bulk_create in chunks of this many rows, so that a large
    # file still reports its progress as it is written.
    BULK_CHUNK = 1000

    def write(self, progress: Progress) -> tuple[int, int]:
        # Updates first: a card or CCCD number an existing member gives up in this file is
        # free by the time a new member takes it, whatever the order of the rows.
        updated = self._write_updates(progress)
        created = self._write_new(progress)
        return created, updated

    def _write_updates(self, progress: Progress) -> int:
        updated = 0
        stale_posts: list[tuple[int, str]] = []
        new_posts: list[Post] = []
        for plan in self.plans:
            if plan.member is None:
                continue
            with self.refusal(plan.row, "so_ly_lich"):
                member = plan.member
                changed = {k: v for k, v in plan.fields.items() if getattr(member, k) != v}
                if changed or plan.transfer:
                    member = services.member_update(
                        actor=self.actor,
                        member=member,
                        cell=plan.cell if plan.transfer else None,
                        audit=False,
                        **changed,
                    )
                updated += 1
            for kind, titles in plan.posts.items():
                if sorted(self.posts.get((member.pk, kind), [])) == sorted(titles):
                    continue
                stale_posts.append((member.pk, kind))
                new_posts.extend(_posts(plan, kind, titles, member=member))
            progress.step()
        for kind in _POST_COLUMNS.values():
            member_pks = [pk for pk, k in stale_posts if k == kind]
            if member_pks:
                Post.objects.filter(member_id__in=member_pks, kind=kind).delete()
        Post.objects.bulk_create(new_posts, batch_size=1000)
        return updated

    def _write_new(self, progress: Progress) -> int:
        plans = [plan for plan in self.plans if plan.member is None]
        for first in range(0, len(plans), self.BULK_CHUNK):
            chunk = plans[first : first + self.BULK_CHUNK]
            rows = [
                services.NewMember(
                    cell=plan.cell,
                    fields={"record_number": plan.record_number, **plan.fields},
                    posts=[
                        post
                        for kind, titles in plan.posts.items()
                        for post in _posts(plan, kind, titles)
                    ],
                )
                for plan in chunk
            ]
            try:
                services.members_bulk_create(actor=self.actor, rows=rows, audit=False)
            except services.MemberRowRefused as exc:
                with self.refusal(chunk[exc.index].row, "so_ly_lich"):
                    raise exc.error from exc
            for _plan in chunk:
                progress.step()
        return len(plans)


def _posts(plan: _MemberPlan, kind: str, titles: list[str], member: Member | None = None):
    """The file's posts of one kind for a member (set later by members_bulk_create if None)."""
    owner = {} if member is None else {"member": member}
    return [
        Post(
            **owner,
            kind=kind,
            title=title,
            organization=plan.cell,
            is_hamlet_head=kind == PostKind.GOVERNMENT and is_hamlet_head(title),
        )
        for title in titles
    ]
