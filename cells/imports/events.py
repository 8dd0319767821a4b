"""Importing dated member events (`su_kien` files): discipline, exemption, leave, removal…"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .. import services
from ..choices import PERIOD_EVENTS, DisciplineForm, EventKind, ImportKind
from ..models import Member, MemberEvent
from .base import (
    Importer,
    Progress,
    Row,
    duplicate_in_file,
    register,
)
from .members import RECORD_NUMBER, latest_cells, member_in_scope, record_number_message

_UPDATABLE = ("end", "discipline_form", "self_remedied", "note")


@dataclass
class _EventPlan:
    row: int
    member: Member
    fields: dict
    event: MemberEvent | None


@register
class EventImporter(Importer):
    kind = ImportKind.EVENTS
    required_columns = ("so_ly_lich", "loai", "tu_ngay")
    optional_columns = ("den_ngay", "hinh_thuc", "tu_phat_hien_khac_phuc", "ghi_chu")
    needs_organization = True

    def validate(self, rows: list[Row], progress: Progress) -> None:
        records = {row.values.get("so_ly_lich", "") for row in rows} - {""}
        self.members = {
            m.record_number: m for m in Member.objects.filter(record_number__in=records)
        }
        member_pks = [m.pk for m in self.members.values()]
        self.latest = latest_cells(member_pks)
        self.existing = {
            (e.member_id, e.kind, e.start): e
            for e in MemberEvent.objects.filter(member_id__in=member_pks)
        }
        self.plans: list[_EventPlan] = []
        seen: dict[tuple, int] = {}
        for row in rows:
            plan = self._parse(row)
            progress.step()
            if plan is None:
                continue
            key = (plan.member.pk, plan.fields["kind"], plan.fields["start"])
            if key in seen:
                row.error("tu_ngay", duplicate_in_file(self._describe(row), seen[key]))
                continue
            seen[key] = row.number
            self.plans.append(plan)

    @staticmethod
    def _describe(row: Row) -> str:
        return " · ".join(row.values.get(c, "") for c in ("so_ly_lich", "loai", "tu_ngay"))

    def _parse(self, row: Row) -> _EventPlan | None:
        record = row.pattern("so_ly_lich", RECORD_NUMBER, record_number_message(), required=True)
        kind = row.choice("loai", EventKind, required=True)
        # Facts of one day are recorded after they happen; periods may be planned ahead.
        start = row.date(
            "tu_ngay", required=True, not_future=bool(kind) and kind not in PERIOD_EVENTS
        )
        end = row.date("den_ngay")
        if start and end and end < start:
            row.error("den_ngay", _("The end date is before the start date."))
        form = row.choice("hinh_thuc", DisciplineForm)
        if kind == EventKind.DISCIPLINE and not form and "hinh_thuc" not in row.failed:
            row.error("hinh_thuc", _("A discipline needs its form (hinh_thuc)."))
        elif kind and kind != EventKind.DISCIPLINE and row.values.get("hinh_thuc"):
            row.error("hinh_thuc", _("Only a discipline event has a form (hinh_thuc)."))
        fields = {
            "kind": kind,
            "start": start,
            "end": end,
            "discipline_form": form,
            "self_remedied": row.flag("tu_phat_hien_khac_phuc"),
            "note": row.text("ghi_chu"),
        }
        member = self._member(row, record)
        if member is None or not kind or not start:
            return None
        return _EventPlan(row.number, member, fields, self.existing.get((member.pk, kind, start)))

    def _member(self, row: Row, record: str) -> Member | None:
        return member_in_scope(
            row, record, members=self.members, latest=self.latest, organization=self.organization
        )

    def write(self, progress: Progress) -> tuple[int, int]:
        created = updated = 0
        # In date order, so a leaving event closes the membership that was open at the time.
        for plan in sorted(self.plans, key=lambda p: (p.fields["start"], p.row)):
            with self.refusal(plan.row, "loai"):
                if plan.event is None:
                    services.member_event_create(
                        actor=self.actor, member=plan.member, audit=False, **plan.fields
                    )
                    created += 1
                else:
                    event = plan.event
                    changed = [k for k in _UPDATABLE if getattr(event, k) != plan.fields[k]]
                    if changed:
                        for name in changed:
                            setattr(event, name, plan.fields[name])
                        event.full_clean()
                        event.save(update_fields=changed)
                    updated += 1
            progress.step()
        return created, updated
