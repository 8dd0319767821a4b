"""Who decides what in a round (Hướng dẫn 43-HD/BTCTW §3), read from the pure rule.

`rules.decider_for` is the one place that says who decides an organization: a chi bộ trực
thuộc (or a đảng bộ bộ phận) its đảng ủy cơ sở; a chi bộ cơ sở or đảng bộ cơ sở the standing
committee of the tier above; the commune-level committee the province's standing committee.
This module only feeds it the tree and turns its answer into the workflow's terms:

- a round's *decider* is the decider of the round's organization;
- under a scheme that `decides_by_organization` (2025–), each sub-unit of the round whose
  decider is another body (the đảng ủy cơ sở) is a *sub-unit step*: that body decides the
  sub-unit's rating and its members' ratings, and the round's decider decides the rest (the
  grassroots organization's own rating) once every step is decided.

A step is decided when its organization rating carries `decided_at`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cells.models import Membership, Organization
from documents.naming import committee_name

from . import rules
from .choices import RoundState
from .models import OrganizationRating, RatingRound


@dataclass(frozen=True)
class DecidingBody:
    """The organization that decides and which of its bodies (`rules.deciders` COMMITTEE or
    STANDING_COMMITTEE)."""

    organization: Organization
    body: str

    @property
    def label(self) -> str:
        """The body in running text: "Đảng ủy xã An Hòa", "Ban Thường vụ Huyện ủy Phú An"."""
        name = committee_name(type=self.organization.type, name=self.organization.name)
        if self.body == rules.deciders.COMMITTEE:
            return name
        return _("Standing committee of %(committee)s") % {"committee": name}

    def __str__(self) -> str:
        return self.label


def _node(organization: Organization) -> rules.Node:
    return rules.Node(
        id=organization.pk, type=organization.type, is_grassroots=organization.is_grassroots
    )


def deciders_for(organizations: Iterable[Organization]) -> dict[int, DecidingBody | None]:
    """The decider of each organization, by id (two queries whatever their number)."""
    organizations = list(organizations)
    step = Organization.steplen
    paths = {o.path[: step * d] for o in organizations for d in range(1, o.depth)}
    known = {o.path: o for o in organizations}
    missing = paths - set(known)
    if missing:
        known.update({a.path: a for a in Organization.objects.filter(path__in=missing)})
    # The rule reads the subject's kind and its ancestors only, so siblings of one kind share
    # the answer: a province's review list asks for ~10,000 units under ~200 parents.
    chains: dict[str, tuple[list[Organization], list[rules.Node]]] = {}
    by_kind: dict[tuple[str, str, bool], DecidingBody | None] = {}
    found: dict[int, DecidingBody | None] = {}
    for o in organizations:
        parent = o.path[: step * (o.depth - 1)]
        key = (parent, o.type, o.is_grassroots)
        if key not in by_kind:
            if parent not in chains:
                chain = [known[o.path[: step * d]] for d in range(o.depth - 1, 0, -1)]
                chains[parent] = (chain, [_node(a) for a in chain])
            chain, nodes = chains[parent]
            decider = rules.decider_for(_node(o), nodes)
            by_kind[key] = (
                None
                if decider is None
                else DecidingBody(
                    organization=next(a for a in chain if a.pk == decider.organization_id),
                    body=decider.body,
                )
            )
        found[o.pk] = by_kind[key]
    return found


def decider_of(organization: Organization) -> DecidingBody | None:
    """The body that decides `organization`'s rating (None for a root)."""
    return deciders_for([organization])[organization.pk]


# === Sub-unit steps ============================================================================
@dataclass
class SubunitStep:
    """A sub-unit of a round decided in a step of its own (HD 43 §3: a chi bộ trực thuộc by
    its đảng ủy cơ sở), with what the screens show of it."""

    organization: Organization
    decider: DecidingBody
    rating: OrganizationRating | None
    members: int = 0

    @property
    def decided(self) -> bool:
        return self.rating is not None and self.rating.decided_at is not None

    @property
    def proposed(self) -> bool:
        """The sub-unit has a proposal to decide: a level, or a reason it is not rated."""
        return self.rating is not None and bool(
            self.rating.proposed_level or self.rating.not_rated_reason
        )


def _period_end(year: int) -> datetime.date:
    return rules.default_period_end(year)


def _splits(round_: RatingRound) -> bool:
    return round_.scheme.decides_by_organization and round_.organization.is_grassroots


# What a step reads of a unit: what `deciders_for` and a body's label need, and the screens.
_UNIT_FIELDS = ("pk", "path", "depth", "type", "is_grassroots", "name", "code")


@dataclass(frozen=True, slots=True)
class _Unit:
    """A unit read as a tuple where no screen needs the model (the review list's counts):
    the same attributes as `_UNIT_FIELDS` of an Organization."""

    pk: int
    path: str
    depth: int
    type: str
    is_grassroots: bool
    name: str
    code: str


def _round_subunits(
    rounds: list[RatingRound], *, light: bool = False
) -> dict[int, list[tuple[Organization, DecidingBody]]]:
    """Each round's sub-units decided in a step, with their decider, by round id, in tree
    order (a fixed number of queries). `light` reads the units as `_Unit` tuples: a
    province's submitted rounds hold ~4,400 of them, 0.1 s as model instances."""
    # The units that exist on each year's period end (one query per year shown, usually one).
    nodes: dict[int, list] = {}
    for year in {r.year for r in rounds}:
        under = Q(pk__in=[])
        for r in rounds:
            if r.year == year:
                under |= Q(path__startswith=r.organization.path)
        qs = Organization.objects.existing_on(_period_end(year)).filter(under).order_by("path")
        if light:
            nodes[year] = [_Unit(*row) for row in qs.values_list(*_UNIT_FIELDS)]
        else:
            nodes[year] = list(qs.only(*_UNIT_FIELDS))
    # Each unit goes to the nearest grassroots organization above it, when that one is a
    # round's (a grassroots organization inside another has a round of its own).
    step = Organization.steplen
    by_round: dict[int, list] = defaultdict(list)
    for year, found in nodes.items():
        round_at = {r.organization.path: r.pk for r in rounds if r.year == year}
        grassroots = {o.path for o in found if o.is_grassroots} | set(round_at)
        for o in found:
            if o.is_grassroots:
                continue
            for depth in range(o.depth - 1, 0, -1):
                prefix = o.path[: step * depth]
                if prefix in grassroots:
                    if prefix in round_at:
                        by_round[round_at[prefix]].append(o)
                    break
    subunits = [o for orgs in by_round.values() for o in orgs]
    deciders = deciders_for([*subunits, *(r.organization for r in rounds)])
    found: dict[int, list[tuple[Organization, DecidingBody]]] = {}
    for r in rounds:
        own = deciders[r.organization.pk]
        found[r.pk] = [
            (o, deciders[o.pk])
            for o in by_round.get(r.pk, [])
            if deciders[o.pk] is not None
            and (own is None or deciders[o.pk].organization.pk != own.organization.pk)
        ]
    return found


def steps_for(
    rounds: Iterable[RatingRound], *, with_members: bool = False
) -> dict[int, list[SubunitStep]]:
    """The sub-unit steps of each round, by round id, in tree order (a fixed number of
    queries). Rounds of earlier schemes, and commune-level committees' own rounds (which
    hold no sub-unit), have none."""
    rounds = [r for r in rounds if _splits(r)]
    if not rounds:
        return {}
    by_round = _round_subunits(rounds)
    subunits = [o for pairs in by_round.values() for o, _d in pairs]
    # By round only: the rounds hold few ratings besides their sub-units', and a list of
    # thousands of sub-unit ids costs more to send and plan than the rows it would skip.
    subunit_ids = {o.pk for o in subunits}
    ratings = {
        (r.round_id, r.organization_id): r
        for r in OrganizationRating.objects.filter(round__in=rounds).select_related("decided_by")
        if r.organization_id in subunit_ids
    }
    members: dict[int, int] = {}
    if with_members and subunits:
        active = Q()
        for r in rounds:
            end = _period_end(r.year)
            active |= Q(
                Q(end__isnull=True) | Q(end__gte=end),
                start__lte=end,
                organization__path__startswith=r.organization.path,
            )
        members = dict(
            Membership.objects.filter(active, organization__in=subunits)
            .values("organization_id")
            .annotate(n=Count("member_id", distinct=True))
            .values_list("organization_id", "n")
        )
    return {
        round_pk: [
            SubunitStep(
                organization=o,
                decider=decider,
                rating=ratings.get((round_pk, o.pk)),
                members=members.get(o.pk, 0),
            )
            for o, decider in pairs
        ]
        for round_pk, pairs in by_round.items()
    }


def pending_steps_for(rounds: Iterable[RatingRound]) -> dict[int, list[DecidingBody]]:
    """The decider of each step not decided yet, by round id, in tree order: what the review
    list shows (how many wait, and for whom), read as tuples. The instances `steps_for`
    builds — every unit and rating of a province's submitted rounds — cost its list 0.4 s."""
    rounds = [r for r in rounds if _splits(r)]
    if not rounds:
        return {}
    by_round = _round_subunits(rounds, light=True)
    decided = set(
        OrganizationRating.objects.filter(round__in=rounds, decided_at__isnull=False)
        .order_by()
        .values_list("round_id", "organization_id")
    )
    return {
        round_pk: [decider for o, decider in pairs if (round_pk, o.pk) not in decided]
        for round_pk, pairs in by_round.items()
    }


def subunit_steps(round_: RatingRound, *, with_members: bool = False) -> list[SubunitStep]:
    """The sub-unit steps of one round (see `steps_for`)."""
    return steps_for([round_], with_members=with_members).get(round_.pk, [])


def step_cell_ids(round_: RatingRound, *, decided: bool) -> set[int]:
    """Ids of the round's sub-units decided in a step (`decided`), one query: a decided step's
    rows are locked for entry until its decider reopens it."""
    qs = OrganizationRating.objects.filter(round=round_, decided_at__isnull=not decided).exclude(
        organization_id=round_.organization_id
    )
    return set(qs.values_list("organization_id", flat=True))


# === Who acts next =============================================================================
def next_step(round_: RatingRound, steps: list[SubunitStep]) -> str:
    """A sentence saying truthfully who acts next on the round (HD 43 §3)."""
    decider = decider_of(round_.organization)
    above = decider.label if decider else "—"
    own = committee_name(type=round_.organization.type, name=round_.organization.name)
    pending = [s for s in steps if not s.decided]
    inside = pending[0].decider.label if pending else own
    state = round_.state
    if state in (RoundState.DRAFT, RoundState.RETURNED):
        if pending:
            return ngettext(
                "%(own)s completes the proposals and decides %(count)d subordinate cell, "
                "then sends the rating to %(above)s.",
                "%(own)s completes the proposals and decides %(count)d subordinate cells, "
                "then sends the rating to %(above)s.",
                len(pending),
            ) % {"own": inside, "count": len(pending), "above": above}
        return _("%(own)s completes the proposals, then sends them to %(above)s.") % {
            "own": own,
            "above": above,
        }
    if state == RoundState.SUBMITTED:
        if pending:
            return ngettext(
                "Waiting for %(inside)s to decide %(count)d subordinate cell; "
                "then %(above)s decides %(name)s.",
                "Waiting for %(inside)s to decide %(count)d subordinate cells; "
                "then %(above)s decides %(name)s.",
                len(pending),
            ) % {
                "inside": inside,
                "count": len(pending),
                "above": above,
                "name": round_.organization.name,
            }
        return _("Waiting for %(above)s to decide.") % {"above": above}
    if state == RoundState.DECIDED:
        return _("Decided by %(above)s; waiting to be published.") % {"above": above}
    return _("Decided by %(above)s and published.") % {"above": above}
