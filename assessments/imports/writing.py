"""Rating imports, writing: the checked rows saved through the rating services.

`RatingWriting` is the part of `RatingImporter` that writes, all or nothing, and turns a
service's refusal into the row's error.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from cells.imports import Progress, RowError
from cells.imports.base import (
    ImportRefused,
)

from .. import services
from ..models import MemberRating, OrganizationRating, RatingRound
from ..regime_services import RegimeRow, membercategory_set, memberratings_regime_record
from ..schemes import (
    Rank,
)
from .parsing import LEVEL_COLUMN, _Rating


class RatingWriting:
    """The writing of `RatingImporter` (a mixin: the state lives on the importer)."""

    @contextmanager
    def refusal_of_service(
        self, row: int, *, column: str = LEVEL_COLUMN, rows: list[_Rating] = ()
    ) -> Iterator[None]:
        """A service's refusal as row errors (a rule it re-checked on the rows it names).

        Validation already ran the same rules, so this only catches what changed in between
        (a concurrent edit, a deadline passing).
        """
        try:
            yield
        except services.RuleViolationError as exc:
            row_of = {r.member.pk: r.row for r in rows if r.member is not None}
            raise ImportRefused(
                [
                    RowError(row_of.get(v.subject_id, row), column, v.message)
                    for v in exc.violations
                    if v.is_blocking
                ]
                or [RowError(row, column, exc.message)]
            ) from exc
        except services.RatingError as exc:
            raise ImportRefused([RowError(row, column, exc.message)]) from exc
        except ValidationError as exc:
            raise ImportRefused([RowError(row, column, " ".join(exc.messages))]) from exc
        except PermissionDenied as exc:
            message = str(exc) or _("You may not change this unit.")
            raise ImportRefused([RowError(row, column, message)]) from exc

    def _excellent(self, rating: _Rating) -> bool:
        return bool(rating.level) and self.scheme.level(rating.level).rank == Rank.EXCELLENT

    def _save_members(self, rounds: dict[int, RatingRound], org_id: int, members: list[_Rating]):
        with self.refusal_of_service(members[0].row, rows=members):
            rounds[org_id] = services.member_ratings_save(
                actor=self.actor,
                round=rounds[org_id],
                rows=[
                    services.RowInput(
                        member_id=r.member.pk,
                        level=r.level or "",
                        not_rated_reason=r.reason,
                        not_rated_note=r.note,
                        points=r.points,
                        group=r.group if "nhom" in self.columns else None,
                    )
                    for r in members
                ],
                round_version=rounds[org_id].version,
                check_rules=True,
            )

    def write(self, progress: Progress) -> tuple[int, int]:
        created = updated = 0
        grouped = self._rows_by_grassroots()
        rated_members = set(
            MemberRating.objects.filter(
                year=self.year, member_id__in=[r.member.pk for r in self.member_rows]
            ).values_list("member_id", flat=True)
        )
        rated_organizations = set(
            OrganizationRating.objects.filter(
                year=self.year,
                organization_id__in=[r.organization.pk for r in self.organization_rows],
            ).values_list("organization_id", flat=True)
        )
        rounds: dict[int, RatingRound] = {}
        for org_id, ratings in grouped.items():
            with self.refusal_of_service(ratings[0].row):
                rounds[org_id] = services.round_get_or_create(
                    actor=self.actor, organization=ratings[0].grassroots, year=self.year
                )
        # The form category first: a peer group may be formed by it (rules_ceilings).
        for rating in self.member_rows:
            if rating.category:
                with self.refusal_of_service(rating.row, column="doi_tuong"):
                    membercategory_set(
                        actor=self.actor,
                        member=rating.member,
                        year=self.year,
                        category=rating.category,
                    )
        # HTXSNV rows last, in every unit: a peer group spans units, and the file was checked
        # as a whole, so each save counts every HTTNV of the file already in its groups.
        for excellent_pass in (False, True):
            for org_id, ratings in grouped.items():
                members = [
                    r
                    for r in ratings
                    if r.member is not None and self._excellent(r) == excellent_pass
                ]
                if members:
                    self._save_members(rounds, org_id, members)
        for org_id, ratings in grouped.items():
            regime = [
                RegimeRow(
                    member_id=r.member.pk,
                    general=r.general,
                    tasks=r.tasks,
                    tasks_reason=r.parts_reason,
                )
                for r in ratings
                if r.member is not None and r.general is not None
            ]
            if regime:
                with self.refusal_of_service(ratings[0].row):
                    memberratings_regime_record(actor=self.actor, round=rounds[org_id], rows=regime)
        # Organizations after every member, and cells before the organizations above them:
        # O1 counts the levels just proposed below. Each refusal is collected so the file's
        # every organization error is listed, then the whole import is rolled back.
        refused: list[RowError] = []
        for rating in sorted(self.organization_rows, key=lambda r: -r.organization.depth):
            try:
                with self.refusal_of_service(rating.row, column=LEVEL_COLUMN):
                    saved = services.organization_rating_save(
                        actor=self.actor,
                        round=rounds[rating.grassroots.pk],
                        organization=rating.organization,
                        level=rating.level or "",
                        not_rated_reason=rating.reason,
                        not_rated_note=rating.note,
                        points=rating.points,
                    )
                    rounds[rating.grassroots.pk] = saved.round
            except ImportRefused as exc:
                refused.extend(exc.errors)
        if refused:
            raise ImportRefused(refused)
        for rating in (*self.member_rows, *self.organization_rows):
            if (
                rating.member.pk in rated_members
                if rating.member is not None
                else rating.organization.pk in rated_organizations
            ):
                updated += 1
            else:
                created += 1
            progress.step()
        return created, updated
