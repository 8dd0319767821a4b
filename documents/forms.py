"""Forms of the register: search, and the upload of a signed copy."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import DocumentState


class RegisterSearchForm(forms.Form):
    q = forms.CharField(label=_("Number, title or unit"), required=False, max_length=100)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2008, max_value=2100)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All"))] + DocumentState.choices
    )


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
