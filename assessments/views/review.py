"""The upper committee's review screens: the units it decides, one unit's round, the decisions.

Thin views over assessments.selectors and assessments.services: objects come from scoped
selectors (out of scope = 404), each POST calls exactly one service with the request's user
as `actor`, and the service's Vietnamese `RatingError` message is what the user reads.
"""

import abc
from collections import Counter

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import TemplateView

from assessments import permissions, schemes, selectors, services
from assessments.choices import DECIDED_STATES, RoundState
from assessments.year_services import current_rating_year
from cells import selectors as cells_selectors
from cells.permissions import DECIDING_ROLES, active_assignments, can_decide_rating

# The order of the state filter and of the counters: the workflow's order.
STATE_ORDER = (
    selectors.NOT_STARTED,
    RoundState.DRAFT,
    RoundState.RETURNED,
    RoundState.SUBMITTED,
    RoundState.DECIDED,
    RoundState.PUBLISHED,
)
# How many years the year switcher offers, counting back from the current rating year.
YEARS_SHOWN = 8
REVIEW_LIST_TEMPLATE = "assessments/review_list.html"
REVIEW_DETAIL_TEMPLATE = "assessments/review_detail.html"


# --- forms: they check that the required text was typed; the services decide the rest -------
class _TextForm(forms.Form):
    text_field = "comment"

    def clean(self):
        cleaned = super().clean()
        value = cleaned.get(self.text_field)
        if isinstance(value, str):
            cleaned[self.text_field] = value.strip()
        return cleaned


class RoundReturnForm(_TextForm):
    comment = forms.CharField(
        label=gettext_lazy("What the unit must correct"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": gettext_lazy("Write why the proposals are returned.")},
    )


class RoundDecideForm(_TextForm):
    text_field = "quota_exception"
    quota_exception = forms.CharField(
        label=gettext_lazy("Justified quota exception"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        help_text=gettext_lazy(
            "Only if the committee accepts more HTXSNV than the quota allows: write the "
            "justification. It is shown in the reports."
        ),
    )


class RoundReopenForm(_TextForm):
    text_field = "reason"
    reason = forms.CharField(
        label=gettext_lazy("Reason for reopening"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": gettext_lazy("Write why the decided rating is reopened.")},
    )


# --- helpers ---------------------------------------------------------------------------------
def _require_year(year: int) -> None:
    """Years without a scheme (before 2008) or too far ahead do not exist: 404."""
    if not schemes.FIRST_YEAR <= year <= current_rating_year() + 1:
        raise Http404


def _reviewer_home_node(user):
    """The first node the user decides on (top-most first), or None without such a role."""
    if getattr(user, "is_superuser", False):
        return cells_selectors.organization_roots_for(user=user).first()
    assignment = (
        active_assignments(user)
        .filter(role__in=DECIDING_ROLES)
        .order_by("organization__depth", "organization__path")
        .first()
    )
    return assignment.organization if assignment else None


def _year_choices(year: int) -> list[int]:
    newest = current_rating_year()
    years = set(range(newest, max(schemes.FIRST_YEAR, newest - YEARS_SHOWN) - 1, -1))
    years.add(year)
    return sorted(years, reverse=True)


# --- the list of units -----------------------------------------------------------------------
class ReviewHomeView(View):
    """Send a reviewer to the units they decide for the current rating year."""

    def get(self, request):
        node = _reviewer_home_node(request.user)
        if node is None:
            return render(request, REVIEW_LIST_TEMPLATE, {"no_role": True})
        return redirect("assessments:review_list", org_pk=node.pk, year=current_rating_year())


class ReviewListView(TemplateView):
    """The grassroots organizations a committee decides for a year, and a batch decision.

    GET lists them with their state, counts per level and violations (filter `?state=`).
    POST decides the checked submitted rounds at once, all or nothing
    (`services.rounds_decide`); on failure the list is shown again with the selection kept.
    """

    template_name = REVIEW_LIST_TEMPLATE

    def dispatch(self, request, *args, **kwargs):
        self.organization = cells_selectors.organization_get(user=request.user, pk=kwargs["org_pk"])
        self.year = kwargs["year"]
        _require_year(self.year)
        if not can_decide_rating(request.user, self.organization):
            raise PermissionDenied(_("Only the deciding committee reviews these ratings."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        rows = selectors.review_rows(
            user=self.request.user, organization=self.organization, year=self.year
        )
        state = self.request.GET.get("state", "")
        if state not in STATE_ORDER:
            state = ""
        by_state = Counter(row.state for row in rows)
        shown = [row for row in rows if row.state == state] if state else rows
        scheme = selectors.scheme_for(self.year)
        selected = kwargs.pop("selected", set())
        failed = kwargs.pop("failed", False)
        entries = [
            (
                row,
                [row.counts.get(level.slug, 0) for level in scheme.member_levels],
                _batch_failure(row) if failed and row.round and row.round.pk in selected else "",
            )
            for row in shown
        ]
        context = super().get_context_data(**kwargs)
        context.update(
            organization=self.organization,
            ancestors=cells_selectors.organization_ancestors_visible(
                user=self.request.user, organizations=[self.organization]
            )[self.organization.pk],
            year=self.year,
            years=_year_choices(self.year),
            scheme=scheme,
            levels=scheme.member_levels,
            entries=entries,
            total=len(rows),
            state=state,
            state_counts=[(s, by_state.get(s, 0)) for s in STATE_ORDER],
            submitted=by_state.get(RoundState.SUBMITTED, 0),
            selected=selected,
        )
        return context

    def post(self, request, *args, **kwargs):
        wanted = {int(v) for v in request.POST.getlist("rounds") if v.isdigit()}
        if not wanted:
            messages.warning(request, _("Select at least one submitted unit to decide."))
            return redirect(request.get_full_path())
        rounds = list(
            selectors.rounds_visible_to(user=request.user, year=self.year)
            .filter(pk__in=wanted)
            .select_related("organization")
        )
        if len(rounds) != len(wanted):
            raise Http404
        try:
            services.rounds_decide(actor=request.user, rounds=rounds)
        except services.RatingError as exc:
            messages.error(request, _("No unit was decided: %(reason)s") % {"reason": exc.message})
            return self.render_to_response(self.get_context_data(selected=wanted, failed=True))
        messages.success(
            request,
            ngettext(
                "The rating of %(count)d unit was decided.",
                "The ratings of %(count)d units were decided.",
                len(rounds),
            )
            % {"count": len(rounds)},
        )
        return redirect(request.get_full_path())


def _batch_failure(row) -> str:
    """Why a selected unit held the batch back, from what the list already shows."""
    if row.state != RoundState.SUBMITTED:
        label = RoundState(row.state).label if row.state in RoundState.values else _("Not started")
        return _("Not submitted: the unit is “%(state)s”.") % {"state": label}
    if row.violations:
        return ngettext(
            "%(count)d rule is not met.", "%(count)d rules are not met.", row.violations
        ) % {"count": row.violations}
    return ""


# --- one unit's round ------------------------------------------------------------------------
def _short(scheme: schemes.RatingScheme, slug: str) -> str:
    """The short form of a level (HTTNV…) for a table cell; an unknown slug shows as stored."""
    if not slug:
        return ""
    try:
        return scheme.level(slug).short
    except ValueError:
        return slug


def review_detail_context(request, round, **forms_) -> dict:
    """Everything the detail page shows; the action views reuse it to show a form's errors."""
    user = request.user
    grid = selectors.rating_grid(round=round)
    scheme = grid.scheme
    cell_names = {cell.pk: cell.name for cell in grid.cells}
    member_rows = [
        {
            "row": row,
            "cell_name": cell_names.get(getattr(row.member, "cell_id", None), ""),
            "proposed": _short(scheme, row.rating.proposed_level) if row.rating else "",
            "decided": _short(scheme, row.rating.decided_level) if row.rating else "",
        }
        for row in grid.rows
    ]
    organization_ratings = [
        {
            "rating": rating,
            "proposed": _short(scheme, rating.proposed_level),
            "decided": _short(scheme, rating.decided_level),
        }
        for rating in round.organization_ratings.select_related("organization").order_by(
            "organization__path"
        )
    ]
    deciding = selectors.deciding_organization_for(round)
    can_decide = permissions.can_decide_round(user, round)
    state = round.state
    quota_violated = bool(grid.quota_violations)
    context = {
        "round": round,
        "organization": round.organization,
        "deciding": deciding,
        "grid": grid,
        "scheme": scheme,
        "member_rows": member_rows,
        "level_counts": [(level, grid.counts.get(level.slug, 0)) for level in scheme.member_levels],
        "organization_ratings": organization_ratings,
        "history": list(selectors.round_history(round=round)),
        "can_decide": can_decide,
        "can_return": can_decide and state == RoundState.SUBMITTED,
        "can_decide_round": can_decide and state == RoundState.SUBMITTED,
        "can_publish": can_decide and state == RoundState.DECIDED,
        "can_reopen": can_decide and state in DECIDED_STATES,
        "quota_violated": quota_violated,
        "return_form": forms_.get("return_form") or RoundReturnForm(),
        "decide_form": forms_.get("decide_form") or RoundDecideForm(),
        "reopen_form": forms_.get("reopen_form") or RoundReopenForm(),
        "back_url": (
            reverse("assessments:review_list", args=[deciding.pk, round.year])
            if deciding is not None and can_decide_rating(user, deciding)
            else None
        ),
    }
    return context


class ReviewDetailView(TemplateView):
    """One unit's round: members and proposed levels, counters, violations, history, actions."""

    template_name = REVIEW_DETAIL_TEMPLATE

    def get_context_data(self, **kwargs):
        round = selectors.round_get(user=self.request.user, pk=self.kwargs["pk"])
        context = super().get_context_data(**kwargs)
        context.update(review_detail_context(self.request, round))
        return context


class ReviewActionView(abc.ABC, View):
    """A POST that moves a round on: check the form, call one service, redirect with a message.

    Out of scope is 404 (scoped fetch); in scope without the deciding role is 403; a
    service's refusal (`RatingError`) comes back as its Vietnamese message.
    """

    http_method_names = ["post"]
    form_class: type[forms.Form] | None = None
    form_name = ""

    def post(self, request, pk):
        round = selectors.round_get(user=request.user, pk=pk)
        if not permissions.can_decide_round(request.user, round):
            raise PermissionDenied(_("Only the deciding committee may do this."))
        form = self.form_class(request.POST) if self.form_class else None
        if form is not None and not form.is_valid():
            context = review_detail_context(request, round, **{self.form_name: form})
            return render(request, REVIEW_DETAIL_TEMPLATE, context)
        try:
            self.perform(actor=request.user, round=round, data=form.cleaned_data if form else {})
        except services.RatingError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, self.success_message() % {"name": round.organization.name})
        return redirect("assessments:review_detail", pk=round.pk)

    @abc.abstractmethod
    def perform(self, *, actor, round, data) -> None:
        """Call the one service of this action."""

    @abc.abstractmethod
    def success_message(self) -> str:
        """The message shown after the action, with %(name)s for the unit."""


class ReviewReturnView(ReviewActionView):
    """Send the proposals back to the unit with what it must correct."""

    form_class = RoundReturnForm
    form_name = "return_form"

    def perform(self, *, actor, round, data):
        services.round_return(actor=actor, round=round, comment=data["comment"])

    def success_message(self):
        return _("The proposals of %(name)s were returned to the unit.")


class ReviewDecideView(ReviewActionView):
    """Decide the unit's ratings, with a justified quota exception where one is needed."""

    form_class = RoundDecideForm
    form_name = "decide_form"

    def perform(self, *, actor, round, data):
        services.round_decide(actor=actor, round=round, quota_exception=data["quota_exception"])

    def success_message(self):
        return _("The ratings of %(name)s were decided.")


class ReviewPublishView(ReviewActionView):
    """Announce the decided ratings."""

    def perform(self, *, actor, round, data):
        services.round_publish(actor=actor, round=round)

    def success_message(self):
        return _("The ratings of %(name)s were published.")


class ReviewReopenView(ReviewActionView):
    """Reopen a decided or published rating so the unit can change it (audited, with reason)."""

    form_class = RoundReopenForm
    form_name = "reopen_form"

    def perform(self, *, actor, round, data):
        services.round_reopen(actor=actor, round=round, reason=data["reason"])

    def success_message(self):
        return _("The rating of %(name)s was reopened.")
