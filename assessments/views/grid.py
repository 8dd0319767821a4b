"""The rating entry grid: a secretary proposes every member's level for a year.

Thin views over assessments.selectors (the grid and its live check, nothing saved) and
assessments.services (save all-or-nothing, submit). The unit comes from a scoped selector
(out of scope = 404); a user who may see the round but not enter ratings gets it read-only,
and any write by them is a 403. Every rule (quota, caps, reasons) is in assessments.rules:
this module only places the violations it reports on the rows.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from assessments import permissions, rules, schemes, selectors, services
from assessments.choices import EDITABLE_STATES
from assessments.forms import NOT_RATED, RatingGridForm, field_name
from assessments.views.unit import UnitYearMixin
from cells import selectors as cells_selectors
from cells.audit import audit_export
from cells.choices import CELL_TYPES
from cells.history import ACTION_LABELS
from cells.models import Organization


@dataclass
class HistoryItem:
    """One audited change of the round, in words."""

    entry: object  # cells.models.AuditEntry
    label: str
    detail: str


def history_items(entries) -> list[HistoryItem]:
    """The round's audit rows, newest first, with what happened in plain words."""
    items = []
    for entry in reversed(list(entries)):
        detail = entry.comment
        if entry.action == "rating_save" and isinstance(entry.changes, dict):
            # Keys read "member <id> <field>": count the members, not the fields.
            count = len({key.split()[1] for key in entry.changes if key.startswith("member ")})
            detail = ngettext("%(count)s member changed", "%(count)s members changed", count) % {
                "count": count
            }
        items.append(
            HistoryItem(
                entry=entry,
                label=str(ACTION_LABELS.get(entry.action, entry.action)),
                detail=detail,
            )
        )
    return items


@dataclass
class GridLine:
    """One row of the grid as the template shows it."""

    number: int
    row: object  # selectors.GridRow
    cell: Organization | None
    fields: dict
    errors: list[str]
    violations: list[rules.Violation]
    cap_hints: list[tuple[str, str]] = field(default_factory=list)  # (short level, why)
    decided_display: str = ""  # the level the superior committee decided, once decided
    saved_by_other: str = ""  # after a conflict: what is saved now, when someone else changed it

    @property
    def member(self):
        return self.row.member

    @property
    def level_display(self) -> str:
        return _choice_label(self.fields["level"])

    @property
    def reason_display(self) -> str:
        return _choice_label(self.fields["reason"])

    @property
    def has_error(self) -> bool:
        return bool(self.errors) or any(v.is_blocking for v in self.violations)


@dataclass
class LevelCounter:
    """One counter above the grid: "Hoàn thành xuất sắc nhiệm vụ: 3 / tối đa 4"."""

    label: str
    short: str
    count: int
    maximum: int | None = None
    group: str | None = None

    @property
    def exceeded(self) -> bool:
        return self.maximum is not None and self.count > self.maximum


@dataclass
class SummaryItem:
    name: str
    message: str
    blocking: bool


@dataclass
class GridState:
    """Everything the grid partials render, for the full page and the live check alike."""

    data: object  # selectors.GridData
    form: RatingGridForm
    lines: list[GridLine]
    counters: list[LevelCounter]
    summary: list[SummaryItem]
    blocking: bool
    has_changes: bool
    editable: bool
    can_submit: bool
    with_points: bool
    not_entered: int = 0
    notes: list[str] = field(default_factory=list)


def _choice_label(bound_field) -> str:
    value = bound_field.value() or ""
    if not value:
        return ""
    return str(dict(bound_field.field.choices).get(value, ""))


class RatingGridMixin(UnitYearMixin):
    """The unit and year (UnitYearMixin), the cell that narrows the grid and the round."""

    def load_unit(self) -> None:
        self.load_unit_year(self.kwargs["org_pk"])
        # Below the grassroots organization only a cell narrows the grid: any other node
        # (a sub-committee) shows the whole organization.
        self.cell = (
            self.organization
            if self.organization.pk != self.grassroots.pk and self.organization.type in CELL_TYPES
            else None
        )

    def load_round(self) -> None:
        """The round of the year: created on first visit by someone who may enter ratings;
        others only see one that exists."""
        user = self.request.user
        self.round, self.round_error = None, ""
        if self.can_enter:
            try:
                self.round = services.round_get_or_create(
                    actor=user, organization=self.grassroots, year=self.year
                )
            except services.RatingError as exc:
                self.round_error = exc.message
        else:
            self.round = (
                selectors.rounds_visible_to(user=user, year=self.year)
                .filter(organization=self.grassroots)
                .first()
            )
            if self.round is not None and not permissions.can_view_round(user, self.round):
                self.round = None

    def grid_url(self) -> str:
        return reverse(
            "assessments:rating_grid",
            kwargs={"org_pk": self.organization.pk, "year": self.year},
        )

    def grid_data(self, proposed=None):
        return selectors.rating_grid(round=self.round, cell=self.cell, proposed=proposed or None)

    def bound_form(self, data: QueryDict, stored) -> tuple[RatingGridForm, dict]:
        form = RatingGridForm(data, scheme=stored.scheme, rows=stored.rows)
        form.is_valid()
        return form, form.changed_rows()

    # --- presentation ------------------------------------------------------------------------
    def grid_state(
        self,
        *,
        form: RatingGridForm,
        data,
        has_changes: bool = False,
        extra_violations=(),
        saved_by_other: dict[int, str] | None = None,
    ) -> GridState:
        scheme = data.scheme
        excellent = scheme.member_level_at(schemes.Rank.EXCELLENT).slug
        cells = {c.pk: c for c in data.cells}
        names = {row.member.pk: row.member.full_name for row in data.rows}
        lines = []
        for number, row in enumerate(data.rows, start=1):
            mid = row.member.pk
            violations = list(row.violations)
            # The quota is counted over the whole organization: show its message on the rows
            # that make it (those proposed at the top level), not only above the grid.
            level = form[field_name("level", mid)].value()
            if level == excellent and not any(v.code == "Q1" for v in violations):
                violations.extend(data.quota_violations)
            lines.append(
                GridLine(
                    number=number,
                    row=row,
                    cell=cells.get(getattr(row.member, "cell_id", None)),
                    fields=form.row_fields(mid),
                    errors=form.row_errors(mid) if form.is_bound else [],
                    violations=violations,
                    cap_hints=[
                        (scheme.member_level_at(r.rank).short, r.message) for r in row.cap.reasons
                    ],
                    decided_display=(
                        scheme.level(row.rating.decided_level).label
                        if row.rating is not None and row.rating.decided_level
                        else ""
                    ),
                    saved_by_other=(saved_by_other or {}).get(mid, ""),
                )
            )
        all_violations = list(data.violations)
        all_violations += [v for v in extra_violations if v not in all_violations]
        summary = [
            SummaryItem(
                name=names.get(v.subject_id, ""),
                message=v.message,
                blocking=v.is_blocking,
            )
            for v in all_violations
        ]
        blocking = any(v.is_blocking for v in all_violations) or bool(form.is_bound and form.errors)
        editable = bool(data.editable and self.can_enter)
        waiting = getattr(data, "not_entered", 0)
        return GridState(
            data=data,
            form=form,
            lines=lines,
            counters=self.counters(data),
            summary=summary,
            blocking=blocking,
            has_changes=has_changes,
            editable=editable,
            can_submit=editable
            and not blocking
            and not has_changes
            and not waiting
            and data.round.state in EDITABLE_STATES,
            not_entered=waiting,
            with_points=form.with_points,
        )

    def counters(self, data) -> list[LevelCounter]:
        scheme = data.scheme
        excellent = scheme.member_level_at(schemes.Rank.EXCELLENT)
        quota = list(data.quota)
        counters = []
        for level in scheme.member_levels:
            count = data.counts.get(level.slug, 0)
            if level.slug == excellent.slug and quota:
                if len(quota) == 1:
                    counters.append(
                        LevelCounter(level.label, level.short, count, quota[0].max_excellent)
                    )
                else:
                    counters.extend(
                        LevelCounter(
                            level.label, level.short, q.excellent, q.max_excellent, q.group
                        )
                        for q in quota
                    )
            else:
                counters.append(LevelCounter(level.label, level.short, count))
        counters.append(LevelCounter(_("Not rated"), "", data.not_rated))
        return counters

    def page_context(self, **kwargs) -> dict:
        ancestors = self.unit_ancestors()
        ratio = self.scheme.quota_ratio
        return {
            "organization": self.organization,
            "grassroots": self.grassroots,
            "cell": self.cell,
            "year": self.year,
            "scheme": self.scheme,
            "ancestors": ancestors,
            "can_enter": self.can_enter,
            "point_bands": [
                (int(floor), self.scheme.member_level_at(rank).label)
                for floor, rank in rules.POINT_BANDS
            ],
            "quota_percent": None if ratio is None else rules.percent_text(ratio),
            "not_rated_value": NOT_RATED,
            "check_url": reverse(
                "assessments:rating_grid_check",
                kwargs={"org_pk": self.organization.pk, "year": self.year},
            ),
            "print_url": reverse(
                "assessments:rating_grid_print",
                kwargs={"org_pk": self.organization.pk, "year": self.year},
            ),
            "grid_url": self.grid_url(),
            **kwargs,
        }


class RatingGridView(RatingGridMixin, View):
    """The grid page: GET shows it; POST saves, checks (without JavaScript) or submits."""

    template_name = "assessments/rating_grid.html"

    def render_page(self, *, state: GridState | None, status: int = 200, **kwargs):
        context = self.page_context(
            round=self.round,
            round_error=getattr(self, "round_error", ""),
            grid=state,
            history=history_items(selectors.round_history(round=self.round)) if self.round else [],
            **kwargs,
        )
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        self.load_unit()
        self.load_round()
        if self.round is None:
            return self.render_page(state=None)
        data = self.grid_data()
        form = RatingGridForm(
            initial={"round_version": self.round.version}, scheme=data.scheme, rows=data.rows
        )
        return self.render_page(state=self.grid_state(form=form, data=data))

    def post(self, request, *args, **kwargs):
        self.load_unit()
        if not self.can_enter:
            raise PermissionDenied
        self.load_round()
        if self.round is None:
            messages.error(request, self.round_error or _("This rating cannot be opened."))
            return redirect(self.grid_url())
        stored = self.grid_data()
        if not stored.editable:
            messages.error(request, _("This rating can no longer be changed."))
            return redirect(self.grid_url())
        form, changed = self.bound_form(request.POST, stored)
        action = request.POST.get("action", "save")
        if form.errors:
            return self.render_again(
                form,
                changed,
                failure=_("Some boxes are not filled in correctly. Nothing was saved."),
            )
        if action == "check":
            return self.render_again(form, changed, checked=True)
        if action == "submit":
            return self.submit(form, changed)
        return self.save(form, changed)

    def render_again(self, form, changed, *, extra_violations=(), saved_by_other=None, **kwargs):
        """The page again with what the user typed, checked against the rules, unsaved."""
        data = self.grid_data(changed)
        state = self.grid_state(
            form=form,
            data=data,
            has_changes=bool(changed),
            extra_violations=extra_violations,
            saved_by_other=saved_by_other,
        )
        return self.render_page(state=state, **kwargs)

    def save(self, form, changed):
        request = self.request
        if not changed:
            messages.info(request, _("Nothing was changed, so there was nothing to save."))
            return redirect(self.grid_url())
        try:
            services.member_ratings_save(
                actor=request.user,
                round=self.round,
                rows=list(changed.values()),
                round_version=form.cleaned_data["round_version"],
            )
        except services.RuleViolationError as exc:
            return self.render_again(
                form,
                changed,
                extra_violations=exc.violations,
                failure=_("Nothing was saved: correct the rows marked in red, then save again."),
            )
        except services.ConcurrentEditError as exc:
            return self.render_conflict(exc)
        except services.RoundLockedError as exc:
            messages.error(request, exc.message)
            return redirect(self.grid_url())
        except services.RatingError as exc:
            return self.render_again(form, changed, failure=exc.message)
        messages.success(
            request,
            ngettext(
                "Saved the rating of %(count)s member.",
                "Saved the ratings of %(count)s members.",
                len(changed),
            )
            % {"count": len(changed)},
        )
        return redirect(self.grid_url())

    def submit(self, form, changed):
        request = self.request
        if changed:
            return self.render_again(
                form,
                changed,
                failure=_(
                    "You have changes that are not saved. "
                    "Press “Save” first, then “Send for review”."
                ),
            )
        try:
            services.round_submit(
                actor=request.user,
                round=self.round,
                round_version=form.cleaned_data["round_version"],
            )
        except services.RuleViolationError as exc:
            return self.render_again(
                form,
                changed,
                extra_violations=exc.violations,
                failure=_("Not sent: correct the rows marked in red first."),
            )
        except services.ConcurrentEditError as exc:
            return self.render_conflict(exc)
        except services.RatingError as exc:
            messages.error(request, exc.message)
            return redirect(self.grid_url())
        deciding = selectors.deciding_organization_for(self.round)
        messages.success(
            request,
            _("Sent to %(unit)s for review.") % {"unit": deciding.name}
            if deciding is not None
            else _("Sent for review."),
        )
        return redirect(self.grid_url())

    def render_conflict(self, exc):
        """Someone else saved first: load what is saved now, keep what this user typed.

        The versions are moved to the current ones so that a second "Save" is a deliberate
        choice made after seeing the other person's values, never a silent overwrite.
        """
        posted = self.request.POST
        self.round = selectors.round_get(user=self.request.user, pk=self.round.pk)
        fresh = self.grid_data()
        data = posted.copy()
        data["round_version"] = str(self.round.version)
        saved_by_other = {}
        for row in fresh.rows:
            mid = row.member.pk
            current = row.rating.version if row.rating is not None else None
            data[field_name("version", mid)] = "" if current is None else str(current)
            if str(current or "") != posted.get(field_name("version", mid), ""):
                saved_by_other[mid] = self.saved_label(fresh.scheme, row.rating)
        form, changed = self.bound_form(data, fresh)
        return self.render_again(
            form,
            changed,
            saved_by_other=saved_by_other,
            conflict=True,
            failure=exc.message,
        )

    @staticmethod
    def saved_label(scheme, rating) -> str:
        if rating is None:
            return _("(nothing)")
        if rating.proposed_level:
            return scheme.level(rating.proposed_level).label
        if rating.not_rated_reason:
            return _("Not rated")
        return _("(nothing)")


class RatingGridCheckView(RatingGridMixin, View):
    """The live check (htmx): counters and each row's messages for what is typed, unsaved."""

    def post(self, request, *args, **kwargs):
        self.load_unit()
        if not self.can_enter:
            raise PermissionDenied
        self.load_round()
        if self.round is None:
            raise Http404
        stored = self.grid_data()
        form, changed = self.bound_form(request.POST, stored)
        data = self.grid_data(changed)
        state = self.grid_state(form=form, data=data, has_changes=bool(changed))
        context = self.page_context(round=self.round, grid=state, oob=True)
        return render(request, "assessments/includes/_grid_check.html", context)


class RatingGridPrintView(RatingGridMixin, TemplateView):
    """A blank sheet of the grid, for cells that rate on paper at their meeting.

    It lists the members by name, so opening it is recorded in the audit trail like any export.
    """

    template_name = "assessments/rating_grid_print.html"

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        audit_export(
            actor=request.user,
            what="rating_grid_print",
            organization=self.organization,
            rows=len(response.context_data["members"]),
            filters={"year": self.year},
        )
        return response

    def get_context_data(self, **kwargs):
        self.load_unit()
        period_end = selectors.period_end(self.year)
        members = list(
            cells_selectors.members_of(
                organization=self.cell or self.grassroots, on=period_end, subtree=True
            )
        )
        cells = cells_selectors.organization_subtree(organization=self.grassroots).in_bulk(
            {m.cell_id for m in members}
        )
        for member in members:
            member.cell = cells.get(member.cell_id)
        context = super().get_context_data(**kwargs)
        context.update(self.page_context(members=members, period_end=period_end))
        return context
