"""The rating entry grid: the cell proposes, the grassroots committee appraises (DOMAIN §4.2).

Thin views over assessments.grid (the rows on the screen with the organization's counters,
nothing saved) and assessments.services (save all-or-nothing, submit). The unit comes from a
scoped selector (out of scope = 404). Who may change which column: the committee of the
grassroots organization appraises (level, points, note) and may enter a cell's proposal on
its behalf; a cell's secretary enters the cell meeting's proposal and votes for the cell's
own members; anyone else who may see the round reads it, and any write by them is a 403.

The browser sends only the rows that changed; a draft always saves (with its violations
shown); only the submission is refused, with one message per quota group. Every rule is in
assessments.rules: this module only places what the rules report.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from assessments import grid, permissions, rules, selectors, services
from assessments.forms import NOT_RATED, RatingGridForm, field_name, posted_member_ids
from assessments.models import RatingRound
from assessments.views import grid_state
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
    """The round's audit rows (given newest first) with what happened in plain words."""
    items = []
    for entry in entries:
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


class RatingGridMixin(UnitYearMixin):
    """The unit and year (UnitYearMixin), the cell that narrows the grid, the round, and
    which columns this user may change."""

    def load_unit(self) -> None:
        self.load_unit_year(self.kwargs["org_pk"])
        # Below the grassroots organization only a cell narrows the grid: any other node
        # (a sub-committee) shows the whole organization.
        self.cell = (
            self.organization
            if self.organization.pk != self.grassroots.pk and self.organization.type in CELL_TYPES
            else None
        )
        user = self.request.user
        self.can_appraise = self.can_enter
        # The cell's column is entered on the cell's own page (by its secretary, or the
        # committee on its behalf); the whole organization's page shows it read-only.
        one_cell = self.cell or (self.organization if self.organization.is_cell else None)
        self.can_propose = one_cell is not None and (
            self.can_enter or permissions.can_enter_cell_proposal(user, one_cell)
        )

    @property
    def may_write(self) -> bool:
        return self.can_appraise or self.can_propose

    def load_round(self) -> None:
        """The round of the year: created on first visit by someone who may write in it;
        others only see one that exists."""
        user = self.request.user
        self.round, self.round_error = None, ""
        if self.may_write:
            # The round exists on every visit but the first: read it (the user may write, as
            # worked out above) rather than going through the creation's own checks again.
            self.round = (
                RatingRound.objects.filter(organization=self.grassroots, year=self.year)
                .select_related("organization")
                .first()
            )
            if self.round is not None:
                return
            try:
                self.round = services.round_get_or_create(
                    actor=user, organization=self.cell or self.grassroots, year=self.year
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

    def reads(self) -> dict:
        """What every grid of this request shares, read once: the year's settings and the
        deciding level (it forms the peer groups; the state line names it)."""
        if not hasattr(self, "_reads"):
            self._reads = {
                "setting": self.setting,
                "deciding": selectors.deciding_organization_for(self.grassroots),
            }
        return self._reads

    def source(self, member_ids=None):
        reads = self.reads()
        return grid.grid_source(
            round=self.round,
            cell=self.cell,
            member_ids=member_ids,
            setting=reads["setting"],
            owner=reads["deciding"],
        )

    def make_form(self, data, source) -> RatingGridForm:
        ids = [m.pk for m in source.members]
        context = source.quota
        form = RatingGridForm(
            data,
            scheme=source.scheme,
            rows=grid.source_rows(source),
            appraise=ids if self.can_appraise else (),
            propose=ids if self.can_propose else (),
            regime=source.regime,
            groups=list(context.names) if context is not None and context.defined else (),
        )
        if data is not None:
            form.is_valid()
        return form

    def state(self, *, source, form=None, changed=None, **kwargs) -> grid_state.GridState:
        data = grid.grid_evaluate(source, changed)
        return grid_state.build_state(
            grid=data,
            grassroots=self.grassroots,
            form=form,
            appraise=self.can_appraise,
            propose=self.can_propose,
            has_changes=bool(changed),
            **kwargs,
        )

    def page_context(self, **kwargs) -> dict:
        ratio = self.scheme.quota_ratio
        deciding = self.reads()["deciding"]
        now = nxt = ""
        if getattr(self, "round", None) is not None:
            now, nxt = grid_state.state_message(
                round_=self.round,
                grassroots=self.grassroots,
                deciding=deciding,
                cell=self.cell,
                appraise=self.can_appraise,
                propose=self.can_propose,
            )
        return {
            "organization": self.organization,
            "grassroots": self.grassroots,
            "deciding": deciding,
            "cell": self.cell,
            "year": self.year,
            "scheme": self.scheme,
            # Read when the breadcrumbs are drawn: the live check draws none.
            "ancestors": SimpleLazyObject(self.unit_ancestors),
            "can_enter": self.can_enter,
            "can_appraise": self.can_appraise,
            "can_propose": self.can_propose,
            "state_now": now,
            "state_next": nxt,
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
            "session_idle_seconds": settings.SESSION_IDLE_TIMEOUT,
            **kwargs,
        }


class RatingGridView(RatingGridMixin, View):
    """The grid page: GET shows it; POST saves, checks (without JavaScript) or submits."""

    template_name = "assessments/rating_grid.html"

    def render_page(self, *, state=None, status: int = 200, **kwargs):
        context = self.page_context(
            round=self.round,
            round_error=getattr(self, "round_error", ""),
            grid=state,
            **self.history_context(),
            **kwargs,
        )
        return render(self.request, self.template_name, context, status=status)

    def history_context(self) -> dict:
        if self.round is None:
            return {"history": [], "history_total": 0}
        latest, total = selectors.round_history_recent(round=self.round)
        return {"history": history_items(latest), "history_total": total}

    def get(self, request, *args, **kwargs):
        self.load_unit()
        self.load_round()
        if self.round is None:
            return self.render_page()
        return self.render_page(state=self.state(source=self.source()))

    def post(self, request, *args, **kwargs):
        self.load_unit()
        if not self.may_write:
            raise PermissionDenied
        self.load_round()
        if self.round is None:
            messages.error(request, self.round_error or _("This rating cannot be opened."))
            return redirect(self.grid_url())
        action = request.POST.get("action", "save")
        if action in ("submit", "submit_confirmed"):
            if not self.can_appraise:
                raise PermissionDenied
            return self.submit(confirmed=action == "submit_confirmed")
        ids = posted_member_ids(request.POST)
        source = self.source(member_ids=ids)
        if not source.members and not ids:
            messages.info(request, _("Nothing was changed, so there was nothing to save."))
            return redirect(self.grid_url())
        if not source.editable:
            messages.error(request, _("This rating can no longer be changed."))
            return redirect(self.grid_url())
        form = self.make_form(request.POST, source)
        changed = form.changed_rows()
        if form.errors:
            return self.render_again(
                form,
                changed,
                failure=_("Some boxes are not filled in correctly. Nothing was saved."),
            )
        if action == "check":
            return self.render_again(form, changed, checked=True)
        return self.save(form, changed)

    def render_again(self, form, changed, *, others=None, extra_violations=(), **kwargs):
        """The whole page again with what the user typed, checked against the rules."""
        state = self.state(
            source=self.source(),
            form=form,
            changed=changed,
            others=others,
            extra_violations=extra_violations,
        )
        return self.render_page(state=state, **kwargs)

    def save(self, form, changed):
        request = self.request
        if not changed:
            messages.info(request, _("Nothing was changed, so there was nothing to save."))
            return redirect(self.grid_url())
        try:
            services.member_ratings_save(
                actor=request.user, round=self.round, rows=list(changed.values())
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
            # The page after it drops what the browser kept of these rows (grid.js): a box
            # left empty that the save filled (the total of 30 + 70) is not "unsaved".
            extra_tags="grid-saved",
        )
        return redirect(self.grid_url())

    def render_conflict(self, exc):
        """Someone else saved some of these rows first: show their values beside this user's.

        The stale rows' versions move to the current ones, so "Save" now keeps this user's
        values and "Take theirs" takes the other person's: a deliberate choice either way.
        """
        posted = self.request.POST.copy()
        source = self.source()
        stale = set(exc.member_ids or [])
        others = {}
        for member in source.members:
            mid = member.pk
            if mid not in stale:
                continue
            rating = source.saved.get(mid)
            posted[field_name("version", mid)] = str(rating.version if rating else 0)
            others[mid] = grid_state.conflict_values(source.scheme, rating)
        form = self.make_form(posted, source)
        state = self.state(source=source, form=form, changed=form.changed_rows(), others=others)
        return self.render_page(
            state=state,
            conflict=True,
            failure=ngettext(
                "%(count)s row was changed by someone else while you were typing. Nothing was "
                "saved. Each such row shows their value next to yours: keep yours or take "
                "theirs, then press “Save”.",
                "%(count)s rows were changed by someone else while you were typing. Nothing was "
                "saved. Each such row shows their value next to yours: keep yours or take "
                "theirs, then press “Save”.",
                len(others),
            )
            % {"count": len(others)},
        )

    # --- submission ------------------------------------------------------------------------
    def submit(self, *, confirmed: bool):
        request = self.request
        if posted_member_ids(request.POST) and self._has_changes():
            messages.error(
                request,
                _("You have changes that are not saved. Press “Save” first, then send."),
            )
            return redirect(self.grid_url())
        try:
            version = int(request.POST.get("round_version", ""))
        except ValueError:
            version = 0
        if not confirmed:
            return self.render_confirm(version)
        try:
            services.round_submit(actor=request.user, round=self.round, round_version=version)
        except services.RuleViolationError as exc:
            return self.render_refusal(exc)
        except services.ConcurrentEditError:
            messages.error(
                request,
                _(
                    "The list changed after you opened it (someone saved). Check the figures "
                    "below, then send again."
                ),
            )
            return redirect(self.grid_url())
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

    def _has_changes(self) -> bool:
        source = self.source(member_ids=posted_member_ids(self.request.POST))
        return bool(self.make_form(self.request.POST, source).changed_rows())

    def render_confirm(self, version: int):
        counts = grid.members_per_cell(round=self.round)
        members, cells = sum(n for _c, n in counts), len(counts)
        deciding = selectors.deciding_organization_for(self.round)
        question = ngettext(
            "Send %(members)s members of %(cells)s cell to %(above)s?",
            "Send %(members)s members of %(cells)s cells to %(above)s?",
            cells,
        ) % {
            "members": members,
            "cells": cells,
            "above": deciding.name if deciding else _("the superior committee"),
        }
        details = [
            _("This sends the whole list of %(unit)s, every cell, not only this page.")
            % {"unit": self.grassroots.name},
            _("After sending, nobody here can change it until %(above)s returns it.")
            % {"above": deciding.name if deciding else _("the superior committee")},
        ]
        if self.cell is not None:
            details.insert(
                0,
                _("You are on the page of %(cell)s, but the list is sent for all of %(unit)s.")
                % {"cell": self.cell.name, "unit": self.grassroots.name},
            )
        context = self.page_context(
            round=self.round,
            question=question,
            text="\n".join(details),
            items=counts,
            action_url=self.grid_url(),
            hidden=[("action", "submit_confirmed"), ("round_version", version)],
            confirm_label=_("Yes, send %(members)s members") % {"members": members},
            cancel_url=self.grid_url(),
        )
        return render(self.request, "assessments/rating_grid_confirm.html", context)

    def render_refusal(self, exc):
        """Not sent: one message per quota group, the member problems counted per cell."""
        members = {v.subject_id for v in exc.violations if v.code != "Q1"}
        per_cell: dict[str, int] = {}
        if members:
            period = selectors.period_end(self.year)
            cells = dict(
                cells_selectors.members_of(organization=self.grassroots, on=period, subtree=True)
                .filter(pk__in=[m for m in members if isinstance(m, int)])
                .values_list("pk", "cell_id")
            )
            names = dict(
                Organization.objects.filter(pk__in=set(cells.values())).values_list("pk", "name")
            )
            for mid in members:
                name = names.get(cells.get(mid), "—")
                per_cell[name] = per_cell.get(name, 0) + 1
        refusal = sorted(per_cell.items(), key=lambda item: (-item[1], item[0]))
        return self.render_page(
            state=self.state(source=self.source()),
            failure=_("Not sent. Correct what is listed below, then send again."),
            refusal_cells=refusal,
            refusal_members=len(members),
        )


class RatingGridCheckView(RatingGridMixin, View):
    """The live check (htmx): the counters, the quota and the sent rows' messages for what
    is typed, unsaved. Only the rows the browser sent are read and answered."""

    def post(self, request, *args, **kwargs):
        self.load_unit()
        if not self.may_write:
            raise PermissionDenied
        self.load_round()
        if self.round is None:
            raise Http404
        source = self.source(member_ids=posted_member_ids(request.POST))
        form = self.make_form(request.POST, source)
        state = self.state(source=source, form=form, changed=form.changed_rows(), oob=True)
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
