"""Targets of the Resolution 22 indicators, entered by reports staff for a node they hold.

Reports staff (or administrators) on the node or above may add and change targets; anyone
else who can see the node gets a 403, a node out of scope is a 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView

from assessments import dashboard
from assessments.indicators.targets import (
    can_edit_targets,
    can_explain,
    indicator_target_cascade,
    indicator_target_save,
    target_explanation_save,
)
from assessments.models import Indicator, IndicatorTarget
from cells import selectors as cells_selectors


class IndicatorTargetForm(forms.Form):
    indicator = forms.ModelChoiceField(
        label=gettext_lazy("Indicator"), queryset=Indicator.objects.filter(is_active=True)
    )
    baseline_year = forms.IntegerField(
        label=gettext_lazy("Baseline year"), required=False, min_value=2000, max_value=2100
    )
    baseline_value = forms.DecimalField(
        label=gettext_lazy("Baseline value"), required=False, max_digits=12, decimal_places=2
    )
    target_year = forms.IntegerField(
        label=gettext_lazy("Target year"), min_value=2000, max_value=2100
    )
    target_value = forms.DecimalField(
        label=gettext_lazy("Target value"), max_digits=12, decimal_places=2
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=255)

    def clean(self):
        cleaned = super().clean()
        b, t = cleaned.get("baseline_year"), cleaned.get("target_year")
        if b and t and b > t:
            raise forms.ValidationError(_("The baseline year must not be after the target year."))
        return cleaned


class IndicatorTargetListView(LoginRequiredMixin, FormView):
    """The node's targets (and inherited ones) with a form to add or replace one."""

    template_name = "assessments/dashboard_targets.html"
    form_class = IndicatorTargetForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.node = cells_selectors.organization_get(user=request.user, pk=kwargs["org_pk"])
        if not can_edit_targets(request.user, self.node):
            raise PermissionDenied(_("Only reports staff may change indicator targets."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        targets = (
            IndicatorTarget.objects.filter(organization=self.node)
            .select_related("indicator")
            .order_by("indicator__sort_order", "target_year")
        )
        return super().get_context_data(
            node=self.node, targets=targets, node_year=timezone.localdate().year - 1, **kwargs
        )

    def form_valid(self, form):
        indicator_target_save(
            actor=self.request.user, organization=self.node, data=form.cleaned_data
        )
        messages.success(self.request, _("The target was saved."))
        return redirect("assessments:indicatortarget_list", org_pk=self.node.pk)


class TargetExplanationView(LoginRequiredMixin, View):
    """POST a unit's explanation (giải trình) of one indicator in a year; back to the page."""

    http_method_names = ["post"]

    def post(self, request, org_pk, year):
        node = cells_selectors.organization_get(user=request.user, pk=org_pk)
        if not can_explain(request.user, node):
            raise PermissionDenied(_("Only the unit's staff may explain its numbers."))
        indicator = Indicator.objects.filter(code=request.POST.get("indicator", "")).first()
        if indicator is None:
            raise Http404
        target_explanation_save(
            actor=request.user,
            organization=node,
            indicator=indicator,
            year=year,
            text=request.POST.get("text", ""),
        )
        messages.success(request, _("The explanation was saved."))
        return redirect(
            reverse("assessments:dashboard_detail", args=[node.pk, year]) + "#targets-title"
        )


class IndicatorTargetCascadeView(LoginRequiredMixin, View):
    """POST: split one of the node's targets into targets of its child units (audited)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        target = (
            IndicatorTarget.objects.select_related("indicator", "organization")
            .filter(pk=pk)
            .first()
        )
        if target is None:
            raise Http404
        node = cells_selectors.organization_get(user=request.user, pk=target.organization_id)
        if not can_edit_targets(request.user, node):
            raise PermissionDenied(_("Only reports staff may change indicator targets."))
        year = int(request.POST.get("year") or timezone.localdate().year)
        children, weights = dashboard.cascade_children(user=request.user, node=node, year=year)
        made = indicator_target_cascade(
            actor=request.user, target=target, children=children, weights=weights
        )
        messages.success(
            request,
            _("The target was split into %(count)s unit targets.") % {"count": len(made)},
        )
        return redirect(
            reverse("assessments:dashboard_detail", args=[node.pk, year]) + "#targets-title"
        )
