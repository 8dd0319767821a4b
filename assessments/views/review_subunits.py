"""The đảng ủy cơ sở's screen (Hướng dẫn 43-HD/BTCTW §3): its chi bộ trực thuộc to decide.

One round's sub-unit steps with each one's members, proposal, violations and who decided
it when; deciding several (or reopening one, with a reason) first shows a confirmation that
states the scope. Thin: `deciders.subunit_steps` reads, `services.subunits_decide` and
`services.subunit_reopen` act; out of scope is a 404 (scoped fetch), in scope without the
đảng ủy's role is a 403.
"""

from collections import Counter

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from assessments import deciders, permissions, selectors, services
from assessments.choices import DECIDED_STATES
from assessments.reports.formatting import level_short

from .review import REVIEW_CONFIRM_TEMPLATE, confirm_scope_question
from .review_round import reratings_of

SUBUNITS_TEMPLATE = "assessments/review_subunits.html"


def _violations_by_cell(round_, steps) -> Counter:
    """Blocking rule violations of each step's members (one grid over the organization)."""
    if not steps or round_.state in DECIDED_STATES:
        return Counter()
    grid = selectors.build_grid(round=round_, include_missing=True)
    cell_of = {row.member.pk: row.member.cell_id for row in grid.rows}
    return Counter(cell_of.get(v.subject_id) for v in grid.violations if v.is_blocking)


class ReviewSubunitsView(View):
    """GET: the round's chi bộ trực thuộc and their decisions. POST `decide` (the checked
    cells) or `reopen` (one cell, with a reason): a confirmation first, then one service."""

    def dispatch(self, request, pk):
        self.round = selectors.round_get(user=request.user, pk=pk)
        self.steps = deciders.subunit_steps(self.round, with_members=True)
        self.mine = {
            s.organization.pk: s
            for s in self.steps
            if permissions.can_decide_as(request.user, s.decider)
        }
        return super().dispatch(request, pk)

    def _url(self):
        return reverse("assessments:review_subunits", args=[self.round.pk])

    def get(self, request, pk, **extra):
        round_ = self.round
        scheme = selectors.round_scheme(round_, selectors.year_setting(round_.year))
        violations = _violations_by_cell(round_, self.steps)
        open_ = round_.state not in DECIDED_STATES
        lines = [
            {
                "step": step,
                "proposed": level_short(scheme, step.rating.proposed_level) if step.rating else "",
                "decided": level_short(scheme, step.rating.decided_level) if step.rating else "",
                "violations": violations.get(step.organization.pk, 0),
                "can_decide": open_ and not step.decided and step.organization.pk in self.mine,
                "can_reopen": open_ and step.decided and step.organization.pk in self.mine,
            }
            for step in self.steps
        ]
        context = {
            "round": round_,
            "organization": round_.organization,
            "scheme": scheme,
            "lines": lines,
            "decider": self.steps[0].decider if self.steps else None,
            "decided_count": sum(s.decided for s in self.steps),
            "decidable": sum(line["can_decide"] for line in lines),
            "next_step": deciders.next_step(round_, self.steps),
            "detail_url": reverse("assessments:review_detail", args=[round_.pk]),
            "selected": extra.get("selected", set()),
            "reratings": reratings_of(request.user, round_, cells_only=True),
        }
        return render(request, SUBUNITS_TEMPLATE, context)

    def post(self, request, pk):
        if request.POST.get("action") == "reopen":
            return self._reopen(request)
        return self._decide(request)

    def _chosen(self, values):
        """The steps named in the POST; one the user may not take is a 403."""
        wanted = {int(v) for v in values if str(v).isdigit()}
        chosen = [s for s in self.steps if s.organization.pk in wanted]
        if any(s.organization.pk not in self.mine for s in chosen):
            raise PermissionDenied(_("Only the đảng ủy cơ sở decides its subordinate cells."))
        return chosen

    def _decide(self, request):
        chosen = self._chosen(request.POST.getlist("cells"))
        if not chosen:
            messages.warning(request, _("Select at least one subordinate cell."))
            return redirect(self._url())
        if request.POST.get("confirmed") != "1":
            members = sum(s.members for s in chosen)
            return render(
                request,
                REVIEW_CONFIRM_TEMPLATE,
                {
                    "organization": self.round.organization,
                    "year": self.round.year,
                    "question": confirm_scope_question(
                        action="decide", units=len(chosen), members=members
                    ),
                    "items": [(s.organization, s.members) for s in chosen],
                    "action_url": self._url(),
                    "hidden": [("cells", s.organization.pk) for s in chosen],
                    "confirm_label": _("Yes, decide"),
                    "cancel_url": self._url(),
                    "danger": False,
                },
            )
        try:
            services.subunits_decide(
                actor=request.user,
                round=self.round,
                organizations=[s.organization for s in chosen],
            )
        except services.RatingError as exc:
            messages.error(request, _("No cell was decided: %(reason)s") % {"reason": exc.message})
            return self.get(request, self.round.pk, selected={s.organization.pk for s in chosen})
        messages.success(
            request,
            ngettext(
                "%(count)d subordinate cell was decided.",
                "%(count)d subordinate cells were decided.",
                len(chosen),
            )
            % {"count": len(chosen)},
        )
        return redirect(self._url())

    def _reopen(self, request):
        chosen = self._chosen([request.POST.get("cell", "")])
        reason = request.POST.get("reason", "").strip()[:2000]
        if len(chosen) != 1:
            messages.warning(request, _("Select at least one subordinate cell."))
            return redirect(self._url())
        if not reason:
            messages.error(request, _("Write why the decided rating is reopened."))
            return redirect(self._url())
        (step,) = chosen
        if request.POST.get("confirmed") != "1":
            return render(
                request,
                REVIEW_CONFIRM_TEMPLATE,
                {
                    "organization": self.round.organization,
                    "year": self.round.year,
                    "question": confirm_scope_question(
                        action="reopen", units=1, members=step.members
                    ),
                    "items": [(step.organization, step.members)],
                    "text": reason,
                    "action_url": self._url(),
                    "hidden": [
                        ("action", "reopen"),
                        ("cell", step.organization.pk),
                        ("reason", reason),
                    ],
                    "confirm_label": _("Yes, reopen"),
                    "cancel_url": self._url(),
                    "danger": True,
                },
            )
        try:
            services.subunit_reopen(
                actor=request.user, round=self.round, organization=step.organization, reason=reason
            )
        except services.RatingError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("The rating of %(name)s was reopened.") % {"name": step.organization.name},
            )
        return redirect(self._url())
