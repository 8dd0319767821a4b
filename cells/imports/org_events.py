"""Importing dated organization events (`su_kien_to_chuc` files): disciplines of a committee
or of an organization (DOMAIN §8), which the rating rules O3/O4 read."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..choices import (
    ImportKind,
    OrganizationDisciplineForm,
    OrganizationDisciplineTarget,
    OrganizationEventKind,
)
from ..models import Organization, OrganizationDiscipline
from ..organization_events import organizationdiscipline_record
from .base import (
    Importer,
    Progress,
    Row,
    duplicate_in_file,
    outside_scope,
    register,
    unknown_organization,
)

# The file's words for whom the discipline falls on (DOMAIN §8), besides the labels.
_TARGET_WORDS = {
    "tập thể cấp ủy": OrganizationDisciplineTarget.COMMITTEE,
    "cấp ủy": OrganizationDisciplineTarget.COMMITTEE,
    "tổ chức": OrganizationDisciplineTarget.ORGANIZATION,
}


@dataclass
class _Plan:
    row: int
    organization: Organization
    fields: dict
    exists: bool


@register
class OrganizationEventImporter(Importer):
    kind = ImportKind.ORGANIZATION_EVENTS
    required_columns = ("ma", "loai", "doi_tuong", "hinh_thuc", "tu_ngay")
    optional_columns = ("co_quan_quyet_dinh", "ghi_chu")
    needs_organization = True

    def validate(self, rows: list[Row], progress: Progress) -> None:
        codes = {row.values.get("ma", "") for row in rows} - {""}
        self.organizations = {o.code: o for o in Organization.objects.filter(code__in=codes)}
        self.existing = set(
            OrganizationDiscipline.objects.filter(
                organization__in=self.organizations.values()
            ).values_list("organization_id", "target", "decided_on")
        )
        self.plans: list[_Plan] = []
        seen: dict[tuple, int] = {}
        for row in rows:
            progress.step()
            plan = self._parse(row)
            if plan is None:
                continue
            key = (plan.organization.pk, plan.fields["target"], plan.fields["decided_on"])
            if key in seen:
                described = " · ".join(
                    row.values.get(c, "") for c in ("ma", "doi_tuong", "tu_ngay")
                )
                row.error("tu_ngay", duplicate_in_file(described, seen[key]))
                continue
            seen[key] = row.number
            self.plans.append(plan)

    def _target(self, row: Row) -> str:
        value = row.text("doi_tuong", required=True)
        if not value:
            return ""
        folded = " ".join(value.casefold().split())
        if folded in _TARGET_WORDS:
            return _TARGET_WORDS[folded]
        return row.choice("doi_tuong", OrganizationDisciplineTarget)

    def _parse(self, row: Row) -> _Plan | None:
        code = row.text("ma", required=True)
        row.choice("loai", OrganizationEventKind, required=True)
        target = self._target(row)
        form = row.choice("hinh_thuc", OrganizationDisciplineForm, required=True)
        day = row.date("tu_ngay", required=True, not_future=True)
        fields = {
            "target": target,
            "form": form,
            "decided_on": day,
            "deciding_body": row.text("co_quan_quyet_dinh", max_length=255),
            "note": row.text("ghi_chu"),
        }
        organization = self._organization(row, code)
        if organization is None or row.failed:
            return None
        key = (organization.pk, target, day)
        return _Plan(row.number, organization, fields, key in self.existing)

    def _organization(self, row: Row, code: str) -> Organization | None:
        if not code:
            return None
        organization = self.organizations.get(code)
        if organization is None:
            row.error("ma", unknown_organization(code))
            return None
        if not organization.path.startswith(self.organization.path):
            row.error("ma", outside_scope(code, self.organization))
            return None
        if organization.pk == self.organization.pk and organization.depth > 1:
            row.error(
                "ma",
                _("A unit does not record its own discipline: import it from the level above."),
            )
            return None
        return organization

    def write(self, progress: Progress) -> tuple[int, int]:
        created = updated = 0
        for plan in self.plans:
            with self.refusal(plan.row, "ma"):
                _row, was_created = organizationdiscipline_record(
                    actor=self.actor, organization=plan.organization, audit=False, **plan.fields
                )
            created += was_created
            updated += not was_created
            progress.step()
        return created, updated
