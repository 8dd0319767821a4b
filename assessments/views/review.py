"""The upper committee's review screens: the units it decides (one unit's round and the
decisions taken on it are in views.review_round).

Thin views over assessments.selectors and assessments.services: objects come from scoped
selectors (out of scope = 404), each POST calls exactly one service with the request's user
as `actor`, and the service's Vietnamese `RatingError` message is what the user reads.
"""

from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from assessments import deciders, review, schemes, selectors, services
from assessments.choices import RoundState
from assessments.models import RatingRound
from assessments.year_services import current_rating_year
from cells import selectors as cells_selectors
from cells.permissions import DECIDING_ROLES, active_assignments, can_decide_rating
from partybuild.replicas import replica_reads

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
REVIEW_CONFIRM_TEMPLATE = "assessments/review_confirm.html"


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


def _count(n: int) -> str:
    return number_format(n, force_grouping=True)


def confirm_scope_question(*, action: str, units: int, members: int) -> str:
    """The question every decision asks before it acts: what it acts on, in numbers."""
    texts = {
        "decide": ngettext(
            "Decide %(units)s unit, %(members)s members?",
            "Decide %(units)s units, %(members)s members?",
            units,
        ),
        "return": ngettext(
            "Return %(units)s unit, %(members)s members, to be corrected?",
            "Return %(units)s units, %(members)s members, to be corrected?",
            units,
        ),
        "reopen": ngettext(
            "Reopen the decided rating of %(units)s unit, %(members)s members?",
            "Reopen the decided ratings of %(units)s units, %(members)s members?",
            units,
        ),
    }
    return texts[action] % {"units": _count(units), "members": _count(members)}


def _progress(rows) -> dict:
    """How many rounds' figures are current, for the progress line while a worker
    recomputes the others."""
    rounds = sum(r.round is not None for r in rows)
    pending = sum(r.pending for r in rows)
    return {
        "pending_count": pending,
        "rounds_count": rounds,
        "current_count": rounds - pending,
        "current_percent": 100 * (rounds - pending) // rounds if rounds else 100,
    }


@method_decorator(replica_reads, name="dispatch")
class ReviewListView(TemplateView):
    """The grassroots organizations a committee decides for a year, and a batch decision.

    GET lists them with state, submitted date, deadline and days late, counts per level,
    violations and changes since the last return or decision; `?state= &area= &late=
    &changed=1 &q= &sort=` narrow and order it. POST decides the checked submitted rounds
    (or, with `all=1`, every submitted unit the filter shows): first a confirmation that
    states the scope, then `services.rounds_decide`, all or nothing; on failure the list is
    shown again with the selection kept.
    """

    template_name = REVIEW_LIST_TEMPLATE

    def dispatch(self, request, *args, **kwargs):
        self.organization = cells_selectors.organization_get(user=request.user, pk=kwargs["org_pk"])
        self.year = kwargs["year"]
        _require_year(self.year)
        if not can_decide_rating(request.user, self.organization):
            raise PermissionDenied(_("Only the deciding committee reviews these ratings."))
        self.filter = review.ReviewFilter.from_query(request.GET, states=STATE_ORDER)
        return super().dispatch(request, *args, **kwargs)

    def rows(self):
        if not hasattr(self, "_rows"):
            self._rows = review.review_rows(
                user=self.request.user,
                organization=self.organization,
                year=self.year,
                budget=settings.REVIEW_LIST_REFRESH_SECONDS,
            )
            stale = [row.round.pk for row in self._rows if row.pending]
            if stale:  # the page's budget ran out: a worker recomputes the rest
                review.summaries_refresh_later(stale, key=f"{self.organization.pk}:{self.year}")
            # HD 43 §3: a submitted unit whose đảng ủy has not decided all its chi bộ trực
            # thuộc waits for it (read for the submitted units only: the ones decidable now).
            submitted = [r.round for r in self._rows if r.state == RoundState.SUBMITTED]
            waiting = deciders.pending_steps_for(submitted)
            for row in self._rows:
                pending = waiting.get(row.round.pk if row.round else None, [])
                row.pending_steps = len(pending)
                row.pending_decider = pending[0] if pending else None
        return self._rows

    def own_round(self):
        """The round of the reviewing node itself when it is a đảng ủy cơ sở deciding its chi
        bộ trực thuộc (HD 43 §3): (round, steps), or None."""
        round_ = (
            RatingRound.objects.filter(organization=self.organization, year=self.year)
            .select_related("organization")
            .first()
        )
        steps = deciders.subunit_steps(round_) if round_ else []
        return (round_, steps) if steps else None

    def get_context_data(self, **kwargs):
        rows = self.rows()
        flt = self.filter
        by_state = Counter(row.state for row in rows)
        shown = review.review_rows_filtered(rows, flt)
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
        # One reversed URL for every row: reversing per row costs more than the row itself.
        detail_base = reverse("assessments:review_detail", args=[0]).removesuffix("0/")
        for row in shown:
            row.detail_url = f"{detail_base}{row.round.pk}/" if row.round else ""
        decidable = [r for r in shown if r.state == RoundState.SUBMITTED and not r.pending_steps]
        own = self.own_round()
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
            shown_count=len(shown),
            state=flt.state,
            filter=flt,
            query=flt.as_query(),
            areas=review.areas_of(rows),
            state_counts=[(s, by_state.get(s, 0)) for s in STATE_ORDER],
            submitted=by_state.get(RoundState.SUBMITTED, 0),
            decidable=len(decidable),
            decidable_members=sum(r.members for r in decidable),
            late_count=sum(r.is_late for r in rows),
            changed_count=sum(bool(r.changed) for r in rows),
            **_progress(rows),
            deadline=rows[0].deadline if rows else None,
            selected=selected,
            own_round=own[0] if own else None,
            own_steps=own[1] if own else [],
            own_pending=sum(not s.decided for s in own[1]) if own else 0,
            own_next_step=deciders.next_step(*own) if own else "",
            changed_title=_("Members changed since the last return or decision"),
            unchecked_title=_("Checked once the unit submits"),
            pending_title=_("Being checked again after a change"),
            headers_before=_headers(flt, ("name", "state", "submitted", "late", "members")),
            headers_after=_headers(flt, ("violations", "changed")),
        )
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("all") == "1":
            wanted = {
                r.round.pk
                for r in review.review_rows_filtered(self.rows(), self.filter)
                if r.state == RoundState.SUBMITTED and not r.pending_steps
            }
        else:
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
        if request.POST.get("confirmed") != "1":
            return self.confirm(rounds)
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

    def confirm(self, rounds):
        """The page that states what the batch will decide before it does."""
        members = {r.round.pk: r.members for r in self.rows() if r.round}
        units = sorted(rounds, key=lambda r: (r.organization.name_sort_key, r.pk))
        total = sum(members.get(r.pk, 0) for r in units)
        return render(
            self.request,
            REVIEW_CONFIRM_TEMPLATE,
            {
                "organization": self.organization,
                "year": self.year,
                "question": confirm_scope_question(
                    action="decide", units=len(units), members=total
                ),
                "items": [(r.organization, members.get(r.pk, 0)) for r in units],
                "action_url": self.request.get_full_path(),
                "hidden": [("rounds", r.pk) for r in units],
                "confirm_label": _("Yes, decide"),
                "cancel_url": self.request.get_full_path(),
                "danger": False,
            },
        )


def _headers(flt: review.ReviewFilter, keys: tuple[str, ...]) -> list[dict]:
    labels = {
        "name": _("Grassroots organization"),
        "state": _("State"),
        "submitted": _("Submitted"),
        "late": _("Days late"),
        "members": _("Members"),
        "violations": _("Violations"),
        "changed": _("Changed"),
    }
    return [
        {
            "key": key,
            "label": labels[key],
            "end": key not in ("name", "state", "submitted"),
            "link": flt.sort_link(key),
            "active": flt.sort == key,
            "descending": flt.descending,
        }
        for key in keys
    ]


def _batch_failure(row) -> str:
    """Why a selected unit held the batch back, from what the list already shows."""
    if row.state != RoundState.SUBMITTED:
        label = RoundState(row.state).label if row.state in RoundState.values else _("Not started")
        return _("Not submitted: the unit is “%(state)s”.") % {"state": label}
    if getattr(row, "pending_steps", 0):
        return ngettext(
            "%(body)s has not yet decided %(count)d subordinate cell.",
            "%(body)s has not yet decided %(count)d subordinate cells.",
            row.pending_steps,
        ) % {"body": row.pending_decider.label, "count": row.pending_steps}
    if row.violations:
        return ngettext(
            "%(count)d rule is not met.", "%(count)d rules are not met.", row.violations
        ) % {"count": row.violations}
    return ""
