"""Write-side use-cases of the cells app: each checks permission, writes, and audits.

Every public service is atomic and takes the acting user as keyword-only `actor`.
Permission failures raise PermissionDenied; the views turn an out-of-scope object
into a 404 before a service is ever reached.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from . import structure
from .audit import audit_record, current_audit_context, diff, snapshot
from .choices import CELL_TYPES, LEAVING_EVENTS, EventKind, MembershipKind, OrganizationType
from .fields import organization_code_validator
from .models import AuditEntry, Member, MemberEvent, Membership, Organization, Post
from .models.tree import TreeBusyError, lock_tree
from .permissions import STRUCTURE_FIELDS, can_administer, can_change_structure, can_edit_roster
from .vietnamese import nfc

# How long a person's change of the tree waits for another one (an import of a
# reorganisation holds the tree's lock for its whole transaction) before it is refused.
TREE_WAIT_SECONDS = 10


def _lock_tree() -> None:
    """The tree's lock (cells.models.tree.lock_tree) before any row of it is read for
    update; refused in Vietnamese after TREE_WAIT_SECONDS rather than waiting out an import."""
    try:
        lock_tree(wait_seconds=TREE_WAIT_SECONDS)
    except TreeBusyError as exc:
        raise ValidationError(
            _("Another change of the organization tree is being saved. Try again in a minute.")
        ) from exc


_ORG_FIELDS = [
    "code",
    "name",
    "type",
    "is_grassroots",
    "established_on",
    "dissolved_on",
    "successor_id",
    "document_abbreviation",
]


def _require_roster_rights(actor, organization: Organization) -> None:
    if actor is not None and not can_edit_roster(actor, organization):
        raise PermissionDenied(_("You may not change this unit."))


def _check_code(code: str) -> str:
    code = (code or "").strip()
    try:
        organization_code_validator(code)
    except ValidationError as exc:
        raise ValidationError({"code": exc.messages}, code="code_pattern") from exc
    return code


def _require_structure_rights(actor, organization: Organization, fields: dict) -> None:
    """Structure (type, code, flag, dissolution, successor) changes only from above."""
    if actor is None or can_change_structure(actor, organization):
        return
    for name in STRUCTURE_FIELDS & set(fields):
        attname = "successor_id" if name == "successor" else name
        value = fields[name]
        value = getattr(value, "pk", value) if name == "successor" else value
        if getattr(organization, attname) != value:
            raise PermissionDenied(
                _("The type, code, dissolution and successor of a unit are set by the level above.")
            )


def _check_child_type(parent: Organization, child_type: str) -> None:
    """Refuse a unit of `child_type` under `parent` (cells.structure), in plain Vietnamese,
    on the type field."""
    refusal = structure.child_type_refusal(parent_type=parent.type, child_type=child_type)
    if not refusal:
        return
    labels = dict(OrganizationType.choices)
    values = {
        "parent": parent.name,
        "parent_type": labels.get(parent.type, parent.type),
        "child_type": labels.get(child_type, child_type),
    }
    messages = {
        structure.HOLDS_NOTHING: _(
            "%(parent)s is a Party cell: it holds members, not units. Add the unit under the "
            "Party committee above it."
        ),
        structure.LOWER_LEVEL: _(
            "A unit of type “%(child_type)s” cannot sit under %(parent)s "
            "(%(parent_type)s): a unit only holds units of a lower level."
        ),
    }
    raise ValidationError({"type": messages[refusal] % values}, code="child_type")


@transaction.atomic
def organization_create(
    *, actor, parent: Organization | None, audit: bool = True, **fields
) -> Organization:
    """Add a node under `parent` (a root when None: administrators only).

    Adding a unit changes the tree: it needs an administrator of the parent or above
    (#19: a roster editor keeps members and events, not the structure), and the child's type
    must fit the parent's level (`cells.structure`)."""
    if parent is None:
        if actor is not None and not getattr(actor, "is_superuser", False):
            raise PermissionDenied(_("Only an administrator may add a top-level unit."))
    else:
        if actor is not None and not can_administer(actor, parent):
            raise PermissionDenied(_("Only an administrator of this unit or above may add a unit."))
        _check_child_type(parent, fields.get("type", ""))
    fields["name"] = nfc(fields["name"])
    fields["code"] = _check_code(fields["code"])
    node = Organization(**fields)
    node.full_clean(exclude=["path", "depth", "numchild"])
    _lock_tree()
    if parent is None:
        node = Organization.objects.add_root(instance=node)
    else:
        node = Organization.objects.add_child(parent, instance=node)
    if audit:
        audit_record(
            actor=actor,
            action="organization_create",
            instance=node,
            organization=node,
            changes={k: [None, v] for k, v in snapshot(node, _ORG_FIELDS).items()},
        )
    return node


@transaction.atomic
def organization_update(
    *, actor, organization: Organization, parent: Organization | None = None, **fields
) -> Organization:
    """Change a node's fields, and move it under `parent` when given (a reorganisation)."""
    _require_roster_rights(actor, organization)
    _lock_tree()
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if parent is not None:  # as it is now that no other edit can move it
        parent = Organization.objects.get(pk=parent.pk)
    _require_structure_rights(actor, organization, fields)
    before = snapshot(organization, _ORG_FIELDS)
    if "name" in fields:
        fields["name"] = nfc(fields["name"])
    if "code" in fields and fields["code"] != organization.code:
        fields["code"] = _check_code(fields["code"])
    for key, value in fields.items():
        setattr(organization, key, value)
    organization.full_clean(exclude=["path", "depth", "numchild"])
    current_parent = Organization.objects.get_parent(organization)
    if "type" in fields or (parent is not None and parent != current_parent):
        new_parent = parent or current_parent
        if new_parent is not None:
            _check_child_type(new_parent, organization.type)
        for child in Organization.objects.get_children(organization):
            _check_child_type(organization, child.type)
    organization.save()
    changes = diff(before, snapshot(organization, _ORG_FIELDS))
    if parent is not None and parent != current_parent:
        if actor is not None and not (
            can_change_structure(actor, organization) and can_administer(actor, parent)
        ):
            raise PermissionDenied(_("Only an administrator above both units may move a unit."))
        if parent.path.startswith(organization.path):
            raise ValidationError(_("A unit cannot be moved under itself."))
        Organization.objects.move(organization, parent, pos="sorted-child")
        organization.refresh_from_db()
        changes["parent"] = [getattr(current_parent, "code", None), parent.code]
    if changes:
        audit_record(
            actor=actor,
            action="organization_update",
            instance=organization,
            organization=organization,
            changes=changes,
        )
    return organization


def organization_maps_refresh() -> int:
    """Recompute every unit's `maps_to` (where its rows count on today's tree) and
    `maps_across`; returns the units changed. The triggers of migration cells 0006 keep them
    after every write; this is for writes that skipped them (a bulk load with
    session_replication_role = replica). PostgreSQL only (0 elsewhere)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pb_org_maps_refresh(NULL)")
        return cursor.fetchone()[0]


# The member record as services write it and audit it (the generator's COPY writes the same).
MEMBER_RECORD_FIELDS = [
    "record_number",
    "full_name",
    "gender",
    "birth_date",
    "birthplace",
    "hometown",
    "ethnicity",
    "religion",
    "occupation",
    "general_education",
    "professional_level",
    "political_theory",
    "admitted_on",
    "ceremony_on",
    "full_member_on",
    "card_number",
    "citizen_id",
]


def _clean_member_fields(fields: dict) -> dict:
    for key in ("full_name", "birthplace", "hometown", "ethnicity", "religion", "occupation"):
        if key in fields and fields[key]:
            fields[key] = nfc(fields[key])
    for key in ("card_number", "citizen_id"):
        if key in fields and not fields[key]:
            fields[key] = None  # unique when present: store absence as NULL
    if "record_number" in fields:
        fields["record_number"] = fields["record_number"].strip().upper()
    return fields


def membership_start_for(*, cell: Organization, admitted_on: datetime.date | None) -> datetime.date:
    """When a member placed in `cell` started belonging to it: admission, or the cell's founding."""
    candidates = [d for d in (admitted_on, cell.established_on) if d is not None]
    return max(candidates) if candidates else datetime.date.today()


def _history_through_predecessors(
    cell: Organization, admitted_on: datetime.date | None
) -> list[tuple[Organization, datetime.date, datetime.date | None]]:
    """The chain of cells a member of `cell` belonged to before a merge.

    A roster file names only today's cell. When that cell took over from exactly one
    predecessor (a 2025 merge), the member belonged to the predecessor before it, so past
    years are rated on the structure of their year. With several predecessors the file
    does not say which one, and history starts at the cell's founding.
    """
    return membership_chain(
        cell, admitted_on, predecessors_of=lambda org: list(org.predecessors.all()[:2])
    )


def membership_chain(
    cell,
    admitted_on: datetime.date | None,
    *,
    predecessors_of: Callable,
) -> list[tuple]:
    """(cell, start, end) from the earliest cell to `cell`, walking back while the member was
    admitted before the current cell's founding and `predecessors_of` names exactly one.

    The lookup is passed in so that members_bulk_create can answer it from one prefetch, and
    the province generator (assessments.demo.generator.people) from its in-memory plan; it is
    asked only when the walk would go on, so a member admitted after the founding costs no lookup.
    """
    chain = []
    end = None
    current = cell
    while True:
        start = membership_start_for(cell=current, admitted_on=admitted_on)
        chain.append((current, start, end))
        if (
            current.established_on is None
            or admitted_on is None
            or admitted_on >= current.established_on
        ):
            break
        predecessors = predecessors_of(current)
        if len(predecessors) != 1:
            break
        end = current.established_on - datetime.timedelta(days=1)
        current = predecessors[0]
    return list(reversed(chain))


@transaction.atomic
def member_create(*, actor, cell: Organization, audit: bool = True, **fields) -> Member:
    """Add a member to `cell`, with the membership history implied by merges."""
    if cell.type not in CELL_TYPES:
        raise ValidationError(_("Members belong to a Party cell."))
    _require_roster_rights(actor, cell)
    fields = _clean_member_fields(fields)
    member = Member(**fields)
    member.full_clean()
    member.save()
    for org, start, end in _history_through_predecessors(cell, member.admitted_on):
        Membership.objects.create(member=member, organization=org, start=start, end=end)
    if audit:
        audit_record(
            actor=actor,
            action="member_create",
            instance=member,
            organization=cell,
            changes={k: [None, v] for k, v in snapshot(member, MEMBER_RECORD_FIELDS).items()},
        )
    return member


@dataclass
class NewMember:
    """One member for `members_bulk_create`: the fields `member_create` takes, the cell, and
    the member's posts (unsaved `Post`s without a member; it is set on them)."""

    cell: Organization
    fields: dict
    posts: list[Post] = field(default_factory=list)


class MemberRowRefused(Exception):
    """`members_bulk_create` refused `rows[index]`: `error` is the ValidationError or
    PermissionDenied that `member_create` would have raised for that row."""

    def __init__(self, index: int, error: ValidationError | PermissionDenied):
        super().__init__(str(error))
        self.index = index
        self.error = error


_UNIQUE_MEMBER_FIELDS = ("record_number", "card_number", "citizen_id")


def _taken_member_keys(members: list[Member]) -> dict[str, set[str]]:
    """The record, card and citizen-ID numbers among `members` already held in the database."""
    wanted = {
        name: {getattr(m, name) for m in members} - {None, ""} for name in _UNIQUE_MEMBER_FIELDS
    }
    taken: dict[str, set[str]] = {name: set() for name in _UNIQUE_MEMBER_FIELDS}
    if not any(wanted.values()):
        return taken
    query = Q()
    for name, values in wanted.items():
        if values:
            query |= Q(**{f"{name}__in": values})
    for row in Member.objects.filter(query).values_list(*_UNIQUE_MEMBER_FIELDS):
        for name, value in zip(_UNIQUE_MEMBER_FIELDS, row, strict=True):
            if value in wanted[name]:
                taken[name].add(value)
    return taken


def _predecessors_by_successor(cells: list[Organization]) -> dict[int, list[Organization]]:
    """The merge predecessors of `cells` and, through single predecessors, of theirs: every
    lookup `membership_chain` can make, in one query per level of merges."""
    found: dict[int, list[Organization]] = {}
    frontier = {cell.pk for cell in cells}
    while frontier:
        level: dict[int, list[Organization]] = {pk: [] for pk in frontier}
        for org in Organization.objects.filter(successor_id__in=frontier):
            level[org.successor_id].append(org)
        found.update(level)
        # Past a cell with several predecessors the walk stops, so only single ones go on.
        frontier = {preds[0].pk for preds in level.values() if len(preds) == 1} - found.keys()
    return found


def _member_create_audit_entry(*, actor, member: Member, cell: Organization) -> AuditEntry:
    # The row audit_record writes for member_create, built unsaved for one bulk insert.
    context = current_audit_context()
    on_behalf_of = context.on_behalf_of
    return AuditEntry(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        on_behalf_of=on_behalf_of if getattr(on_behalf_of, "is_authenticated", False) else None,
        action="member_create",
        organization=cell,
        object_type=Member._meta.label_lower,
        object_id=str(member.pk),
        object_repr=str(member)[:255],
        changes={k: [None, v] for k, v in snapshot(member, MEMBER_RECORD_FIELDS).items()},
        remote_addr=context.remote_addr,
    )


@transaction.atomic
def members_bulk_create(
    *, actor, rows: list[NewMember], audit: bool = True, batch_size: int = 1000
) -> list[Member]:
    """Add many new members at once, writing exactly what `member_create` would for each.

    A province's roster file holds tens of thousands of members; `member_create` spends a
    dozen queries on each (unique checks, the merge walk, one insert per row). Here the
    permission is checked once per cell, uniqueness against the database and among `rows`
    in one query, the predecessor chains are read once for all cells, and members,
    memberships, posts (and the audit rows) are inserted in batches. The first row that
    `member_create` would refuse raises `MemberRowRefused` with its index, and nothing of
    the call is kept. Returns the saved members in the order of `rows`.
    """
    drafts = [Member(**_clean_member_fields(dict(row.fields))) for row in rows]
    taken = _taken_member_keys(drafts)
    allowed: dict[int, bool] = {}
    for index, (row, member) in enumerate(zip(rows, drafts, strict=True)):
        try:
            if row.cell.type not in CELL_TYPES:
                raise ValidationError(_("Members belong to a Party cell."))
            if row.cell.pk not in allowed:
                allowed[row.cell.pk] = actor is None or can_edit_roster(actor, row.cell)
            if not allowed[row.cell.pk]:
                raise PermissionDenied(_("You may not change this unit."))
            _clean_member_in_bulk(member, taken)
        except (ValidationError, PermissionDenied) as exc:
            raise MemberRowRefused(index, exc) from exc
    predecessors = _predecessors_by_successor(
        list({row.cell.pk: row.cell for row in rows}.values())
    )
    Member.objects.bulk_create(drafts, batch_size=batch_size)
    memberships = []
    posts = []
    for row, member in zip(rows, drafts, strict=True):
        chain = membership_chain(
            row.cell, member.admitted_on, predecessors_of=lambda org: predecessors[org.pk]
        )
        # Ids rather than instances: the related-object setters cost more than the insert.
        memberships.extend(
            Membership(member_id=member.pk, organization_id=org.pk, start=start, end=end)
            for org, start, end in chain
        )
        for post in row.posts:
            post.member = member
            posts.append(post)
    Membership.objects.bulk_create(memberships, batch_size=batch_size)
    Post.objects.bulk_create(posts, batch_size=batch_size)
    if audit:
        AuditEntry.objects.bulk_create(
            [
                _member_create_audit_entry(actor=actor, member=member, cell=row.cell)
                for row, member in zip(rows, drafts, strict=True)
            ],
            batch_size=batch_size,
        )
    return drafts


def _clean_member_in_bulk(member: Member, taken: dict[str, set[str]]) -> None:
    """`member.full_clean()` with its unique checks answered from `taken` (the database's
    values, to which each checked member's own are added) instead of a query each."""
    errors: dict = {}
    try:
        # Besides uniqueness, the one constraint checks `gender`, which its choices already do.
        member.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    for name in _UNIQUE_MEMBER_FIELDS:
        value = getattr(member, name)
        if value is None or name in errors:
            continue
        if value in taken[name]:
            errors[name] = [member.unique_error_message(Member, (name,))]
    if errors:
        raise ValidationError(errors)
    for name in _UNIQUE_MEMBER_FIELDS:
        value = getattr(member, name)
        if value is not None:
            taken[name].add(value)


def member_current_cell(*, member: Member) -> Organization | None:
    membership = member.memberships.filter(end__isnull=True).select_related("organization").first()
    return membership.organization if membership else None


@transaction.atomic
def member_update(
    *, actor, member: Member, cell: Organization | None = None, audit: bool = True, **fields
) -> Member:
    """Change a member's record; a different `cell` records a transfer from today."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    current = member_current_cell(member=member)
    if current is not None:
        _require_roster_rights(actor, current)
    before = snapshot(member, MEMBER_RECORD_FIELDS)
    for key, value in _clean_member_fields(fields).items():
        setattr(member, key, value)
    member.full_clean()
    member.save()
    changes = diff(before, snapshot(member, MEMBER_RECORD_FIELDS))
    if cell is not None and cell != current:
        member_transfer(actor=actor, member=member, cell=cell, on=datetime.date.today())
    if changes and audit:
        audit_record(
            actor=actor,
            action="member_update",
            instance=member,
            organization=current,
            changes=changes,
        )
    return member


@transaction.atomic
def member_transfer(
    *,
    actor,
    member: Member,
    cell: Organization,
    on: datetime.date,
    kind: str = MembershipKind.OFFICIAL,
) -> Membership:
    """Move a member to another cell on `on`: the old membership ends the day before."""
    if cell.type not in CELL_TYPES:
        raise ValidationError(_("Members belong to a Party cell."))
    _require_roster_rights(actor, cell)
    if cell.dissolved_on is not None and cell.dissolved_on < on:
        # The importer and the edit form keep dissolved cells out; this holds for every caller.
        raise ValidationError(
            _("Cell %(code)s was dissolved on %(date)s.")
            % {"code": cell.code, "date": cell.dissolved_on.strftime("%d/%m/%Y")}
        )
    open_memberships = Membership.objects.select_for_update().filter(
        member=member, end__isnull=True
    )
    for membership in open_memberships:
        if membership.start >= on:
            raise ValidationError(
                _("The transfer date must be after the current membership began.")
            )
        membership.end = on - datetime.timedelta(days=1)
        membership.save(update_fields=["end"])
    membership = Membership.objects.create(member=member, organization=cell, start=on, kind=kind)
    audit_record(
        actor=actor,
        action="member_transfer",
        instance=member,
        organization=cell,
        changes={"cell": [None, cell.code], "start": [None, on.isoformat()]},
    )
    return membership


@transaction.atomic
def member_event_create(*, actor, member: Member, audit: bool = True, **fields) -> MemberEvent:
    """Record a dated event. A leaving event (death, removal, transfer out) ends the membership."""
    current = member_current_cell(member=member)
    if current is not None:
        _require_roster_rights(actor, current)
    event = MemberEvent(member=member, **fields)
    event.full_clean()
    event.save()
    if event.kind in LEAVING_EVENTS:
        Membership.objects.filter(member=member, end__isnull=True, start__lte=event.start).update(
            end=event.start
        )
    if event.kind == EventKind.FULL_MEMBERSHIP and member.full_member_on != event.start:
        member.full_member_on = event.start
        member.save(update_fields=["full_member_on", "updated_at"])
    if audit:
        audit_record(
            actor=actor,
            action="member_event_create",
            instance=event,
            organization=current,
            changes={k: [None, v] for k, v in snapshot(event).items() if k != "id"},
        )
    return event
