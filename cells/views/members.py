"""Screens of one member: the record, its history, and the forms that change them.

Members are fetched only through `selectors.member_get` (out of scope = 404); writes go
through cells.services with the request's user as `actor`.
"""

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from cells import history, selectors, services
from cells.choices import CELL_TYPES
from cells.forms import MemberEditForm, MemberEventForm, MemberForm
from cells.permissions import (
    can_edit_roster,
    can_see_citizen_id,
    can_view_organization,
    citizen_id_for,
)
from partybuild.replicas import replica_reads

from .organizations import add_service_errors

HISTORY_LIMIT = 50


class MemberContextMixin:
    """Loads the member in scope, its history and its cell (current, or the last one)."""

    def load_member(self):
        user = self.request.user
        self.member = selectors.member_get(user=user, pk=self.kwargs["pk"])
        # A former unit reads the record only up to the day the member left it (#19).
        memberships, events = selectors.member_history(member=self.member)
        memberships = list(memberships)
        until = self.visible_until = selectors.member_visible_until(
            user=user, member=self.member, memberships=memberships
        )
        if until is not None:
            memberships = [m for m in memberships if m.start <= until]
            events = events.filter(start__lte=until)
        self.memberships = memberships
        self.events = list(events)
        current = [m for m in self.memberships if m.end is None]
        self.current_cell = current[-1].organization if current else None
        self.home_cell = self.current_cell or (
            self.memberships[-1].organization if self.memberships else None
        )
        self.can_edit = (
            until is None and self.home_cell is not None and can_edit_roster(user, self.home_cell)
        )

    def member_context(self) -> dict:
        user = self.request.user
        ancestors = []
        if self.home_cell is not None and can_view_organization(user, self.home_cell):
            ancestors = selectors.organization_ancestors_visible(
                user=user, organizations=[self.home_cell]
            )[self.home_cell.pk] + [self.home_cell]
        return {
            "member": self.member,
            "current_cell": self.current_cell,
            "home_cell": self.home_cell,
            "ancestors": ancestors,
            "can_edit": self.can_edit,
        }


@method_decorator(replica_reads, name="dispatch")
class MemberDetailView(MemberContextMixin, TemplateView):
    """The member's record, posts, cells over time and events."""

    template_name = "cells/member_detail.html"

    def get_context_data(self, **kwargs):
        self.load_member()
        user = self.request.user
        for membership in self.memberships:
            membership.visible = can_view_organization(user, membership.organization)
        until = self.visible_until
        visible = selectors.organizations_visible_to(user=user) if until else None
        entries = history.member_audit_history(
            member=self.member, until=until, organizations=visible
        )[:HISTORY_LIMIT]
        if until is not None:
            self.member = history.member_record_as_of(
                member=self.member, until=until, organizations=visible
            )
        return super().get_context_data(
            **self.member_context(),
            memberships=self.memberships,
            events=self.events,
            posts=selectors.member_posts(user=user, member=self.member, until=until),
            visible_until=until,
            citizen_id_display=citizen_id_for(user=user, member=self.member, cell=self.home_cell),
            history=history.history_rows(
                entries, show_citizen_id=can_see_citizen_id(user, self.home_cell)
            ),
            **kwargs,
        )


class MemberCreateView(FormView):
    """Add a member to a cell."""

    template_name = "cells/member_create.html"
    form_class = MemberForm

    def dispatch(self, request, *args, **kwargs):
        self.cell = selectors.organization_get(user=request.user, pk=kwargs["cell_pk"])
        if self.cell.type not in CELL_TYPES:
            raise Http404(_("Members are added to a Party cell."))
        if not can_edit_roster(request.user, self.cell):
            raise PermissionDenied(_("You may not change this unit."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        ancestors = selectors.organization_ancestors_visible(
            user=self.request.user, organizations=[self.cell]
        )[self.cell.pk] + [self.cell]
        return super().get_context_data(cell=self.cell, ancestors=ancestors, **kwargs)

    def form_valid(self, form):
        try:
            member = services.member_create(
                actor=self.request.user, cell=self.cell, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Member %(name)s was added.") % {"name": member.full_name})
        return redirect("cells:member_detail", pk=member.pk)


class MemberEditView(MemberContextMixin, FormView):
    """Change a member's record; choosing another cell transfers the member from today."""

    template_name = "cells/member_edit.html"
    form_class = MemberEditForm

    def dispatch(self, request, *args, **kwargs):
        self.load_member()
        if not self.can_edit:
            raise PermissionDenied(_("You may not change this member."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "user": self.request.user,
            # A copy: the form writes typed values onto its instance, the page keeps the record.
            "instance": copy.copy(self.member),
        }

    def get_initial(self):
        return {"cell": self.current_cell}

    def get_context_data(self, **kwargs):
        return super().get_context_data(**self.member_context(), **kwargs)

    def form_valid(self, form):
        fields = dict(form.cleaned_data)
        cell = fields.pop("cell")
        try:
            member = services.member_update(
                actor=self.request.user, member=self.member, cell=cell, **fields
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        if self.current_cell is not None and cell != self.current_cell:
            messages.success(
                self.request,
                _("Member %(name)s was transferred to %(cell)s.")
                % {"name": member.full_name, "cell": cell.name},
            )
        else:
            messages.success(
                self.request, _("Member %(name)s was saved.") % {"name": member.full_name}
            )
        return redirect("cells:member_detail", pk=member.pk)


class MemberEventCreateView(MemberContextMixin, FormView):
    """Record an event: discipline, exemption, leave, transfer, removal, death."""

    template_name = "cells/memberevent_create.html"
    form_class = MemberEventForm

    def dispatch(self, request, *args, **kwargs):
        self.load_member()
        if not self.can_edit:
            raise PermissionDenied(_("You may not change this member."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**self.member_context(), **kwargs)

    def form_valid(self, form):
        try:
            event = services.member_event_create(
                actor=self.request.user, member=self.member, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Event “%(event)s” was recorded for %(name)s.")
            % {"event": event.get_kind_display(), "name": self.member.full_name},
        )
        return redirect("cells:member_detail", pk=self.member.pk)
