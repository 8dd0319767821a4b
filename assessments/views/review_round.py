"""One unit's round under review, and the decisions taken on it (return, decide, publish,
reopen): each says what it will act on before it acts."""

import abc

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from assessments import deciders, peer_groups, permissions, review, schemes, selectors, services
from assessments.choices import DECIDED_STATES, NotRatedReason, RoundState
from assessments.reports.formatting import level_short
from assessments.reports.forms.render import may_issue_rerating
from cells.permissions import can_decide_rating

from .review import REVIEW_CONFIRM_TEMPLATE, REVIEW_DETAIL_TEMPLATE, confirm_scope_question


def reratings_of(user, round_, *, cells_only: bool = False) -> list[tuple]:
    """The round's reopenings (its own decision's and its cells' steps', or with `cells_only`
    the steps' alone), each with whether `user` may issue its Mẫu 03 (the body that decided
    again)."""
    found = round_.reopenings.select_related("organization", "document", "issuer")
    if cells_only:
        found = found.filter(organization__isnull=False)
    return [(r, may_issue_rerating(user, r)) for r in found]


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


# --- one unit's round ------------------------------------------------------------------------
def _level_text(scheme: schemes.RatingScheme, level: str, reason: str) -> str:
    """A level's short form, or the reason a member is not rated, or a dash."""
    if level:
        return level_short(scheme, level)
    if reason:
        return str(dict(NotRatedReason.choices).get(reason, reason))
    return "—"


def review_detail_context(request, round, **forms_) -> dict:
    """Everything the detail page shows; the action views reuse it to show a form's errors."""
    user = request.user
    scheme = selectors.round_scheme(round, selectors.year_setting(round.year))
    flt = review.DetailFilter.from_query(request.GET)
    detail = review.review_detail(round=round, flt=flt, page=request.GET.get("page", 1))
    summary = detail.summary
    for line in detail.lines:
        line.level_short = _level_text(scheme, line.level, line.reason)
        line.proposed_short = level_short(scheme, line.proposed)
        line.decided_short = level_short(scheme, line.decided)
        if line.before is not None:
            line.before_short = _level_text(scheme, line.before[0], line.before[2])
    organization_ratings = [
        {
            "rating": rating,
            "proposed": level_short(scheme, rating.proposed_level),
            "decided": level_short(scheme, rating.decided_level),
        }
        for rating in round.organization_ratings.select_related(
            "organization", "decided_by"
        ).order_by("organization__path")
    ]
    cells = sorted(
        {(line.cell_id, line.cell_name) for line in detail.lines if line.cell_id},
        key=lambda c: c[1],
    )
    deciding = selectors.deciding_organization_for(round)
    history, history_total = selectors.round_history_recent(round=round)
    can_decide = permissions.can_decide_round(user, round)
    state = round.state
    # HD 43 §3: the chi bộ trực thuộc are their đảng ủy's to decide, before the tier above.
    steps = deciders.subunit_steps(round)
    pending = [s for s in steps if not s.decided]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "round": round,
        "organization": round.organization,
        "deciding": deciding,
        "scheme": scheme,
        "summary": summary,
        "detail": detail,
        "filter": flt,
        "query": query.urlencode(),
        "cells": cells if len(cells) > 1 else [],
        "level_counts": [
            (level, summary.counts.get(level.slug, 0)) for level in scheme.member_levels
        ],
        "organization_ratings": organization_ratings,
        # Quy định 366 Điều 11: the 25% decisions (who, when, why) and the per-group counters.
        "ceiling_decisions": peer_groups.ceiling_decisions_for(
            organization=round.organization, year=round.year
        ),
        "group_quota": peer_groups.quota_state_for(round=round, scheme=scheme),
        "history": history,
        "history_total": history_total,
        "reratings": reratings_of(user, round),
        "can_decide": can_decide,
        "can_return": can_decide and state == RoundState.SUBMITTED,
        "can_decide_round": can_decide and state == RoundState.SUBMITTED and not pending,
        "steps": steps,
        "steps_pending": pending,
        "steps_decider": steps[0].decider if steps else None,
        "can_decide_steps": any(permissions.can_decide_as(user, s.decider) for s in steps),
        "next_step": deciders.next_step(round, steps),
        "can_publish": can_decide and state == RoundState.DECIDED,
        "can_reopen": can_decide and state in DECIDED_STATES,
        "quota_violated": any(q["exceeded"] for q in summary.quota),
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
    confirm_action = ""  # set: the action first asks a confirmation stating its scope
    confirm_label = gettext_lazy("Confirm")

    def confirm(self, round, form):
        """The page that says what the action will act on before it acts: the members it
        decides or withdraws (not those of cells their đảng ủy decided, which it leaves)."""
        summary = review.summaries_for([round])[round.pk]
        members = summary.members - sum(
            s.members for s in deciders.subunit_steps(round, with_members=True) if s.decided
        )
        data = form.cleaned_data if form is not None else {}
        return render(
            self.request,
            REVIEW_CONFIRM_TEMPLATE,
            {
                "organization": round.organization,
                "year": round.year,
                "question": confirm_scope_question(
                    action=self.confirm_action, units=1, members=members
                ),
                "items": [(round.organization, members)],
                "text": next(iter(data.values()), "") if data else "",
                "action_url": self.request.path,
                "hidden": list(data.items()),
                "confirm_label": self.confirm_label,
                "cancel_url": reverse("assessments:review_detail", args=[round.pk]),
                "danger": self.confirm_action != "decide",
            },
        )

    def post(self, request, pk):
        round = selectors.round_get(user=request.user, pk=pk)
        if not permissions.can_decide_round(request.user, round):
            raise PermissionDenied(_("Only the deciding committee may do this."))
        form = self.form_class(request.POST) if self.form_class else None
        if form is not None and not form.is_valid():
            context = review_detail_context(request, round, **{self.form_name: form})
            return render(request, REVIEW_DETAIL_TEMPLATE, context)
        if self.confirm_action and request.POST.get("confirmed") != "1":
            return self.confirm(round, form)
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
    confirm_action = "return"
    confirm_label = gettext_lazy("Yes, return")

    def perform(self, *, actor, round, data):
        services.round_return(actor=actor, round=round, comment=data["comment"])

    def success_message(self):
        return _("The proposals of %(name)s were returned to the unit.")


class ReviewDecideView(ReviewActionView):
    """Decide the unit's ratings, with a justified quota exception where one is needed."""

    form_class = RoundDecideForm
    form_name = "decide_form"
    confirm_action = "decide"
    confirm_label = gettext_lazy("Yes, decide")

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
    confirm_action = "reopen"
    confirm_label = gettext_lazy("Yes, reopen")

    def perform(self, *, actor, round, data):
        services.round_reopen(actor=actor, round=round, reason=data["reason"])

    def success_message(self):
        return _("The rating of %(name)s was reopened.")
