"""Forms of the cells app: they check the shape of what was typed, in Vietnamese.

They never write: views pass `cleaned_data` to cells.services, which check permissions,
apply the rules and audit. Choices of other units are limited to what the user can see.
"""

import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator, RegexValidator
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .choices import CELL_TYPES, EventKind
from .fields import organization_code_validator
from .models import Member, MemberEvent, Organization
from .permissions import STRUCTURE_FIELDS, can_change_structure
from .selectors import organizations_visible_to

DATE_INPUT_FORMATS = ["%d/%m/%Y"]

record_number_validator = RegexValidator(
    re.compile(r"^\d{6}[A-Z]{1,3}$"),
    _("The record number is 6 digits followed by 1–3 letters of the province code, e.g. 012345HG."),
)
card_number_validator = RegexValidator(
    re.compile(r"^\d{8}$"), _("The party card number has exactly 8 digits.")
)
citizen_id_validator = RegexValidator(
    re.compile(r"^\d{12}$"), _("The citizen ID (CCCD) has exactly 12 digits.")
)


class DateInput(forms.DateInput):
    """A plain text box in dd/mm/yyyy: easier to type than a browser date picker."""

    def __init__(self, attrs=None):
        defaults = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}
        super().__init__(attrs={**defaults, **(attrs or {})}, format="%d/%m/%Y")


def _date_field(model_field_name: str, model) -> forms.DateField:
    model_field = model._meta.get_field(model_field_name)
    return forms.DateField(
        label=capfirst(model_field.verbose_name),
        required=not model_field.blank,
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
        error_messages={"invalid": _("Enter a date as dd/mm/yyyy, e.g. 15/12/2025.")},
    )


class OrganizationForm(forms.ModelForm):
    """A unit's own facts. Its place in the tree is the parent it is created under."""

    successor = forms.ModelChoiceField(
        label=_("Successor unit code"),
        queryset=Organization.objects.none(),
        to_field_name="code",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "Only for a unit that was merged or dissolved: the code of the unit that took over."
        ),
        error_messages={"invalid_choice": _("No unit you can see has this code.")},
    )

    class Meta:
        model = Organization
        fields = [
            "name",
            "code",
            "type",
            "is_grassroots",
            "established_on",
            "dissolved_on",
            "successor",
            "document_abbreviation",
        ]
        error_messages = {
            "name": {"required": _("Enter the unit's name.")},
            "code": {
                "required": _("Enter the unit's code."),
                "unique": _("Another unit already has this code."),
            },
            "type": {"required": _("Choose the type of unit.")},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["successor"].queryset = organizations_visible_to(user=user)
        self.fields["established_on"] = _date_field("established_on", Organization)
        self.fields["dissolved_on"] = _date_field("dissolved_on", Organization)
        self.fields["dissolved_on"].help_text = _("Leave empty while the unit is active.")
        self.fields["code"].validators.append(organization_code_validator)
        self.fields["code"].help_text = _("Capital letters and digits joined by hyphens.")
        if self.instance.successor_id:
            self.initial["successor"] = self.instance.successor.code
        # A unit's structure is its parent's administrators' to change (#19): for anyone
        # else the fields are not on the form at all, so nothing posted can reach them.
        self.structure_locked = bool(self.instance.pk) and not can_change_structure(
            user, self.instance
        )
        if self.structure_locked:
            for name in STRUCTURE_FIELDS & set(self.fields):
                del self.fields[name]

    def clean_code(self):
        return self.cleaned_data["code"].strip()

    def clean(self):
        cleaned = super().clean()
        established, dissolved = cleaned.get("established_on"), cleaned.get("dissolved_on")
        if established and dissolved and dissolved < established:
            self.add_error(
                "dissolved_on", _("The dissolution date cannot be before the founding date.")
            )
        successor = cleaned.get("successor")
        if successor is not None and self.instance.pk and successor.pk == self.instance.pk:
            self.add_error("successor", _("A unit cannot be its own successor."))
        return cleaned


_MEMBER_DATE_FIELDS = ["birth_date", "admitted_on", "ceremony_on", "full_member_on"]


class MemberForm(forms.ModelForm):
    """A member's record (forms 2-KNĐ and 2-HSĐV)."""

    class Meta:
        model = Member
        fields = [
            "full_name",
            "gender",
            "birth_date",
            "record_number",
            "card_number",
            "citizen_id",
            "admitted_on",
            "ceremony_on",
            "full_member_on",
            "birthplace",
            "hometown",
            "ethnicity",
            "religion",
            "occupation",
            "general_education",
            "professional_level",
            "political_theory",
        ]
        widgets = {"gender": forms.RadioSelect}
        error_messages = {
            "full_name": {"required": _("Enter the member's full name.")},
            "gender": {"required": _("Choose Male or Female.")},
            "record_number": {
                "required": _("Enter the record number."),
                "unique": _("Another member already has this record number."),
            },
            "card_number": {"unique": _("Another member already has this party card number.")},
            "citizen_id": {"unique": _("Another member already has this citizen ID.")},
        }
        help_texts = {
            "record_number": _("6 digits and the province letters, e.g. 012345HG."),
            "card_number": _("8 digits, given after full membership."),
            "citizen_id": _("12 digits."),
            "full_member_on": _("Leave empty for a probationary member."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for name in _MEMBER_DATE_FIELDS:
            self.fields[name] = _date_field(name, Member)
        self.fields["full_member_on"].help_text = self._meta.help_texts["full_member_on"]
        self.fields["gender"].choices = [c for c in self.fields["gender"].choices if c[0]]
        for name, attrs in {
            "record_number": {"autocapitalize": "characters", "maxlength": "20"},
            "card_number": {"inputmode": "numeric", "maxlength": "20"},
            "citizen_id": {"inputmode": "numeric", "maxlength": "20"},
        }.items():
            field = self.fields[name]
            # People type "0123 4567 8901": spaces are dropped in clean_*, then the exact
            # format is checked, so the raw length must not be refused first.
            field.max_length = None
            field.validators = [
                v for v in field.validators if not isinstance(v, MaxLengthValidator)
            ]
            field.widget.attrs.update(attrs)

    def clean_record_number(self):
        value = "".join(self.cleaned_data["record_number"].split()).upper()
        record_number_validator(value)
        return value

    def clean_card_number(self):
        value = "".join((self.cleaned_data.get("card_number") or "").split())
        if value:
            card_number_validator(value)
        return value or None

    def clean_citizen_id(self):
        value = "".join((self.cleaned_data.get("citizen_id") or "").split())
        if value:
            citizen_id_validator(value)
        return value or None

    def clean(self):
        cleaned = super().clean()
        admitted, full = cleaned.get("admitted_on"), cleaned.get("full_member_on")
        if admitted and full and full < admitted:
            self.add_error(
                "full_member_on", _("The full membership date cannot be before admission.")
            )
        return cleaned


class MemberEditForm(MemberForm):
    """The record plus the member's cell: choosing another cell is a transfer from today."""

    cell = forms.ModelChoiceField(
        label=_("Party cell"),
        queryset=Organization.objects.none(),
        help_text=_("Choosing another cell transfers the member from today."),
        error_messages={
            "required": _("Choose the member's cell."),
            "invalid_choice": _("Choose a cell from the list."),
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["cell"].queryset = (
            organizations_visible_to(user=user)
            .filter(type__in=CELL_TYPES, dissolved_on__isnull=True)
            .order_by("name_sort_key")
        )
        # Put the cell first: it is what a transfer changes.
        self.order_fields(["cell"])


class MemberEventForm(forms.ModelForm):
    """A dated event in a member's life in the Party."""

    class Meta:
        model = MemberEvent
        fields = [
            "kind",
            "start",
            "end",
            "discipline_form",
            "self_remedied",
            "deciding_body",
            "note",
        ]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"kind": {"required": _("Choose the kind of event.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"] = _date_field("start", MemberEvent)
        self.fields["start"].label = _("Date (from)")
        self.fields["start"].error_messages["required"] = _("Enter the date of the event.")
        self.fields["end"] = _date_field("end", MemberEvent)
        self.fields["end"].label = _("Until (for leave, exemption, suspension)")
        self.fields["discipline_form"].help_text = _("Only for a discipline.")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date cannot be before the start date."))
        if cleaned.get("kind") == EventKind.DISCIPLINE and not cleaned.get("discipline_form"):
            self.add_error("discipline_form", _("Choose the form of discipline."))
        if cleaned.get("kind") != EventKind.DISCIPLINE and cleaned.get("discipline_form"):
            self.add_error(
                "discipline_form", _("A form of discipline only goes with a discipline event.")
            )
        return cleaned


class LoginForm(AuthenticationForm):
    """Django's login form, with the user name's length checked before anyone looks it up:
    AuthenticationForm sets max_length but no validator, and a 256-character name reached
    the lockout table (255) as a 500 (#19)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))
