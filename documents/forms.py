"""Forms of the register: search, and the upload of a signed copy."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import DocumentState


class RegisterSearchForm(forms.Form):
    """Search of the register: by type, number, scope, state and date (all optional).

    The kinds offered are those of the documents the user may see (`kinds`: (kind, label)),
    so the form needs no list of every app's document kinds."""

    q = forms.CharField(label=_("Number, title or unit"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Type"), required=False)
    number = forms.CharField(label=_("Number"), required=False, max_length=40)
    scope = forms.CharField(label=_("Scope"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All"))] + DocumentState.choices
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2008, max_value=2100)
    issued_from = forms.DateField(
        label=_("Issued from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    issued_to = forms.DateField(
        label=_("Issued until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All"))] + list(kinds)

    def clean(self):
        data = super().clean()
        start, end = data.get("issued_from"), data.get("issued_to")
        if start and end and start > end:
            self.add_error("issued_to", _("The end date is before the start date."))
        return data


class SignedUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Signed PDF"),
        help_text=_(
            "The PDF downloaded from here, signed with the signer's and the organization's "
            "digital certificates."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 30 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 30 MB."))
        return upload
