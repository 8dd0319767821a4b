"""Peer groups and the 25% ceiling at the database edge (Quy định 366, Điều 11; DOMAIN §4.3).

Selectors say which peer group each member of a round is counted in, which ratings of other
units share those groups, and which recorded ceiling decisions apply (the decision itself is
recorded by regime_services.quotaceiling_decide). The counting is pure (assessments.rules).

Scopes: the deciding level of a round (the grassroots organization's parent) forms the groups
for the year. A member in a group is counted with every member of that group under the
deciding level (scope = the deciding level); a member in no group is counted in their
grassroots organization (the default). A ceiling decision on an organization raises the
ceiling of the scopes it manages: its own groups when it is the deciding level (or above
it), the per-grassroots count when it is the grassroots organization (or above it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.models import Organization

from . import rules
from .choices import PeerGroupSubject
from .models import (
    MemberCategory,
    MemberRating,
    OrganizationRating,
    PeerGroup,
    PeerGroupAssignment,
    QuotaCeilingDecision,
    RatingRound,
)
from .regime_selectors import post_titles_in_year
from .schemes import QUOTA_SCOPE_PEER_GROUP, RatingScheme


@dataclass
class _QuotaInputs:
    """What QuotaContext reads only when the quota is counted."""

    decisions: list[QuotaCeilingDecision] = field(default_factory=list)
    ceilings: list[rules.QuotaCeiling] = field(default_factory=list)
    others: list[rules.MemberRatingInput] = field(default_factory=list)


@dataclass
class QuotaContext:
    """What a round's quota is counted with: each member's group and scope, the ratings of
    other units in the same groups, the ceilings that apply, and the groups' names."""

    grassroots_id: int
    owner: Organization | None
    groups: dict[int, str | None] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    defined: bool = False  # the deciding level formed peer groups for the year
    formed: list[PeerGroup] = field(default_factory=list)  # those groups (for more members)
    by_hand: set[int] = field(default_factory=set)  # members put in their group by hand
    # The group each member falls in when the rating stores none (a hand assignment, else
    # the rule): where "back to the rule" on the grid puts them.
    unstored: dict[int, tuple[str | None, bool]] = field(default_factory=dict)
    # What only the count needs — the ceiling decisions and the other units' proposals in
    # the same groups — is read when first asked for (`others`, `ceilings`, `decisions`): a
    # grid save builds its form from the rows' groups alone, and the other units' proposals
    # are every rating of the deciding level's other grassroots organizations.
    _read_quota: Callable[[], _QuotaInputs] | None = field(default=None, repr=False)
    _quota: _QuotaInputs | None = field(default=None, repr=False)

    def _inputs(self) -> _QuotaInputs:
        if self._quota is None:
            self._quota = self._read_quota() if self._read_quota is not None else _QuotaInputs()
        return self._quota

    @property
    def others(self) -> list[rules.MemberRatingInput]:
        """The other units' proposals counted in this round's peer groups."""
        return self._inputs().others

    @others.setter
    def others(self, value: list[rules.MemberRatingInput]) -> None:
        self._inputs().others = value

    @property
    def ceilings(self) -> list[rules.QuotaCeiling]:
        return self._inputs().ceilings

    @property
    def decisions(self) -> list[QuotaCeilingDecision]:
        return self._inputs().decisions

    def scope_of(self, member_id: int) -> int:
        """The quota scope of a member: the deciding level for a grouped one."""
        if self.defined and self.groups.get(member_id) and self.owner is not None:
            return self.owner.pk
        return self.grassroots_id


def _rules_of(groups: Iterable[PeerGroup]) -> list[rules.PeerGroupRule]:
    return [
        rules.PeerGroupRule(
            code=g.code,
            name=g.name,
            category=g.rule_category or None,
            posts=tuple(t.strip() for t in g.rule_posts.split(";") if t.strip()),
            order=g.order,
        )
        for g in groups
    ]


def member_groups(
    *,
    owner: Organization,
    year: int,
    member_ids: Iterable[int],
    stored: Mapping[int, str],
    groups: list[PeerGroup] | None = None,
    by_hand: set[int] | None = None,
    unstored: dict[int, tuple[str | None, bool]] | None = None,
) -> dict[int, str | None]:
    """The peer group (code) of each member, or None: the group stored on the rating (the
    committee's or the file's `nhom`), else a hand assignment, else the first matching rule.
    `by_hand`, when given, receives the members whose group is not a rule's (the grid says
    which); `unstored` the (group, by hand) each would have without the rating's stored one.

    Three queries (groups, assignments, categories) plus the year's posts.
    """
    ids = list(member_ids)
    if groups is None:
        groups = list(
            PeerGroup.objects.filter(owner=owner, year=year, subject=PeerGroupSubject.MEMBERS)
        )
    if not groups:
        return {mid: None for mid in ids}
    codes = {g.code for g in groups}
    manual = dict(
        PeerGroupAssignment.objects.filter(group__in=groups, member_id__in=ids).values_list(
            "member_id", "group__code"
        )
    )
    categories = dict(
        MemberCategory.objects.filter(year=year, member_id__in=ids).values_list(
            "member_id", "category"
        )
    )
    posts = post_titles_in_year(member_ids=ids, year=year)
    group_rules = _rules_of(groups)
    found = {}
    for mid in ids:
        kept = stored.get(mid) if stored.get(mid) in codes else None
        hand = kept or manual.get(mid)
        if hand and by_hand is not None:
            by_hand.add(mid)
        found[mid] = rules.peer_group_for(
            manual=hand,
            category=categories.get(mid),
            post_titles=posts.get(mid, ()),
            groups=group_rules,
        )
        if unstored is not None:
            unstored[mid] = (
                (found[mid], bool(hand))
                if not kept
                else (
                    rules.peer_group_for(
                        manual=manual.get(mid),
                        category=categories.get(mid),
                        post_titles=posts.get(mid, ()),
                        groups=group_rules,
                    ),
                    mid in manual,
                )
            )
    return found


def _ceilings(
    *, decisions: list[QuotaCeilingDecision], grassroots: Organization, owner: Organization | None
) -> list[rules.QuotaCeiling]:
    found = []
    for d in decisions:
        base = {
            "ratio": Fraction(d.percent, 100),
            "reason": d.reason,
            "decided_by": d.deciding_organization.name,
            "decided_on": timezone.localtime(d.decided_at).date(),
        }
        path = d.organization.path
        if owner is not None and owner.path.startswith(path):
            code = d.group.code if d.group_id else None
            found.append(rules.QuotaCeiling(organization_id=owner.pk, group=code, **base))
        if d.group_id is None and grassroots.path.startswith(path):
            found.append(rules.QuotaCeiling(organization_id=grassroots.pk, **base))
    return found


def ceiling_decisions_for(*, organization: Organization, year: int) -> list[QuotaCeilingDecision]:
    """The year's ceiling decisions on `organization` or any node above it (for the review
    screen and the reports: who decided, when, why)."""
    step = Organization.steplen
    paths = [organization.path[: step * depth] for depth in range(1, organization.depth + 1)]
    return list(
        QuotaCeilingDecision.objects.filter(year=year, organization__path__in=paths)
        .select_related("organization", "deciding_organization", "group", "decided_by")
        .order_by("decided_at", "id")
    )


def quota_context_for(
    *,
    round: RatingRound,  # noqa: A002
    scheme: RatingScheme,
    member_ids: Iterable[int],
    stored: Mapping[int, str],
    owner: Organization | None | bool = False,
) -> QuotaContext:
    """Groups, cross-unit ratings and ceilings for counting `round`'s quota (a fixed number of
    queries whatever the size of the unit; none before the 2025 regime; the ceilings and the
    cross-unit ratings read when first used). `owner`: the deciding level when the caller
    has read it already."""
    grassroots = round.organization
    ids = list(member_ids)
    if scheme.quota_scope != QUOTA_SCOPE_PEER_GROUP:
        # 2019–2024: per grassroots organization, or the 2023–2024 "member_group" option
        # with the group stored on the rating; no peer groups, no 25% ceiling.
        context = QuotaContext(grassroots_id=grassroots.pk, owner=None)
        context.groups = {mid: stored.get(mid) or None for mid in ids}
        return context
    # The deciding level forms the groups: the grassroots organization's parent (its round
    # is decided there; selectors.deciding_organization_for says the same).
    if owner is False:
        owner = Organization.objects.get_parent(grassroots)
    groups = (
        list(
            PeerGroup.objects.filter(owner=owner, year=round.year, subject=PeerGroupSubject.MEMBERS)
        )
        if owner is not None
        else []
    )
    context = QuotaContext(
        grassroots_id=grassroots.pk,
        owner=owner,
        _read_quota=lambda: _quota_inputs(
            round=round, grassroots=grassroots, owner=owner, groups=groups
        ),
    )
    if not groups:
        # No peer group formed: everybody is counted in the grassroots organization.
        context.groups = dict.fromkeys(ids)
        return context
    context.defined = True
    context.formed = groups
    context.names = {g.code: g.name for g in groups}
    context.groups = member_groups(
        owner=owner,
        year=round.year,
        member_ids=ids,
        stored=stored,
        groups=groups,
        by_hand=context.by_hand,
        unstored=context.unstored,
    )
    return context


def _quota_inputs(
    *,
    round: RatingRound,  # noqa: A002
    grassroots: Organization,
    owner: Organization | None,
    groups: list[PeerGroup],
) -> _QuotaInputs:
    """The ceilings that apply to `round` and, with peer groups formed, the other units'
    proposals in them (one query for the ceilings; four more with groups)."""
    decisions = ceiling_decisions_for(organization=grassroots, year=round.year)
    found = _QuotaInputs(
        decisions=decisions,
        ceilings=_ceilings(decisions=decisions, grassroots=grassroots, owner=owner),
    )
    if not groups:
        return found
    others = list(
        MemberRating.objects.filter(
            year=round.year, round__organization__path__startswith=owner.path
        )
        .exclude(round__organization=grassroots)
        .exclude(proposed_level="")
        .values_list("member_id", "proposed_level", "group")
    )
    other_groups = member_groups(
        owner=owner,
        year=round.year,
        member_ids=[m for m, _l, _g in others],
        stored={m: g for m, _l, g in others},
        groups=groups,
    )
    found.others = [
        rules.MemberRatingInput(
            member_id=mid, level=level, organization_id=owner.pk, group=other_groups[mid]
        )
        for mid, level, _g in others
        if other_groups.get(mid)
    ]
    return found


def extend_groups(
    context: QuotaContext, *, year: int, member_ids: Iterable[int], stored: Mapping[int, str]
) -> None:
    """Add the groups of more members of the round to `context` (the grid reads its cell's
    members first, then the rest of the organization's ratings for the per-group counts)."""
    ids = [mid for mid in member_ids if mid not in context.groups]
    if not ids:
        return
    if not context.defined or context.owner is None:
        context.groups.update(dict.fromkeys(ids))
        return
    context.groups.update(
        member_groups(
            owner=context.owner,
            year=year,
            member_ids=ids,
            stored=stored,
            groups=context.formed,
            by_hand=context.by_hand,
        )
    )


@dataclass(frozen=True)
class GroupQuota:
    """One line of the per-group counters: the group, its counts and the ceiling applied."""

    code: str | None
    name: str
    count: rules.QuotaCount


def quota_state_for(
    *,
    round: RatingRound,  # noqa: A002
    scheme: RatingScheme,
) -> list[GroupQuota]:
    """The quota counters of a round per peer group (and the per-unit rest): HTTNV, HTXSNV,
    allowed, remaining, the ratio and any ceiling decision — for the grid and review screens.

    Counts the round's proposals with the other units' proposals in the same groups.
    """
    ratings = list(
        MemberRating.objects.filter(round=round).values_list("member_id", "proposed_level", "group")
    )
    context = quota_context_for(
        round=round,
        scheme=scheme,
        member_ids=[m for m, _l, _g in ratings],
        stored={m: g for m, _l, g in ratings},
    )
    inputs = [
        rules.MemberRatingInput(
            member_id=mid,
            level=level or None,
            organization_id=context.scope_of(mid),
            group=context.groups.get(mid),
        )
        for mid, level, _g in ratings
    ]
    counts = rules.quota_counts(scheme, [*inputs, *context.others], ceilings=context.ceilings)
    own_groups = {i.group for i in inputs if i.group}
    return [
        GroupQuota(
            code=c.group,
            name=context.names.get(c.group or "", c.group or _("Whole grassroots organization")),
            count=c,
        )
        for c in counts
        if c.organization_id == context.grassroots_id or c.group in own_groups
    ]


def organization_peer_scopes(*, organizations: Iterable[Organization]) -> dict[int, int | None]:
    """The collectives' quota scope of each organization: its decider (Hướng dẫn 43 §3) —
    the đảng ủy cơ sở for a cell, the parent for a grassroots organization or a commune."""
    organizations = list(organizations)
    step = Organization.steplen
    paths = {o.path[: step * d] for o in organizations for d in range(1, o.depth)}
    ancestors = {a.path: a for a in Organization.objects.filter(path__in=paths)}
    found: dict[int, int | None] = {}
    for o in organizations:
        chain = [
            ancestors[o.path[: step * d]]
            for d in range(o.depth - 1, 0, -1)
            if o.path[: step * d] in ancestors
        ]
        decider = rules.decider_for(
            rules.Node(id=o.pk, type=o.type, is_grassroots=o.is_grassroots),
            [rules.Node(id=a.pk, type=a.type, is_grassroots=a.is_grassroots) for a in chain],
        )
        found[o.pk] = decider.organization_id if decider else None
    return found


def organization_quota_violations_for(
    *,
    organizations: Iterable[tuple[Organization, str | None]],
    year: int,
    scheme: RatingScheme,
) -> list[rules.Violation]:
    """The collectives' quota (2025–) over the given (organization, proposed level) pairs,
    counted with the year's other organization ratings that share their decider."""
    pairs = list(organizations)
    if not pairs:
        return []
    scopes = organization_peer_scopes(organizations=[o for o, _l in pairs])
    given = {o.pk for o, _l in pairs}
    deciders = Organization.objects.filter(pk__in={s for s in scopes.values() if s}).only(
        "path", "depth", "is_grassroots"
    )
    # Only where a peer can be (rules.decider_for): below a grassroots decider anywhere in its
    # subtree (its cells), below any other decider its direct children alone. A province's
    # whole tree was read before — 1.5 s of a decision — to keep a couple of hundred rows.
    under = Q(pk__in=[])
    for decider in deciders:
        near = Q(organization__path__startswith=decider.path)
        if not decider.is_grassroots:
            near &= Q(organization__depth=decider.depth + 1)
        under |= near
    others = [
        r
        for r in OrganizationRating.objects.filter(under, year=year)
        .exclude(organization_id__in=given)
        .exclude(proposed_level="", decided_level="")
        .select_related("organization")
    ]
    other_scopes = organization_peer_scopes(organizations=[r.organization for r in others])
    inputs = [
        rules.OrganizationRatingInput(subject_id=o.pk, level=level, organization_id=scopes[o.pk])
        for o, level in pairs
    ]
    inputs += [
        rules.OrganizationRatingInput(
            subject_id=r.organization_id,
            level=r.decided_level or r.proposed_level,
            organization_id=other_scopes[r.organization_id],
        )
        for r in others
        if other_scopes[r.organization_id] in set(scopes.values())
    ]
    ceilings = []
    for decision in QuotaCeilingDecision.objects.filter(
        year=year, group__isnull=True, organization_id__in=set(scopes.values())
    ):
        ceilings.append(
            rules.QuotaCeiling(
                organization_id=decision.organization_id,
                ratio=Fraction(decision.percent, 100),
                reason=decision.reason,
            )
        )
    return rules.organization_quota_violations(scheme, inputs, ceilings=ceilings)
