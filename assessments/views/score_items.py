"""The 30 + 70 points on screen (Quy định 366, Điều 10; DOMAIN §4.3): the province's criteria
items of a year (names, points, "đảm bảo"/"không đảm bảo" items), and a member's score sheet
entered item by item at each stage (self-score, cell proposal, committee appraisal).

Thin views over assessments.regime_settings (items) and regime_services.scoresheet_save
(sheets), which check permission and audit. The province and the unit come from scoped
selectors (another unit's is a 404); removing an item first says what it removes.
"""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from assessments import (
    facts,
    inputs,
    permissions,
    regime_overview,
    regime_selectors,
    regime_services,
    regime_settings,
    rules,
)
from assessments.choices import FormCategory, PointsPart, ScoreStage, ScoringMode
from assessments.models import MemberRating, OrganizationRating, PointsItem
from assessments.rules.points import SCORING_PASS_FAIL
from assessments.views.peer_groups import DecidingLevelMixin
from assessments.views.unit import UnitYearMixin
from cells.choices import PROVINCIAL_TYPES
from cells.views.organizations import add_service_errors

AUDIENCE_CHOICES = [
    ("", gettext_lazy("Every subject")),
    *FormCategory.choices,
    (regime_selectors.AUDIENCE_COLLECTIVE, gettext_lazy("Collectives (Mẫu 01)")),
]


class PointsItemForm(forms.Form):
    part = forms.ChoiceField(label=gettext_lazy("Part"), choices=PointsPart.choices)
    name = forms.CharField(label=gettext_lazy("Item"), max_length=255)
    max_points = forms.DecimalField(
        label=gettext_lazy("Points"), min_value=Decimal("0.01"), max_value=70, decimal_places=2
    )
    scoring = forms.ChoiceField(label=gettext_lazy("Scoring"), choices=ScoringMode.choices)
    audience = forms.ChoiceField(
        label=gettext_lazy("For"), choices=AUDIENCE_CHOICES, required=False
    )
    order = forms.IntegerField(label=gettext_lazy("Order"), min_value=0, max_value=999, initial=0)


class ProvinceItemsMixin(DecidingLevelMixin):
    """The province (a root the user may see; anything else is a 404) and the year."""

    def load_province(self) -> None:
        self.load_level()
        if self.level.type not in PROVINCIAL_TYPES:
            raise Http404
        self.province = self.level

    def items_url(self) -> str:
        return reverse(
            "assessments:pointsitem_list", kwargs={"org_pk": self.province.pk, "year": self.year}
        )


class PointsItemListView(ProvinceItemsMixin, View):
    """The province's items of the year by part, each audience's sums, and a new item."""

    template_name = "assessments/regime/pointsitem_list.html"

    def get(self, request, *args, **kwargs):
        self.load_province()
        return self.page(PointsItemForm())

    def post(self, request, *args, **kwargs):
        self.load_province()
        self.require_manage()
        form = PointsItemForm(request.POST)
        if form.is_valid():
            try:
                regime_settings.pointsitem_save(
                    actor=request.user, province=self.province, year=self.year, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The item was added."))
                return redirect(self.items_url())
        return self.page(form, status=400)

    def page(self, form, status=200):
        items, checks = regime_overview.points_items_overview(
            province=self.province, year=self.year
        )
        context = self.level_context(
            form=form,
            items=items,
            checks=checks,
            defaults=rules.DEFAULT_ITEMS,
            parts=PointsPart.choices,
        )
        return render(self.request, self.template_name, context, status=status)


class PointsItemEditView(ProvinceItemsMixin, View):
    template_name = "assessments/regime/pointsitem_edit.html"

    def load(self):
        self.load_province()
        try:
            self.item = PointsItem.objects.get(
                province=self.province, year=self.year, pk=self.kwargs["pk"]
            )
        except PointsItem.DoesNotExist as exc:
            raise Http404 from exc

    def get(self, request, *args, **kwargs):
        self.load()
        self.require_manage()
        initial = {f: getattr(self.item, f) for f in PointsItemForm.base_fields}
        return self.page(PointsItemForm(initial=initial))

    def post(self, request, *args, **kwargs):
        self.load()
        self.require_manage()
        form = PointsItemForm(request.POST)
        if form.is_valid():
            try:
                regime_settings.pointsitem_save(
                    actor=request.user,
                    province=self.province,
                    year=self.year,
                    item=self.item,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The item was saved."))
                return redirect(self.items_url())
        return self.page(form, status=400)

    def page(self, form, status=200):
        context = self.level_context(form=form, item=self.item, cancel_url=self.items_url())
        return render(self.request, self.template_name, context, status=status)


class PointsItemDeleteView(PointsItemEditView):
    def get(self, request, *args, **kwargs):
        self.load()
        self.require_manage()
        return self.confirm()

    def confirm(self, error=""):
        question = _(
            "Remove the item “%(name)s” (%(points)s points) from the criteria of %(year)s?"
        ) % {"name": self.item.name, "points": self.item.max_points, "year": self.year}
        context = self.level_context(
            question=question,
            action_url=self.request.path,
            confirm_label=_("Remove the item"),
            cancel_url=self.items_url(),
            danger=True,
            error=error,
        )
        return render(self.request, "assessments/regime/confirm.html", context)

    def post(self, request, *args, **kwargs):
        self.load()
        self.require_manage()
        if request.POST.get("confirmed") != "1":
            return self.confirm()
        try:
            regime_settings.pointsitem_delete(actor=request.user, item=self.item)
        except ValidationError as exc:
            return self.confirm(error=" ".join(exc.messages))
        messages.success(request, _("The item was removed."))
        return redirect(self.items_url())


# === A member's score sheet, item by item =====================================================
class ScoreSheetForm(forms.Form):
    """One field per criteria item (points, or đảm bảo / không đảm bảo) and the reason for a
    70 part that differs from the task ledger's suggestion."""

    tasks_reason = forms.CharField(
        label=gettext_lazy("Reason for differing from the suggestion"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for spec in items:
            name = f"item_{spec.key}"
            if spec.scoring == SCORING_PASS_FAIL:
                self.fields[name] = forms.ChoiceField(
                    label=spec.name,
                    choices=[
                        ("", _("— Not scored —")),
                        ("1", _("Met (đảm bảo): %(points)s") % {"points": spec.max_points}),
                        ("0", _("Not met (không đảm bảo): 0")),
                    ],
                    required=False,
                )
            else:
                self.fields[name] = forms.DecimalField(
                    label=_("%(name)s (0–%(points)s)")
                    % {"name": spec.name, "points": spec.max_points},
                    min_value=0,
                    max_value=spec.max_points,
                    decimal_places=2,
                    required=False,
                    localize=True,
                )
            self.fields[name].part = spec.part

    def item_values(self) -> dict:
        values = {}
        for spec in self.items:
            value = self.cleaned_data.get(f"item_{spec.key}")
            if value in (None, ""):
                continue
            if spec.scoring == SCORING_PASS_FAIL:
                values[spec.key] = value == "1"
            else:
                values[spec.key] = value
        return values


STAGE_SLUGS = {
    "tu-cham": ScoreStage.SELF,
    "chi-bo": ScoreStage.CELL,
    "cap-uy": ScoreStage.COMMITTEE,
}
# A collective scores itself and is appraised by the level above (no cell proposal).
COLLECTIVE_STAGE_SLUGS = {"tu-cham": ScoreStage.SELF, "cap-uy": ScoreStage.COMMITTEE}


class ScoreSheetMixin(UnitYearMixin):
    """One subject's score sheet of one stage, item by item, with the ledger's suggestion:
    the subclasses say whose (a member's, a collective's)."""

    template_name = "assessments/regime/scoresheet_form.html"
    stage_slugs = STAGE_SLUGS

    def load(self):
        self.load_unit_year(self.kwargs["org_pk"])
        stage = self.stage_slugs.get(self.kwargs["stage"])
        if stage is None:
            raise Http404
        self.stage = stage
        self.load_subject()
        sheet = self.rating.score_sheets.filter(stage=self.stage).first() if self.rating else None
        self.sheet = sheet
        self.items = regime_selectors.points_items_for(
            organization=self.grassroots, year=self.year, audience=self.audience
        )

    def load_subject(self) -> None:
        raise NotImplementedError

    def save_kwargs(self) -> dict:
        raise NotImplementedError

    def stage_url(self, slug: str) -> str:
        raise NotImplementedError

    def initial(self) -> dict:
        initial = {"tasks_reason": self.sheet.tasks_reason if self.sheet else ""}
        stored = self.sheet.items if self.sheet else {}
        for spec in self.items:
            value = stored.get(spec.key)
            if value is None:
                continue
            if spec.scoring == SCORING_PASS_FAIL:
                initial[f"item_{spec.key}"] = "1" if value else "0"
            else:
                initial[f"item_{spec.key}"] = Decimal(str(value))
        return initial

    def get(self, request, *args, **kwargs):
        self.load()
        return self.page(ScoreSheetForm(items=self.items, initial=self.initial()))

    def post(self, request, *args, **kwargs):
        self.load()
        if not self.can_enter:
            raise PermissionDenied
        form = ScoreSheetForm(request.POST, items=self.items)
        if self.rating is None:
            form.add_error(None, self.no_rating_message)
            return self.page(form, status=400)
        if form.is_valid():
            try:
                regime_services.scoresheet_save(
                    actor=request.user,
                    stage=self.stage,
                    general=None,
                    tasks=None,
                    tasks_reason=form.cleaned_data["tasks_reason"],
                    items=form.item_values(),
                    **self.save_kwargs(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The score sheet was saved."))
                return redirect(request.path)
        return self.page(form, status=400)

    def page(self, form, status=200):
        fields = [form[f"item_{spec.key}"] for spec in self.items]
        labels = dict(ScoreStage.choices)
        context = {
            "organization": self.organization,
            "grassroots": self.grassroots,
            "year": self.year,
            "subject_name": self.subject_name,
            "rating": self.rating,
            "no_rating_message": self.no_rating_message,
            "stage": self.stage,
            "stages": [
                (self.stage_url(slug), labels[st], st == self.stage)
                for slug, st in self.stage_slugs.items()
            ],
            "form": form,
            "general_fields": [f for f in fields if f.field.part == PointsPart.GENERAL],
            "task_fields": [f for f in fields if f.field.part == PointsPart.TASKS],
            "sheet": self.sheet,
            "suggested": self.suggested,
            "category": self.category,
            "can_enter": self.can_enter,
            "ancestors": self.unit_ancestors(),
        }
        return render(self.request, self.template_name, context, status=status)


class ScoreSheetEditView(ScoreSheetMixin, View):
    """A member's score sheet (self-score, cell proposal, committee appraisal)."""

    no_rating_message = gettext_lazy("Enter a level for this member on the rating grid first.")

    def load_subject(self) -> None:
        self.member = inputs.member_in_unit_get(
            organization=self.organization, year=self.year, pk=self.kwargs["member_pk"]
        )
        self.subject_name = self.member.full_name
        self.rating = (
            MemberRating.objects.filter(
                year=self.year, member=self.member, round__organization=self.grassroots
            )
            .select_related("round", "member")
            .first()
        )
        self.can_enter = self.can_enter or permissions.can_enter_cell_proposal(
            self.request.user, self.organization
        )
        self.category = regime_selectors.member_category_for(member=self.member, year=self.year)
        self.audience = self.category.category or self.category.suggestion.category or ""
        parts = (
            regime_selectors.points_parts_for(round=self.rating.round, member_ids=[self.member.pk])
            if self.rating
            else {}
        )
        view = parts.get(self.member.pk)
        self.suggested = view.suggested_tasks if view else None

    def save_kwargs(self) -> dict:
        return {"member_rating": self.rating}

    def stage_url(self, slug: str) -> str:
        return reverse(
            "assessments:scoresheet_edit",
            kwargs={
                "org_pk": self.organization.pk,
                "year": self.year,
                "member_pk": self.member.pk,
                "stage": slug,
            },
        )


class CollectiveScoreSheetEditView(ScoreSheetMixin, View):
    """A collective's score sheet (Mẫu 01's …/30 and …/70): its self-score, or the upper
    committee's appraisal, on the province's collectives' items."""

    stage_slugs = COLLECTIVE_STAGE_SLUGS
    no_rating_message = gettext_lazy(
        "Enter the organization's level on the rating grid first: the score sheet is kept with it."
    )

    def load_subject(self) -> None:
        self.subject_name = self.organization.name
        self.category = None
        self.audience = regime_selectors.AUDIENCE_COLLECTIVE
        self.rating = (
            OrganizationRating.objects.filter(organization=self.organization, year=self.year)
            .select_related("round", "organization")
            .first()
        )
        if (
            self.rating is not None
            and self.rating.organization_id == self.rating.round.organization_id
        ):
            # A grassroots organization's own rating is scored by its deciding level.
            self.can_enter = permissions.can_decide_round(self.request.user, self.rating.round)
        ledger = facts.organization_tasks(organization_ids=[self.organization.pk], year=self.year)
        found = ledger.get(self.organization.pk)
        self.suggested = rules.suggest_task_points(found[0].counts if found else None)

    def save_kwargs(self) -> dict:
        return {"organization_rating": self.rating}

    def stage_url(self, slug: str) -> str:
        return reverse(
            "assessments:collectivescoresheet_edit",
            kwargs={"org_pk": self.organization.pk, "year": self.year, "stage": slug},
        )
