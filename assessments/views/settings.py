"""The per-year settings screens (administrators only): entry deadline and quota overrides.

Thin: the list comes from `year_services.rating_year_rows`, every write goes through
`year_services.rating_year_update`, which checks the permission and audits.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView

from assessments import schemes, selectors, year_services
from assessments.models import RatingYear
from cells.views.organizations import add_service_errors

DATE_INPUT_FORMATS = ["%d/%m/%Y"]


class RatingYearForm(forms.ModelForm):
    """What an administrator types; the service decides whether the year accepts it."""

    entry_deadline = forms.DateField(
        label=gettext_lazy("Entry deadline"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(
            format="%d/%m/%Y",
            attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"},
        ),
        help_text=gettext_lazy(
            "After this day units can no longer change proposals unless reopened."
        ),
        error_messages={"invalid": gettext_lazy("Enter a date as dd/mm/yyyy, e.g. 15/12/2025.")},
    )

    class Meta:
        model = RatingYear
        fields = ["entry_deadline", "quota_numerator", "quota_denominator", "quota_scope"]
        labels = {
            "quota_numerator": gettext_lazy("Quota: numerator"),
            "quota_denominator": gettext_lazy("Quota: denominator"),
            "quota_scope": gettext_lazy("Quota counted"),
        }
        help_texts = {
            "quota_numerator": gettext_lazy(
                "Members rated HTXSNV may be at most numerator/denominator of those rated "
                "HTTNV (e.g. 1/5 = 20%). Leave both empty to keep the scheme's default."
            ),
        }

    def _post_clean(self):
        # The instance is written by the service, not by ModelForm validation.
        pass


class RatingYearAdminMixin:
    """Only administrators reach these screens (403 otherwise; anonymous users log in first)."""

    def dispatch(self, request, *args, **kwargs):
        if not year_services.can_edit_rating_years(request.user):
            raise PermissionDenied(_("Only administrators may change the rating year settings."))
        self.prepare(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    def prepare(self, **kwargs) -> None:
        """Load what the screen is about, once the user is known to be allowed."""


class RatingYearListView(RatingYearAdminMixin, TemplateView):
    """Every rating year with its scheme, entry deadline and the quota in force."""

    template_name = "assessments/ratingyear_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(rows=year_services.rating_year_rows(), **kwargs)


class RatingYearEditView(RatingYearAdminMixin, FormView):
    """Change one year's settings; quota overrides are accepted for 2023 onward only."""

    template_name = "assessments/ratingyear_edit.html"
    form_class = RatingYearForm

    def prepare(self, **kwargs) -> None:
        self.year = kwargs["year"]
        self.setting = selectors.year_setting(self.year)
        if self.setting is None and self.year not in year_services.rating_year_range():
            raise Http404

    def get_form_kwargs(self):
        instance = self.setting or RatingYear(year=self.year)
        return {**super().get_form_kwargs(), "instance": instance}

    def get_context_data(self, **kwargs):
        scheme = schemes.scheme_for_year(self.year)
        return super().get_context_data(year=self.year, scheme=scheme, **kwargs)

    def form_valid(self, form):
        try:
            year_services.rating_year_update(
                actor=self.request.user, year=self.year, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The settings of rating year %(year)s were saved.") % {"year": self.year},
        )
        return redirect("assessments:ratingyear_list")
