"""Stable stored values (English slugs) and their official Vietnamese labels (DOMAIN.md §1–3, §8).

The labels are the exact wording of the regulations; the interchange files use them,
so `label_to_value` is the one place that maps a file's text back to a slug.
"""

import functools
import unicodedata

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class OrganizationType(models.TextChoices):
    # The whole Party above the provinces: the root of a central installation (issue #20).
    NATIONAL = "national", _("Party Central Committee (national)")
    PROVINCE = "province", _("Provincial Party committee")
    CENTRAL_CITY = "central_city", _("Party committee of a centrally-run city")
    DISTRICT = "district", _("District Party committee")
    URBAN_DISTRICT = "urban_district", _("Urban district Party committee")
    TOWN = "town", _("Town Party committee")
    PROVINCIAL_CITY = "provincial_city", _("Party committee of a provincial city")
    COMMUNE = "commune", _("Commune Party committee")
    WARD = "ward", _("Ward Party committee")
    TOWNSHIP = "township", _("Township Party committee")
    SPECIAL_ZONE = "special_zone", _("Special zone Party committee")
    GRASSROOTS_COMMITTEE = "grassroots_committee", _("Grassroots Party committee")
    GRASSROOTS_CELL = "grassroots_cell", _("Grassroots Party cell")
    SUB_COMMITTEE = "sub_committee", _("Party sub-committee")
    CELL = "cell", _("Subordinate Party cell")


# The provincial level: a province's own root, or the children of the national root.
PROVINCIAL_TYPES = frozenset({OrganizationType.PROVINCE, OrganizationType.CENTRAL_CITY})
# Types whose members meet and are rated directly: they hold memberships.
CELL_TYPES = frozenset({OrganizationType.CELL, OrganizationType.GRASSROOTS_CELL})
# Commune-level units (the level that replaced districts as reviewer in 2025).
COMMUNE_LEVEL_TYPES = frozenset(
    {
        OrganizationType.COMMUNE,
        OrganizationType.WARD,
        OrganizationType.TOWNSHIP,
        OrganizationType.SPECIAL_ZONE,
    }
)


class ResidentialUnitKind(models.TextChoices):
    HAMLET = "hamlet", _("Hamlet")
    STREET_GROUP = "street_group", _("Street group")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class EventKind(models.TextChoices):
    DISCIPLINE = "discipline", _("Discipline")
    EXEMPTION = "exemption", _("Exempt from Party work and meetings")
    SUSPENSION = "suspension", _("Suspended from Party activities")
    SICK_LEAVE = "sick_leave", _("Sick leave")
    MATERNITY_LEAVE = "maternity_leave", _("Maternity leave")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    FULL_MEMBERSHIP = "full_membership", _("Recognised as full member")
    DEATH = "death", _("Death")
    STRIKE_OFF = "strike_off", _("Struck off")
    EXPULSION = "expulsion", _("Expulsion")


# Events after which a person is no longer a member.
LEAVING_EVENTS = frozenset(
    {EventKind.DEATH, EventKind.STRIKE_OFF, EventKind.EXPULSION, EventKind.TRANSFER_OUT}
)
# Events that span a period (tu_ngay..den_ngay); the others happen on one day.
PERIOD_EVENTS = frozenset(
    {EventKind.EXEMPTION, EventKind.SUSPENSION, EventKind.SICK_LEAVE, EventKind.MATERNITY_LEAVE}
)


class DisciplineForm(models.TextChoices):
    REPRIMAND = "reprimand", _("Reprimand")
    WARNING = "warning", _("Warning")
    DISMISSAL = "dismissal", _("Dismissal")
    EXPULSION = "expulsion", _("Expulsion")


class OrganizationDisciplineTarget(models.TextChoices):
    """Whom an organization's discipline falls on (DOMAIN §8 `su_kien_to_chuc.doi_tuong`)."""

    COMMITTEE = "committee", _("The leadership collective (committee)")
    ORGANIZATION = "organization", _("The organization")


class OrganizationDisciplineForm(models.TextChoices):
    """Disciplines of a Party organization: Khiển trách, Cảnh cáo, Giải tán."""

    REPRIMAND = "reprimand", _("Reprimand")
    WARNING = "warning", _("Warning")
    DISSOLUTION = "dissolution", _("Dissolution")


class OrganizationEventKind(models.TextChoices):
    """Dated facts about an organization; only a discipline so far (DOMAIN §8)."""

    DISCIPLINE = "discipline", _("Discipline")


class ProfessionalLevel(models.TextChoices):
    ELEMENTARY = "elementary", _("Elementary")
    INTERMEDIATE = "intermediate", _("Intermediate")
    COLLEGE = "college", _("College")
    UNIVERSITY = "university", _("University")
    MASTER = "master", _("Master")
    DOCTOR = "doctor", _("Doctor")


class PoliticalTheoryLevel(models.TextChoices):
    ELEMENTARY = "elementary", _("Elementary")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")
    BACHELOR = "bachelor", _("Bachelor")


class MembershipKind(models.TextChoices):
    OFFICIAL = "official", _("Official")
    TEMPORARY = "temporary", _("Temporary")


class PostKind(models.TextChoices):
    PARTY = "party", _("Party post")
    GOVERNMENT = "government", _("Government post")


class Role(models.TextChoices):
    SECRETARY = "secretary", _("Secretary / data entry of the unit")
    REVIEWER = "reviewer", _("Reviewer (superior committee)")
    REPORTS = "reports", _("Reports staff")
    ADMIN = "admin", _("Administrator")


def normalize_label(text: str) -> str:
    """Fold a label for matching: NFC, case-insensitive, inner spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def label_to_value(choices: type[models.TextChoices], text: str) -> str | None:
    """The stored value whose label (or value) matches `text`, forgiving case and normalisation."""
    return _vietnamese_labels(choices).get(normalize_label(text))


@functools.cache
def _vietnamese_labels(choices: type[models.TextChoices]) -> dict[str, str]:
    # Files carry the official Vietnamese wording whatever the user's UI language; built once
    # per choices class because imports look up every cell of every row.
    with translation.override("vi"):
        table = {normalize_label(str(label)): value for value, label in choices.choices}
    table.update({value: value for value in choices.values})
    return table


class ImportKind(models.TextChoices):
    """The kinds of interchange file (DOMAIN §8); cells.imports registers an importer for each."""

    ORGANIZATIONS = "organizations", _("Party organizations")
    MEMBERS = "members", _("Party members")
    EVENTS = "events", _("Member events")
    ORGANIZATION_EVENTS = "org_events", _("Organization events")
    POSTS = "posts", _("Posts")


class ImportJobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be checked")
    VALIDATING = "validating", _("Checking the file")
    INVALID = "invalid", _("The file has errors")
    READY = "ready", _("Ready to import")
    CONFIRMED = "confirmed", _("Waiting to be written")
    APPLYING = "applying", _("Writing the data")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJobPhase(models.TextChoices):
    VALIDATE = "validate", _("Checking")
    APPLY = "apply", _("Writing")


# A member's states on a day as badges (attribute of the member as the selectors annotate it,
# Bootstrap class, label): the unit page's member list and the entry grid draw the same ones.
MEMBER_STATE_BADGES = (
    ("is_probationary", "text-bg-warning", _("probationary")),
    ("is_exempt", "text-bg-info", _("exempt from meetings")),
    ("is_suspended", "text-bg-danger", _("suspended")),
    ("on_sick_leave", "text-bg-secondary", _("on sick leave")),
    ("on_maternity_leave", "text-bg-secondary", _("on maternity leave")),
)
