"""Importing a past year's results as decided (DOMAIN.md §8, issue #17): decided history.

A province adopting the app arrives with years of results decided long ago. The deciding
level imports such a year as decided: the file is checked exactly as a proposal is (every rule
of that year's scheme), a quota exception the real decision granted is recorded and lifts the
quota as it did then, the proposals are written, and each grassroots organization's round is
decided by the decision of record (number and date, in the file or given once for the file)
through `round_decide_recorded` — audited, and counted as official by the dashboard and the
reports at once (their tallies follow the decided levels). A year already decided is reopened
first, with its reason (an audited reopening), then decided again.
"""

import datetime
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext as _

from cells.imports import ImportResult, Row, RowError
from cells.imports.base import ProgressCallback, run_importer
from cells.vietnamese import nfc

from . import rules, services
from .choices import DECIDED_STATES, EDITABLE_STATES
from .imports import RatingImporter
from .models import RatingRound

NUMBER_COLUMN, DATE_COLUMN = "so_quyet_dinh", "ngay_quyet_dinh"


@dataclass(frozen=True)
class DecidedImport:
    """What the deciding level gives once for the file."""

    decision: services.DecisionReference | None = None
    quota_exception: str = ""
    reopen_reason: str = ""

    @classmethod
    def from_options(cls, number: str, date: str, quota_exception: str, reopen_reason: str):
        day = datetime.datetime.strptime(date, "%d/%m/%Y").date() if date else None
        return cls(
            decision=services.DecisionReference(number, day) if number and day else None,
            quota_exception=quota_exception,
            reopen_reason=reopen_reason,
        )

    def as_options(self) -> dict:
        """JSON-ready, for the import's audit row."""
        return {
            "decided": True,
            "decision_number": self.decision.number if self.decision else "",
            "decision_date": self.decision.date.strftime("%d/%m/%Y") if self.decision else "",
            "quota_exception": self.quota_exception,
            "reopen_reason": self.reopen_reason,
        }


class DecidedRatingImporter(RatingImporter):
    """A `xep_loai` file of a past year, written as decided by its decision of record."""

    optional_columns = (*RatingImporter.optional_columns, NUMBER_COLUMN, DATE_COLUMN)

    def __init__(
        self,
        *,
        decided: bool,
        decision_number: str = "",
        decision_date: str = "",
        quota_exception: str = "",
        reopen_reason: str = "",
        **kwargs,
    ):
        # The options arrive JSON-ready (they are also the import's audit row).
        super().__init__(**kwargs)
        self.decided = DecidedImport.from_options(
            decision_number, decision_date, quota_exception, reopen_reason
        )
        self.row_decisions: dict[int, services.DecisionReference | None] = {}

    # --- validation -----------------------------------------------------------------------
    def _parse(self, row: Row):
        rating = super()._parse(row)
        number = nfc(row.text(NUMBER_COLUMN, max_length=60))
        day = row.date(DATE_COLUMN, not_future=True)
        if bool(number) != bool(day):
            missing = DATE_COLUMN if number else NUMBER_COLUMN
            row.error(missing, _("Give both the decision's number and its date."))
        elif number:
            self.row_decisions[row.number] = services.DecisionReference(number, day)
        return rating

    def _check_rounds(self) -> None:
        grouped = self._rows_by_grassroots()
        self.rounds = self._existing_rounds(grouped)
        self.decisions: dict[int, services.DecisionReference] = {}
        for org_id, ratings in grouped.items():
            round_ = self.rounds.get(org_id)
            name = ratings[0].grassroots.name
            state = round_.state if round_ is not None else None
            if state is not None and state not in EDITABLE_STATES | DECIDED_STATES:
                self._round_error(ratings, self._submitted_message(name, round_))
            elif state in DECIDED_STATES and not self.decided.reopen_reason:
                self._round_error(ratings, self._reopen_message(name))
            self._round_decision(org_id, ratings, name)
            # The exception the real decision granted lifts the quota in the checks that
            # follow, as the recorded one of a round does (an unsaved round when it is new).
            if self.decided.quota_exception:
                if round_ is None:
                    round_ = RatingRound(organization_id=org_id, year=self.year)
                    self.rounds[org_id] = round_
                round_.quota_exception = self.decided.quota_exception

    def _round_decision(self, org_id: int, ratings: list, name: str) -> None:
        found = {self.row_decisions.get(r.row) for r in ratings} - {None}
        if len(found) > 1:
            self._round_error(
                ratings,
                _(
                    "The rows of %(organization)s name different decisions: one decision decides "
                    "one organization's year."
                )
                % {"organization": name},
                column=NUMBER_COLUMN,
            )
        elif found:
            self.decisions[org_id] = found.pop()
        elif self.decided.decision is not None:
            self.decisions[org_id] = self.decided.decision
        else:
            self._round_error(
                ratings,
                _(
                    "Results imported as decided need the decision's number and date: in the "
                    "so_quyet_dinh and ngay_quyet_dinh columns, or given once for the file."
                ),
                column=NUMBER_COLUMN,
            )

    def _submitted_message(self, name: str, round_: RatingRound) -> str:
        return _(
            "The %(year)s ratings of %(organization)s are “%(state)s”, awaiting the deciding "
            "level: decide them on the review page instead of importing them."
        ) % {"year": self.year, "organization": name, "state": rules.STATE_LABELS[round_.state]}

    def _reopen_message(self, name: str) -> str:
        return _(
            "The %(year)s ratings of %(organization)s are already decided: importing them "
            "again reopens them, which needs a reason (the reopening is recorded)."
        ) % {"year": self.year, "organization": name}

    def _round_error(self, ratings: list, message: str, column: str = "") -> None:
        for rating in ratings:
            where = column or ("so_ly_lich" if rating.member is not None else "ma")
            self.errors.append(RowError(rating.row, where, message))

    # --- writing ----------------------------------------------------------------------------
    def write(self, progress) -> tuple[int, int]:
        grouped = self._rows_by_grassroots()
        for ratings in grouped.values():
            with self.refusal_of_service(ratings[0].row):
                round_ = services.round_get_or_create(
                    actor=self.actor, organization=ratings[0].grassroots, year=self.year
                )
                if round_.state in DECIDED_STATES:
                    round_ = services.round_reopen(
                        actor=self.actor, round=round_, reason=self.decided.reopen_reason
                    )
            if self.decided.quota_exception:
                # Before the proposals are saved: the exception the decision granted lifts
                # the quota the save checks (the decision below records it, audited).
                RatingRound.objects.filter(pk=round_.pk).update(
                    quota_exception=self.decided.quota_exception
                )
        counts = super().write(progress)
        saved = RatingRound.objects.filter(organization_id__in=grouped, year=self.year)
        for round_ in saved.order_by("pk"):
            ratings = grouped[round_.organization_id]
            with self.refusal_of_service(ratings[0].row, rows=ratings):
                services.round_decide_recorded(
                    actor=self.actor,
                    round=round_,
                    decision=self.decisions[round_.organization_id],
                    quota_exception=self.decided.quota_exception,
                )
        return counts


def decided_ratings_import(
    *,
    file: BinaryIO,
    filename: str,
    organization,
    year: int,
    decided: DecidedImport,
    actor=None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Check a past year's `xep_loai` file like a proposal, then write it as decided by its
    decision of record, all or nothing (a dry run rolls everything back)."""
    return run_importer(
        DecidedRatingImporter,
        file=file,
        filename=filename,
        actor=actor,
        organization=organization,
        dry_run=dry_run,
        progress=progress,
        options={"year": year, **decided.as_options()},
    )
