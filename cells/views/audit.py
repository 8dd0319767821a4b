"""The audit search for administrators: who did what, where, when, to which object.

Read-only (there is no screen that changes an audit row) and scoped: an administrator reads
the rows of the units in their subtrees (cells.history.auditentries_visible_to).
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView

from cells import history, selectors
from cells.permissions import can_view_audit

DATE_FORMATS = ["%d/%m/%Y"]


class AuditEntrySearchForm(forms.Form):
    """The filters; every one optional. The unit is given by its code, within the scope."""

    nguoi = forms.CharField(label=gettext_lazy("User name"), required=False, max_length=150)
    hanh_dong = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    don_vi = forms.CharField(
        label=gettext_lazy("Unit code"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("The unit and everything under it."),
    )
    tu_ngay = forms.DateField(
        label=gettext_lazy("From"), required=False, input_formats=DATE_FORMATS
    )
    den_ngay = forms.DateField(label=gettext_lazy("To"), required=False, input_formats=DATE_FORMATS)
    loai = forms.ChoiceField(label=gettext_lazy("Object type"), required=False)
    ma = forms.CharField(label=gettext_lazy("Object id"), required=False, max_length=40)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["hanh_dong"].choices = [("", "—")] + [
            (key, str(label)) for key, label in history.ACTION_LABELS.items()
        ]
        self.fields["loai"].choices = [("", "—")] + [
            (key, str(label)) for key, label in history.OBJECT_TYPES.items()
        ]

    def clean_don_vi(self):
        code = self.cleaned_data["don_vi"].strip()
        if not code:
            return None
        unit = selectors.organizations_visible_to(user=self.user).filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("No unit with this code in your scope."))
        return unit

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("tu_ngay"), cleaned.get("den_ngay")
        if start and end and start > end:
            self.add_error("den_ngay", _("The end date is before the start date."))
        return cleaned


class AuditEntryListView(ListView):
    """Search the audit trail (administrators), 50 rows a page, newest first."""

    template_name = "cells/auditentry_list.html"
    context_object_name = "entries"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if not can_view_audit(request.user):
            raise PermissionDenied(_("Only administrators read the audit trail."))
        self.form = AuditEntrySearchForm(request.GET or None, user=request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        if self.form.is_bound and not self.form.is_valid():
            return history.auditentries_visible_to(user=self.request.user).none()
        data = self.form.cleaned_data if self.form.is_bound else {}
        return history.auditentry_search(
            user=self.request.user,
            actor=data.get("nguoi", ""),
            action=data.get("hanh_dong", ""),
            organization=data.get("don_vi"),
            date_from=data.get("tu_ngay"),
            date_to=data.get("den_ngay"),
            object_type=data.get("loai", ""),
            object_id=data.get("ma", ""),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            form=self.form,
            rows=history.history_rows(context["entries"], show_citizen_id=True),
            query=query.urlencode(),
        )
        return context
