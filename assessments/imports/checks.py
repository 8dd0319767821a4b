"""Rating imports, the checks across rows: rounds, the rules of §4.1, quotas and groups.

`RuleChecks` is the part of `RatingImporter` that counts the parsed rows per grassroots
organization and asks the pure rules, as the grid would.
"""

from collections import defaultdict

from django.utils.translation import gettext as _

from cells.imports import RowError

from .. import facts as rating_facts
from .. import rules
from ..choices import EDITABLE_STATES
from ..models import MemberRating, RatingRound
from ..peer_groups import quota_context_for
from ..schemes import (
    GROUPED_QUOTA_SCOPES,
    QUOTA_SCOPE_PEER_GROUP,
    Rank,
)
from .parsing import LEVEL_COLUMN, _Rating


class RuleChecks:
    """The round and rule checks of `RatingImporter` (a mixin: the state lives on the importer)."""

    def _rows_by_grassroots(self) -> dict[int, list[_Rating]]:
        grouped: dict[int, list[_Rating]] = defaultdict(list)
        for rating in (*self.member_rows, *self.organization_rows):
            grouped[rating.grassroots.pk].append(rating)
        return grouped

    def _existing_rounds(self, org_ids) -> dict[int, RatingRound]:
        """The year's rounds of these grassroots organizations, by organization id."""
        rounds = RatingRound.objects.filter(organization_id__in=org_ids, year=self.year)
        return {r.organization_id: r for r in rounds}

    def _check_rounds(self) -> None:
        """A round already submitted or decided is no longer the unit's to change."""
        grouped = self._rows_by_grassroots()
        self.rounds = self._existing_rounds(grouped)
        for org_id, ratings in grouped.items():
            round_ = self.rounds.get(org_id)
            if round_ is None or round_.state in EDITABLE_STATES:
                continue
            message = _(
                "The %(year)s ratings of %(organization)s are “%(state)s”: they can no longer "
                "be changed by an import."
            ) % {
                "year": self.year,
                "organization": ratings[0].grassroots.name,
                "state": rules.STATE_LABELS[round_.state],
            }
            for rating in ratings:
                column = "so_ly_lich" if rating.member is not None else "ma"
                self.errors.append(RowError(rating.row, column, message))

    def _check_member_rules(self) -> None:
        """Each grassroots organization's whole set, as the grid would count it after saving."""
        by_org: dict[int, list[_Rating]] = defaultdict(list)
        for rating in self.member_rows:
            by_org[rating.grassroots.pk].append(rating)
        if not by_org:
            return
        in_file = {r.member.pk for r in self.member_rows}
        existing = list(
            MemberRating.objects.filter(round__organization_id__in=by_org, year=self.year)
            .exclude(member_id__in=in_file)
            .select_related("member", "round")
        )
        facts = rating_facts.member_facts_for(
            year=self.year,
            members=[r.member for r in self.member_rows] + [mr.member for mr in existing],
            # The file's points replace the stored ones, an empty cell included.
            points={r.member.pk: r.points for r in self.member_rows},
        )
        contexts = {}
        file_inputs: dict[int, list[rules.MemberRatingInput]] = {}
        for org_id, ratings in by_org.items():
            others = [mr for mr in existing if mr.round.organization_id == org_id]
            round_ = self.rounds.get(org_id) or RatingRound(
                organization=ratings[0].grassroots, year=self.year, scheme_code=self.scheme.code
            )
            stored = {mr.member_id: mr.group for mr in others if mr.group}
            stored |= {r.member.pk: r.group for r in ratings if r.group}
            context = quota_context_for(
                round=round_,
                scheme=self.scheme,
                member_ids=[r.member.pk for r in ratings] + [mr.member_id for mr in others],
                stored=stored,
            )
            # The file's rows replace what other units stored for the same members.
            context.others = [o for o in context.others if o.member_id not in in_file]
            contexts[org_id] = (round_, context, others)
            self._check_groups(ratings, context)
            self._check_task_parts(ratings, facts)
            file_inputs[org_id] = [
                rules.MemberRatingInput(
                    member_id=r.member.pk,
                    level=r.level,
                    not_rated_reason=r.reason or None,
                    not_rated_note=r.note,
                    organization_id=context.scope_of(r.member.pk),
                    group=context.groups.get(r.member.pk),
                )
                for r in ratings
            ]
        for org_id, ratings in by_org.items():
            round_, context, others = contexts[org_id]
            inputs = list(file_inputs[org_id])
            inputs += [
                rules.MemberRatingInput(
                    member_id=mr.member_id,
                    level=mr.proposed_level or None,
                    not_rated_reason=mr.not_rated_reason or None,
                    not_rated_note=mr.not_rated_note,
                    organization_id=context.scope_of(mr.member_id),
                    group=context.groups.get(mr.member_id),
                )
                for mr in others
            ]
            # Rows of the file in other units of the same peer groups count here too.
            owner_id = context.owner.pk if context.defined else None
            sharing = [
                i
                for other, found in file_inputs.items()
                if other != org_id
                for i in found
                if owner_id is not None and i.organization_id == owner_id
            ]
            # A justified exception the deciding level already recorded lifts the quota here too.
            exceptions = []
            if round_.quota_exception.strip():
                scopes = {org_id, owner_id or org_id}
                exceptions = [
                    rules.QuotaException(organization_id=s, justification=round_.quota_exception)
                    for s in scopes
                ]
            violations = rules.check_member_ratings(
                self.scheme,
                facts,
                inputs,
                quota_exceptions=exceptions,
                quota_ceilings=context.ceilings,
                quota_only=[*context.others, *sharing],
            )
            counts = rules.quota_counts(
                self.scheme, [*inputs, *context.others, *sharing], ceilings=context.ceilings
            )
            self._report(
                violations,
                ratings,
                {i.member_id: i for i in file_inputs[org_id]},
                [*inputs[len(ratings) :], *context.others, *sharing],
                counts,
            )

    def _check_groups(self, ratings: list[_Rating], context) -> None:
        """A `nhom` must name a peer group the deciding level formed for the year."""
        for r in ratings:
            if not r.group or self.scheme.quota_scope != QUOTA_SCOPE_PEER_GROUP:
                continue
            if r.group not in context.names:
                known = ", ".join(f"{c} ({n})" for c, n in context.names.items())
                self.errors.append(
                    RowError(
                        r.row,
                        "nhom",
                        _("“%(value)s” is not a peer group of %(year)s: %(groups)s.")
                        % {
                            "value": r.group,
                            "year": self.year,
                            "groups": known or _("the deciding level formed none"),
                        },
                    )
                )

    def _check_task_parts(self, ratings: list[_Rating], facts) -> None:
        """A task part different from what the task ledger suggests needs a reason (P3)."""
        for r in ratings:
            if r.tasks is None:
                continue
            summary = facts[r.member.pk].tasks
            suggested = rules.suggest_task_points(summary.counts if summary else None)
            for _code, message in rules.parts_problems(
                general=None, tasks=r.tasks, suggested=suggested, reason=r.parts_reason
            ):
                self.errors.append(RowError(r.row, "diem_nhiem_vu", message))

    def _report(
        self,
        violations,
        ratings: list[_Rating],
        inputs: dict[int, rules.MemberRatingInput],
        others: list[rules.MemberRatingInput],
        counts: list[rules.QuotaCount],
    ) -> None:
        row_of = {r.member.pk: r.row for r in ratings}
        exceeded = iter([c for c in counts if c.exceeded])
        found: list[RowError] = []
        for violation in violations:
            count = next(exceeded, None) if violation.code == "Q1" else None
            if not violation.is_blocking:
                # Told, not refused: a level far below its points band, a lifted quota.
                where = [row_of[violation.subject_id]] if violation.subject_id in row_of else [0]
                self.notices += [RowError(row, LEVEL_COLUMN, violation.message) for row in where]
                continue
            if count is not None:
                rows = self._rows_over_quota(count, ratings, inputs, others)
            elif violation.subject_id in row_of:
                rows = [row_of[violation.subject_id]]
            else:
                rows = []
            found += [RowError(row, LEVEL_COLUMN, violation.message) for row in rows]
        self.errors.extend(dict.fromkeys(found))

    def _rows_over_quota(
        self,
        count: rules.QuotaCount,
        ratings: list[_Rating],
        inputs: dict[int, rules.MemberRatingInput],
        others: list[rules.MemberRatingInput],
    ) -> list[int]:
        """The file's HTXSNV rows in the exceeded scope (its grassroots organization, or its
        peer group) beyond what the quota leaves once the others there are counted."""
        by_group = self.scheme.quota_scope in GROUPED_QUOTA_SCOPES

        def key(subject: rules.MemberRatingInput) -> tuple:
            return subject.organization_id, subject.group if by_group else None

        def excellent(level: str | None) -> bool:
            return bool(level) and self.scheme.level(level).rank == Rank.EXCELLENT

        wanted = (count.organization_id, count.group)
        kept = sum(excellent(o.level) for o in others if key(o) == wanted)
        rows = [r.row for r in ratings if excellent(r.level) and key(inputs[r.member.pk]) == wanted]
        over = rows[max(count.max_excellent - kept, 0) :]
        return over or rows
