"""Write side of what the deciding levels set up for the 2025– regime (DOMAIN §4.3): the peer
groups the quota is counted in, with their rules and hand assignments, and the province's
criteria items of the 30 + 70 points. Each use case checks permission, writes and audits
inline (the facts about members and their scores are in assessments.regime_services).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cells.audit import audit_record
from cells.choices import PROVINCIAL_TYPES
from cells.models import Member, Organization
from cells.permissions import can_decide_rating
from cells.vietnamese import nfc

from .choices import FormCategory, PeerGroupSubject, PointsPart, ScoringMode
from .models import PeerGroup, PeerGroupAssignment, PointsItem, ScoreSheet
from .models.regime import TASK_POINTS
from .regime_selectors import AUDIENCE_COLLECTIVE, member_cell_at_year_end
from .round_checks import acting_user
from .rules.points import PART_POINTS


# === Peer groups (the deciding level's, per year) ==============================================
def _require_decider(actor, organization: Organization) -> None:
    if actor is not None and not can_decide_rating(actor, organization):
        raise PermissionDenied(
            _("Only the deciding level (%(organization)s or above) may change this.")
            % {"organization": organization}
        )


_GROUP_FIELDS = ("code", "name", "rule_category", "rule_posts", "order")


@transaction.atomic
def peergroup_save(
    *,
    actor,
    owner: Organization,
    year: int,
    code: str,
    name: str,
    rule_category: str = "",
    rule_posts: str = "",
    order: int = 0,
    group: PeerGroup | None = None,
) -> PeerGroup:
    """Create (or change, with `group`) a peer group of the deciding level `owner` for `year`:
    its code (the ratings file's `nhom`), name and rule (a form category, post titles separated
    by “;”, or both; neither: members put in by hand only). Audited."""
    if group is not None:
        owner, year = group.owner, group.year
    _require_decider(actor, owner)
    errors: dict[str, list[str]] = {}
    code = (code or "").strip()
    name = " ".join(nfc(name or "").split())
    posts = "; ".join(t.strip() for t in nfc(rule_posts or "").split(";") if t.strip())
    if not code or not all(c.isascii() and (c.isalnum() or c in "-_") for c in code):
        errors["code"] = [_("Write a short code of letters, digits, “-” or “_”, e.g. BT-CB.")]
    elif len(code) > 40:
        errors["code"] = [_("At most 40 characters.")]
    elif (
        PeerGroup.objects.filter(owner=owner, year=year, code__iexact=code)
        .exclude(pk=getattr(group, "pk", None))
        .exists()
    ):
        errors["code"] = [
            _("Another group of %(year)s already has the code “%(code)s”.")
            % {"year": year, "code": code}
        ]
    if not name:
        errors["name"] = [_("Write the group's name.")]
    elif len(name) > 160:
        errors["name"] = [_("At most 160 characters.")]
    if rule_category and rule_category not in FormCategory.values:
        errors["rule_category"] = [_("Choose a form category from the list.")]
    if len(posts) > 255:
        errors["rule_posts"] = [_("At most 255 characters.")]
    if order is None or not 0 <= int(order) <= 999:
        errors["order"] = [_("A number from 0 to 999.")]
    if errors:
        raise ValidationError(errors)
    values = {
        "code": code,
        "name": name,
        "rule_category": rule_category or "",
        "rule_posts": posts,
        "order": int(order),
    }
    if group is None:
        group = PeerGroup.objects.create(
            owner=owner, year=year, subject=PeerGroupSubject.MEMBERS, **values
        )
        changes = {k: [None, v] for k, v in values.items()}
        action = "peergroup_create"
    else:
        group = PeerGroup.objects.select_for_update().get(pk=group.pk)
        changes = {k: [getattr(group, k), v] for k, v in values.items() if getattr(group, k) != v}
        for k, v in values.items():
            setattr(group, k, v)
        group.save()
        action = "peergroup_update"
    if changes:
        audit_record(
            actor=actor,
            action=action,
            instance=group,
            organization=owner,
            changes={**changes, "year": year},
        )
    return group


@transaction.atomic
def peergroup_delete(*, actor, group: PeerGroup) -> None:
    """Remove a group and its hand assignments (its members fall back to the other groups'
    rules or to their grassroots organization). Refused while a ceiling decision names it."""
    _require_decider(actor, group.owner)
    if group.ceiling_decisions.exists():
        raise ValidationError(_("A quota ceiling decision names this group: it cannot be removed."))
    hands = group.assignments.count()
    audit_record(
        actor=actor,
        action="peergroup_delete",
        instance=group,
        organization=group.owner,
        changes={"code": [group.code, None], "name": [group.name, None], "by_hand": hands},
    )
    group.delete()


def _member_under(owner: Organization, member: Member, year: int) -> Organization:
    cell = member_cell_at_year_end(member=member, year=year)
    if cell is None or not cell.path.startswith(owner.path):
        raise ValidationError(
            _("%(member)s is not a member under %(owner)s at the end of %(year)s.")
            % {"member": member, "owner": owner, "year": year}
        )
    return cell


@transaction.atomic
def peergroup_member_add(*, actor, group: PeerGroup, member: Member) -> PeerGroupAssignment:
    """Put `member` in `group` by hand (it wins over every rule). A member is in one group by
    hand at most: an earlier hand assignment of the same year and level moves. Audited."""
    _require_decider(actor, group.owner)
    cell = _member_under(group.owner, member, group.year)
    earlier = PeerGroupAssignment.objects.select_for_update().filter(
        group__owner=group.owner, group__year=group.year, member=member
    )
    before = [a.group.code for a in earlier.select_related("group")]
    earlier.exclude(group=group).delete()
    assignment, _created = PeerGroupAssignment.objects.update_or_create(
        group=group, member=member, defaults={"assigned_by": acting_user(actor)}
    )
    audit_record(
        actor=actor,
        action="peergroup_member_add",
        instance=group,
        organization=cell,
        changes={"member": member.pk, "group": [before[0] if before else None, group.code]},
    )
    return assignment


@transaction.atomic
def peergroup_member_remove(*, actor, group: PeerGroup, member: Member) -> None:
    """Take a hand assignment back: the member falls under the rules again. Audited."""
    _require_decider(actor, group.owner)
    deleted, _rows = PeerGroupAssignment.objects.filter(group=group, member=member).delete()
    if deleted:
        audit_record(
            actor=actor,
            action="peergroup_member_remove",
            instance=group,
            organization=group.owner,
            changes={"member": member.pk, "group": [group.code, None]},
        )


# === The province's criteria items ============================================================
@transaction.atomic
def pointsitem_save(
    *,
    actor,
    province: Organization,
    year: int,
    part: str,
    name: str,
    max_points,
    scoring: str = ScoringMode.POINTS,
    audience: str = "",
    order: int = 0,
    item: PointsItem | None = None,
) -> PointsItem:
    """Create (or change, with `item`) one criteria item of the province's 30 + 70 points for
    `year`: who decides ratings at the province sets them. Audited."""
    if item is not None:
        province, year = item.province, item.year
    if province.type not in PROVINCIAL_TYPES:
        raise ValueError("Criteria items belong to a province or a centrally governed city")
    _require_decider(actor, province)
    errors: dict[str, list[str]] = {}
    name = " ".join(nfc(name or "").split())
    if not name:
        errors["name"] = [_("Write the item's name.")]
    elif len(name) > 255:
        errors["name"] = [_("At most 255 characters.")]
    if part not in PointsPart.values:
        errors["part"] = [_("Choose the part of the score.")]
    if scoring not in ScoringMode.values:
        errors["scoring"] = [_("Choose how the item is scored.")]
    if audience not in ("", AUDIENCE_COLLECTIVE, *FormCategory.values):
        errors["audience"] = [_("Choose for whom the item is.")]
    try:
        points = Decimal(str(max_points).replace(",", "."))
    except ArithmeticError:
        points = None
    top = PART_POINTS.get(part, Decimal(TASK_POINTS))
    if points is None or not points.is_finite() or not 0 < points <= top:
        errors["max_points"] = [_("A number of points above 0 and at most %(top)s.") % {"top": top}]
    elif points != points.quantize(Decimal("0.01")):
        errors["max_points"] = [_("At most two decimals.")]
    if errors:
        raise ValidationError(errors)
    values = {
        "part": part,
        "name": name,
        "max_points": points,
        "scoring": scoring,
        "audience": audience,
        "order": int(order or 0),
    }
    if item is None:
        item = PointsItem.objects.create(province=province, year=year, **values)
        changes = {k: [None, str(v)] for k, v in values.items()}
        action = "pointsitem_create"
    else:
        item = PointsItem.objects.select_for_update().get(pk=item.pk)
        changes = {
            k: [str(getattr(item, k)), str(v)] for k, v in values.items() if getattr(item, k) != v
        }
        for k, v in values.items():
            setattr(item, k, v)
        item.save()
        action = "pointsitem_update"
    if changes:
        audit_record(
            actor=actor,
            action=action,
            instance=item,
            organization=province,
            changes={**changes, "year": year},
        )
    return item


@transaction.atomic
def pointsitem_delete(*, actor, item: PointsItem) -> None:
    """Remove an item no score sheet was entered with yet (a used item stays: the sheets
    keep their values by item). Audited."""
    _require_decider(actor, item.province)
    used = ScoreSheet.objects.filter(items__has_key=str(item.pk)).count()
    if used:
        raise ValidationError(
            _("%(count)s score sheets were entered with this item: it cannot be removed.")
            % {"count": used}
        )
    audit_record(
        actor=actor,
        action="pointsitem_delete",
        instance=item,
        organization=item.province,
        changes={"name": [item.name, None], "year": item.year},
    )
    item.delete()
