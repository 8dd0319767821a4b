"""Read side of the review at province scale: the list of units, one unit's members, what changed.

A province committee reviews ≈ 170–230 grassroots organizations of ≈ 1,700 members each.
Running the rules over 400,000 members on every view of the list is what made it slow, so
each round's figures (counts per level, the violations the rules find, the members changed
since the last return or decision) are kept in a `RoundSummary` valid for one round version:
every write to what a round is judged on bumps the version (`round_checks.save_round`), and a
fact about its members changed elsewhere (an event, a post, a transfer: database triggers,
migration 0012) bumps `RoundFacts.seq`; a summary is recomputed once per change. A page
recomputes within a time budget and leaves the rest to a worker (`summaries_refresh`, and
the minute job `summaries_refresh_stale`), showing how many are still being updated.

Decided and published rounds are not run through the rules again: the decision checked them
under the lock, and a later change needs a reopening (which bumps the version).

`summaries` (snapshots, summaries), `units` (the list), `detail` (one unit's members); every
public name is re-exported here.
"""

from .detail import (
    DETAIL_PAGE_SIZE,
    DetailFilter,
    MemberLine,
    ReviewDetail,
    review_detail,
)
from .summaries import (
    LIST_FIELDS,
    Summaries,
    Values,
    changed_members,
    current_values,
    latest_snapshot,
    round_summary_refresh,
    search_fold,
    snapshot_values,
    summaries_for,
    summaries_refresh,
    summaries_refresh_later,
    summaries_refresh_stale,
)
from .units import (
    LATENESS,
    SORTS,
    ReviewFilter,
    ReviewRow,
    areas_of,
    days_late,
    review_rows,
    review_rows_filtered,
)

__all__ = [
    "DETAIL_PAGE_SIZE",
    "DetailFilter",
    "LATENESS",
    "LIST_FIELDS",
    "MemberLine",
    "ReviewDetail",
    "ReviewFilter",
    "ReviewRow",
    "SORTS",
    "Summaries",
    "Values",
    "areas_of",
    "changed_members",
    "current_values",
    "days_late",
    "latest_snapshot",
    "review_detail",
    "review_rows",
    "review_rows_filtered",
    "round_summary_refresh",
    "search_fold",
    "snapshot_values",
    "summaries_for",
    "summaries_refresh",
    "summaries_refresh_later",
    "summaries_refresh_stale",
]
