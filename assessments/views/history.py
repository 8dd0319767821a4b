"""Importing a past year's results as decided, from the UI (issue #17; DOMAIN.md §8).

For the deciding level: an administrator of the deciding organization (who may both decide and
write the proposals of the units under it). The file is checked exactly as `import_ratings
--decided` checks it, in the request (a unit's file of a past year is small); "check only" rolls
everything back and shows what would be written, "import" writes it all or nothing. Thin: the
work is `decided_ratings_import`, which checks each round's permission and audits.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from assessments.decided_imports import DecidedImport, decided_ratings_import
from assessments.schemes import FIRST_YEAR
from assessments.services import DecisionReference
from cells.choices import Role
from cells.imports import ImportFileError
from cells.imports.limits import check_upload
from cells.models import Organization
from cells.permissions import active_assignments
from cells.selectors import organizations_visible_to
from cells.vietnamese import nfc

DATE_INPUT_FORMATS = ["%d/%m/%Y"]


def can_import_decided(user) -> bool:
    """An administrator somewhere (decides and enters for the units under them), or a superuser."""
    if getattr(user, "is_superuser", False):
        return True
    return any(a.role == Role.ADMIN for a in active_assignments(user))


class DecidedImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (CSV or XLSX)"),
        help_text=gettext_lazy("A xep_loai file: the ratings template of that year, filled in."),
    )
    organization = forms.CharField(
        label=gettext_lazy("Organization code"),
        max_length=40,
        help_text=gettext_lazy("The unit the file covers, e.g. BG-PA-AH."),
    )
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=FIRST_YEAR)
    decision_number = forms.CharField(
        label=gettext_lazy("Decision number"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("e.g. 125-QĐ/ĐU; leave empty when the file has so_quyet_dinh."),
    )
    decision_date = forms.DateField(
        label=gettext_lazy("Decision date"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy"}),
    )
    quota_exception = forms.CharField(
        label=gettext_lazy("Quota exception granted by the decision"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reopen_reason = forms.CharField(
        label=gettext_lazy("Reason for reopening"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Required when the year is already decided in the app."),
    )
    write = forms.BooleanField(
        label=gettext_lazy("Write the results (unticked: check only, nothing is written)"),
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_organization(self) -> Organization:
        code = nfc(self.cleaned_data["organization"])
        found = organizations_visible_to(user=self.user).filter(code=code).first()
        if found is None:
            raise forms.ValidationError(
                _("No unit you can see has the code “%(code)s”.") % {"code": code}
            )
        return found

    def clean_file(self):
        upload = self.cleaned_data["file"]
        extension = (upload.name or "").rsplit(".", 1)[-1].casefold()
        if extension not in ("csv", "xlsx"):
            raise forms.ValidationError(_("Only .csv and .xlsx files can be imported."))
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (%(size)s): the limit is %(limit)s.")
                % {
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(settings.IMPORT_MAX_BYTES),
                }
            )
        try:
            check_upload(upload.read(), extension=extension)
        except ImportFileError as exc:
            raise forms.ValidationError(exc.message) from exc
        upload.seek(0)
        return upload

    def clean(self):
        data = super().clean()
        if bool(data.get("decision_number")) != bool(data.get("decision_date")):
            raise forms.ValidationError(_("Give both the decision's number and its date."))
        return data


class RatingRoundImportView(FormView):
    """Upload a past year's results; check them, or import them as decided."""

    template_name = "assessments/ratinground_import.html"
    form_class = DecidedImportForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_import_decided(request.user):
            raise PermissionDenied(_("Only an administrator of the deciding level may do this."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        number = nfc(data["decision_number"] or "")
        decided = DecidedImport(
            decision=DecisionReference(number, data["decision_date"]) if number else None,
            quota_exception=nfc(data["quota_exception"] or ""),
            reopen_reason=nfc(data["reopen_reason"] or ""),
        )
        result = decided_ratings_import(
            file=data["file"],
            filename=data["file"].name,
            organization=data["organization"],
            year=data["year"],
            decided=decided,
            actor=self.request.user,
            dry_run=not data["write"],
        )
        return self.render_to_context(form, result)

    def render_to_context(self, form, result):
        return self.render_to_response(self.get_context_data(form=form, result=result))
