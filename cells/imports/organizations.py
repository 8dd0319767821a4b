"""Importing the organization tree (`to_chuc` files) with merges and residential units."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from .. import services
from ..choices import CELL_TYPES, COMMUNE_LEVEL_TYPES, ImportKind, OrganizationType, normalize_label
from ..models import Organization, ResidentialUnit
from .base import (
    Importer,
    Progress,
    Row,
    duplicate_in_file,
    register,
    unknown_organization,
)

# Words that open the name of a street group (tổ dân phố and its regional synonyms, §1).
_STREET_GROUP_PREFIXES = ("tổ dân phố", "tdp", "khu phố", "khối phố", "khóm", "tiểu khu", "tổ ")


def document_abbreviation_for(org_type: str) -> str:
    """ĐU for a Party committee (đảng ủy / đảng bộ), CB for a Party cell."""
    return "CB" if org_type in CELL_TYPES else "ĐU"


def residential_unit_kind(name: str) -> str:
    folded = normalize_label(name)
    return "street_group" if folded.startswith(_STREET_GROUP_PREFIXES) else "hamlet"


@dataclass
class _OrgPlan:
    row: int
    code: str
    fields: dict
    parent_code: str | None = None
    successor_code: str | None = None
    units: list[str] = field(default_factory=list)


@register
class OrganizationImporter(Importer):
    kind = ImportKind.ORGANIZATIONS
    required_columns = ("ma", "ten", "loai")
    optional_columns = (
        "ma_cap_tren",
        "co_so",
        "ngay_thanh_lap",
        "ngay_giai_the",
        "ma_ke_thua",
        "thon_to_dan_pho",
        "ky_hieu",
    )

    # --- validation -------------------------------------------------------------------
    def validate(self, rows: list[Row], progress: Progress) -> None:
        self.existing = {o.code: o for o in Organization.objects.all()}
        by_path = {o.path: o.code for o in self.existing.values()}
        by_pk = {o.pk: o.code for o in self.existing.values()}
        step = Organization.steplen
        self.parent_of = {code: by_path.get(o.path[:-step]) for code, o in self.existing.items()}
        self.db_parent = dict(self.parent_of)
        self.successor_of = {code: by_pk.get(o.successor_id) for code, o in self.existing.items()}
        self.type_of = {code: o.type for code, o in self.existing.items()}
        self.dissolved_of = {code: o.dissolved_on for code, o in self.existing.items()}
        self.established_of = {code: o.established_on for code, o in self.existing.items()}
        self.plans: dict[str, _OrgPlan] = {}
        parsed: list[tuple[Row, _OrgPlan]] = []
        for row in rows:
            plan = self._parse(row)
            if plan is not None:
                parsed.append((row, plan))
            progress.step()
        self._check_references(parsed)
        self._check_cycles(parsed)
        self._plan_units(parsed)

    def _parse(self, row: Row) -> _OrgPlan | None:
        code = row.text("ma", required=True, max_length=40)
        fields = {
            "name": row.text("ten", required=True, max_length=255),
            "type": row.choice("loai", OrganizationType, required=True),
        }
        for column, name in (
            ("co_so", "is_grassroots"),
            ("ngay_thanh_lap", "established_on"),
            ("ngay_giai_the", "dissolved_on"),
        ):
            if row.has(column):
                fields[name] = row.flag(column) if column == "co_so" else row.date(column)
        existing = self.existing.get(code)
        established = fields.get("established_on", getattr(existing, "established_on", None))
        dissolved = fields.get("dissolved_on", getattr(existing, "dissolved_on", None))
        if established and dissolved and dissolved < established:
            row.error("ngay_giai_the", _("The dissolution date is before the establishment date."))
        abbreviation = row.text("ky_hieu", max_length=10)
        if abbreviation:
            fields["document_abbreviation"] = abbreviation
        elif fields["type"] and (
            existing is None
            or not existing.document_abbreviation
            or existing.document_abbreviation == document_abbreviation_for(existing.type)
        ):
            fields["document_abbreviation"] = document_abbreviation_for(fields["type"])
        plan = _OrgPlan(row=row.number, code=code, fields=fields)
        plan.parent_code = row.text("ma_cap_tren") or None
        if row.has("ma_cap_tren") and plan.parent_code is None and existing is not None:
            if self.parent_of.get(code) is not None:
                row.error("ma_cap_tren", _("A unit that has a parent cannot become a root."))
        elif not row.has("ma_cap_tren") and existing is not None:
            plan.parent_code = self.parent_of.get(code)
        if row.has("ma_ke_thua"):
            plan.successor_code = row.text("ma_ke_thua") or None
            if plan.successor_code and plan.successor_code == code:
                row.error("ma_ke_thua", _("A unit cannot be its own successor."))
        elif existing is not None:
            plan.successor_code = self.successor_of.get(code)
        names = [n.strip() for n in row.text("thon_to_dan_pho").split(";")]
        plan.units = list(dict.fromkeys(n for n in names if n))
        if plan.units and fields["type"] and fields["type"] not in CELL_TYPES:
            row.error("thon_to_dan_pho", _("Only a Party cell covers residential units."))
        if not code:
            return None
        if code in self.plans:
            row.error("ma", duplicate_in_file(code, self.plans[code].row))
            return None
        self.plans[code] = plan
        self.type_of[code] = fields["type"]
        self.dissolved_of[code] = dissolved
        self.established_of[code] = established
        return plan

    def _check_references(self, parsed: list[tuple[Row, _OrgPlan]]) -> None:
        known = self.plans.keys() | self.existing.keys()
        for row, plan in parsed:
            for column, code in (
                ("ma_cap_tren", plan.parent_code),
                ("ma_ke_thua", plan.successor_code),
            ):
                if code and code not in known:
                    row.error(column, unknown_organization(code))
            if plan.parent_code in known:
                self.parent_of[plan.code] = plan.parent_code
            if plan.successor_code in known:
                self.successor_of[plan.code] = plan.successor_code

    def _check_cycles(self, parsed: list[tuple[Row, _OrgPlan]]) -> None:
        for column, edges in (("ma_cap_tren", self.parent_of), ("ma_ke_thua", self.successor_of)):
            cycles = _cycles(edges, [plan.code for _row, plan in parsed])
            for row, plan in parsed:
                if plan.code in cycles:
                    row.error(
                        column,
                        _("These codes form a cycle: %(cycle)s.")
                        % {"cycle": " → ".join(cycles[plan.code])},
                    )
        # Parents and successors are created first; a loop through both has no valid order.
        self.order = _topological(
            {
                code: [c for c in (self.parent_of.get(code), self.successor_of.get(code)) if c]
                for code in self.plans
            }
        )
        placed = set(self.order)
        if not any(e.column in ("ma_cap_tren", "ma_ke_thua") for e in self.errors):
            for row, plan in parsed:
                if plan.code not in placed:
                    row.error(
                        "ma_ke_thua", _("The parent and successor codes of this unit form a cycle.")
                    )

    def _commune_of(self, code: str) -> str | None:
        """The commune-level unit over `code`, mapped onto today's unit through merges."""
        seen = {code}
        current = self.parent_of.get(code)
        while current is not None and self.type_of.get(current) not in COMMUNE_LEVEL_TYPES:
            if current in seen:
                return None
            seen.add(current)
            current = self.parent_of.get(current)
        while current is not None:
            successor = self.successor_of.get(current)
            if successor is None or successor in seen:
                break
            if self.type_of.get(successor) not in COMMUNE_LEVEL_TYPES:
                break
            seen.add(successor)
            current = successor
        return current

    def _rank(self, code: str) -> tuple:
        """Which of two cells naming one unit covers it: the active one, then the newest."""
        dissolved = self.dissolved_of.get(code)
        active = dissolved is None or dissolved >= timezone.localdate()
        established = self.established_of.get(code) or datetime.date.min
        return (active, dissolved or datetime.date.max, established)

    def _plan_units(self, parsed: list[tuple[Row, _OrgPlan]]) -> None:
        # (commune code, folded name) -> (cell code, name as written, row)
        self.unit_cells: dict[tuple[str | None, str], tuple[str, str, Row]] = {}
        for row, plan in parsed:
            if "thon_to_dan_pho" in row.failed:
                continue
            commune = self._commune_of(plan.code)
            for name in plan.units:
                key = (commune, normalize_label(name))
                held = self.unit_cells.get(key)
                if held is None or self._rank(plan.code) > self._rank(held[0]):
                    if held and self._rank(held[0])[0]:
                        self._double_cover(row, name, held)
                    self.unit_cells[key] = (plan.code, name, row)
                elif self._rank(plan.code)[0]:
                    self._double_cover(row, name, held)

    def _double_cover(self, row: Row, name: str, held: tuple[str, str, Row]) -> None:
        row.error(
            "thon_to_dan_pho",
            _("“%(unit)s” is also covered by active cell %(code)s (row %(row)s).")
            % {"unit": name, "code": held[0], "row": held[2].number},
        )

    # --- writing ----------------------------------------------------------------------
    def write(self, progress: Progress) -> tuple[int, int]:
        created = updated = 0
        pks = {code: o.pk for code, o in self.existing.items()}
        for code in self.order:
            plan = self.plans[code]
            fields = dict(plan.fields)
            # Sorted inserts and moves shift materialized paths: always hand the services
            # a freshly read parent rather than one prefetched before the writes began.
            parent_pk = pks.get(plan.parent_code)
            parent = Organization.objects.get(pk=parent_pk) if parent_pk else None
            fields["successor_id"] = pks.get(plan.successor_code)
            existing = self.existing.get(code)
            with self.refusal(plan.row, "ma"):
                if existing is None:
                    node = services.organization_create(
                        actor=self.actor, parent=parent, audit=False, code=code, **fields
                    )
                    pks[code] = node.pk
                    created += 1
                else:
                    changed = {k: v for k, v in fields.items() if getattr(existing, k) != v}
                    moved = parent is not None and plan.parent_code != self.db_parent.get(code)
                    if changed or moved:
                        services.organization_update(
                            actor=self.actor,
                            organization=existing,
                            parent=parent if moved else None,
                            **changed,
                        )
                    updated += 1
            progress.step()
        self._write_units(pks)
        return created, updated

    def _write_units(self, pks: dict[str, int]) -> None:
        if "thon_to_dan_pho" not in self.columns:
            return
        cell_pks = {pks[code] for code in self.plans}
        commune_pks = {pks.get(commune) for commune, _name in self.unit_cells}
        existing = {
            (u.commune_id, normalize_label(u.name)): u
            for u in ResidentialUnit.objects.filter(commune_id__in=commune_pks - {None})
            | ResidentialUnit.objects.filter(commune__isnull=True)
            | ResidentialUnit.objects.filter(cell_id__in=cell_pks)
        }
        covered: set[int] = set()
        for (commune, folded), (cell_code, name, _row) in self.unit_cells.items():
            commune_pk, cell_pk = pks.get(commune), pks[cell_code]
            unit = existing.get((commune_pk, folded))
            if unit is None:
                unit = ResidentialUnit.objects.create(
                    name=name,
                    kind=residential_unit_kind(name),
                    commune_id=commune_pk,
                    cell_id=cell_pk,
                )
                existing[(commune_pk, folded)] = unit
            elif unit.cell_id != cell_pk:
                unit.cell_id = cell_pk
                unit.save(update_fields=["cell"])
            covered.add(unit.pk)
        # A cell's list in the file is complete: units it no longer names are uncovered.
        ResidentialUnit.objects.filter(cell_id__in=cell_pks).exclude(pk__in=covered).update(
            cell=None
        )


def _cycles(edges: dict[str, str | None], starts: list[str]) -> dict[str, list[str]]:
    """For each start on a cycle of the one-edge-per-node graph, the cycle from it."""
    state: dict[str, int] = {}
    found: dict[str, list[str]] = {}
    for start in starts:
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in state:
            state[node] = 1
            path.append(node)
            node = edges.get(node)
        if node is not None and state[node] == 1:
            loop = path[path.index(node) :]
            for i, member in enumerate(loop):
                found[member] = [*loop[i:], *loop[:i], member]
        for member in path:
            state[member] = 2
    return found


def _topological(dependencies: dict[str, list[str]]) -> list[str]:
    """Codes ordered so each comes after those it depends on (within the file); loops left out."""
    order: list[str] = []
    done: set[str] = set()
    pending = {code: [d for d in deps if d in dependencies] for code, deps in dependencies.items()}
    progress = True
    while pending and progress:
        progress = False
        for code in list(pending):
            if all(d in done for d in pending[code]):
                order.append(code)
                done.add(code)
                del pending[code]
                progress = True
    return order
