"""Updating members from a file safely: what each row changes, and the typo guard.

Importing a `dang_vien` file again updates the members by record number (DOMAIN.md §8). The
preview lists, for every member the file changes, each field as old → new, so that a person
reads what the confirmation will do. A row whose record number belongs to a member with a
different name *and* a different date of birth is most likely a mistyped number that would
overwrite someone else: it is refused unless the user confirms that row explicitly (by its
record number: the page's check box or the command's `--confirm`).
"""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..models import Member, Organization
from ..vietnamese import nfc
from .base import Row

# Shown per member in the preview, and kept on the job: at most this many members' changes.
PREVIEW_LIMIT = 500


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


def _display(member: Member, name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    choices = dict(Member._meta.get_field(name).flatchoices)
    return str(choices.get(value, value))


def member_changes(
    member: Member,
    fields: dict,
    *,
    cell: Organization | None = None,
    current_cell: Organization | None = None,
    posts: dict[str, tuple[list[str], list[str]]] | None = None,
) -> list[FieldChange]:
    """What the row changes on `member`, field by field, in words (old → new)."""
    changes = []
    for name, new in fields.items():
        old = getattr(member, name)
        if old != new:
            label = str(Member._meta.get_field(name).verbose_name)
            changes.append(
                FieldChange(label, _display(member, name, old), _display(member, name, new))
            )
    if cell is not None and current_cell is not None and cell.pk != current_cell.pk:
        changes.append(FieldChange(_("cell"), current_cell.name, cell.name))
    for label, (old_titles, new_titles) in (posts or {}).items():
        if sorted(old_titles) != sorted(new_titles):
            changes.append(
                FieldChange(label, "; ".join(old_titles) or "—", "; ".join(new_titles) or "—")
            )
    return changes


def _same_name(a: str, b: str) -> bool:
    return nfc(a).casefold() == nfc(b).casefold()


def is_probable_typo(member: Member, fields: dict) -> bool:
    """The row names someone else: a different name and a different date of birth (both
    known on each side). One of them differing is a correction, not a typo."""
    name, born = fields.get("full_name"), fields.get("birth_date")
    if not name or born is None or member.birth_date is None:
        return False
    return not _same_name(member.full_name, name) and member.birth_date != born


def typo_message(member: Member, fields: dict) -> str:
    return _(
        "Record number %(record)s belongs to %(name)s (born %(born)s), but this row names "
        "%(row_name)s (born %(row_born)s): the record number is probably mistyped, and "
        "importing would overwrite that member. Correct the number, or, if it is the same "
        "person, confirm this row."
    ) % {
        "record": member.record_number,
        "name": member.full_name,
        "born": member.birth_date.strftime("%d/%m/%Y"),
        "row_name": fields["full_name"],
        "row_born": fields["birth_date"].strftime("%d/%m/%Y"),
    }


def guard_update(row: Row, member: Member, fields: dict, *, confirmed: frozenset[str]) -> bool:
    """Refuse (as this row's error, confirmable) a probable typo the user has not confirmed;
    True when the row may go on."""
    if member.record_number in confirmed or not is_probable_typo(member, fields):
        return True
    row.error("so_ly_lich", typo_message(member, fields), confirm=member.record_number)
    return False
