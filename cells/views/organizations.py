"""Screens of the organization tree: browse, search, one unit's page, add and change units.

Thin views: objects come from scoped selectors (out of scope = 404) and every write goes
through cells.services with the request's user as `actor`.
"""

import copy
from html import escape as html_escape

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Window
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from cells import history, selectors, services, structure
from cells.choices import CELL_TYPES, COMMUNE_LEVEL_TYPES, MEMBER_STATE_BADGES, OrganizationType
from cells.forms import OrganizationForm
from cells.models import Organization
from cells.permissions import can_administer, can_edit_roster, can_view_organization
from partybuild.replicas import replica_reads

MEMBERS_PER_PAGE = 50
SEARCH_LIMIT = 50
HISTORY_LIMIT = 50


def add_service_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


def page_with_total(queryset, number, per_page: int) -> Page:
    """`Paginator(queryset, per_page).get_page(number)` in two small queries: the page's keys
    with the total riding on each as a window count (the paginator's own COUNT read the
    subtree's memberships a second time, ≈ 4 ms of a commune page), then its rows. A number
    outside the pages still goes through get_page (the COUNT, then its choice of page), so
    every page is the same."""
    paginator = Paginator(queryset, per_page)
    try:
        wanted = int(number)
    except (TypeError, ValueError):
        wanted = 1  # what get_page does with a number that is not one
    if wanted >= 1:
        bottom = (wanted - 1) * per_page
        # The page's keys first, with no annotation: the window count makes PostgreSQL build
        # every row before the OFFSET, and the annotations' subqueries ran for each (page 39
        # of a 1,936-member commune 64 ms against 19 ms for page 1). Then the page's rows.
        keys = list(
            queryset.values("pk").annotate(rows_in_all=Window(Count("pk")))[
                bottom : bottom + per_page
            ]
        )
        if keys:
            paginator.count = keys[0]["rows_in_all"]
            page = paginator.page(wanted)
            page.object_list = list(queryset.filter(pk__in=[k["pk"] for k in keys]))
            return page
    return paginator.get_page(number)


# The unit page's three lists (≈ 65 sub-units, ≈ 70 hamlets and 50 members in a commune) as
# HTML written here: the template engine's nodes per row were ≈ 12 ms of a 31 ms commune page,
# the heaviest page of the December mix (bench/load.py). Every value goes through the standard
# library's escape; the texts are the same translations the template used.
def _badges(member) -> str:
    return "".join(
        f' <span class="badge badge-state {css}">{html_escape(str(label))}</span>'
        for attr, css, label in MEMBER_STATE_BADGES
        if getattr(member, attr, False)
    )


def member_rows_html(members, *, first: int, member_url_base: str) -> str:
    rows = []
    for number, member in enumerate(members, start=first):
        cell = member.__dict__.get("cell")  # set by the view on a commune's page
        rows.append(
            '<li class="list-group-item px-0 d-flex flex-wrap gap-2 align-items-center">'
            f'<span class="member-list__number text-body-secondary">{number}.</span> '
            f'<a class="fw-semibold" href="{html_escape(member_url_base)}{member.pk}/">'
            f"{html_escape(member.full_name)}</a>{_badges(member)}"
            + (
                f' <span class="text-body-secondary small">· {html_escape(cell.name)}</span>'
                if cell is not None
                else ""
            )
            + "</li>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value is escaped above


def children_rows_html(children, *, org_url_base: str, with_counts: bool) -> str:
    base = html_escape(org_url_base)
    rows = []
    for child in children:
        cell = f'<a href="{base}{child.pk}/">{html_escape(child.name)}</a>'
        if child.dissolved_on:
            dissolved = _("Dissolved %(date)s") % {"date": child.dissolved_on.strftime("%d/%m/%Y")}
            cell += f'<br><span class="badge text-bg-secondary">{html_escape(dissolved)}</span>'
            if child.successor_id and child.successor:
                name = html_escape(child.successor.name)
                cell += (
                    f' <a href="{base}{child.successor_id}/">→ {name}</a>'
                    if getattr(child, "successor_visible", False)
                    else f" → {name}"
                )
        rows.append(
            ('<tr class="org-node--dissolved">' if child.dissolved_on else "<tr>")
            + f"<td>{cell}</td><td>{html_escape(child.type_label)}</td>"
            + (
                f'<td class="text-end">{getattr(child, "member_count", 0)}</td>'
                if with_counts
                else ""
            )
            + "</tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value is escaped above


def residential_units_html(units, *, org_url_base: str, is_commune_level: bool) -> str:
    base = html_escape(org_url_base)
    no_cell = html_escape(_("No Party cell"))
    rows = []
    for unit in units:
        gap = is_commune_level and not unit.cell_id
        rows.append(
            '<li class="list-group-item px-0 d-flex flex-wrap justify-content-between gap-2'
            + (' unit-gap">' if gap else '">')
            + f"<span>{html_escape(unit.name)}</span>"
        )
        if is_commune_level:
            rows.append(
                f'<a href="{base}{unit.cell_id}/">{html_escape(unit.cell.name)}</a>'
                if unit.cell_id
                else '<span class="badge text-bg-warning fs-6"><i class="bi '
                f'bi-exclamation-triangle" aria-hidden="true"></i> {no_cell}</span>'
            )
        rows.append("</li>")
    return mark_safe("".join(rows))  # noqa: S308 - every value is escaped above


def mark_successor_links(*, user, nodes) -> list[Organization]:
    """Flag which successors the user may open, so a dissolved node links only where allowed."""
    nodes = list(nodes)
    for node in nodes:
        node.successor_visible = node.successor_id is not None and can_view_organization(
            user, node.successor
        )
    return nodes


@method_decorator(replica_reads, name="dispatch")
class OrganizationTreeView(TemplateView):
    """The tree from the user's own top units down; deeper levels load on demand (htmx)."""

    template_name = "cells/organization_tree.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        roots = selectors.organization_roots_for(user=user).select_related("successor")
        return super().get_context_data(
            nodes=mark_successor_links(user=user, nodes=roots), **kwargs
        )


@method_decorator(replica_reads, name="dispatch")
class OrganizationChildrenView(TemplateView):
    """The children of one node, as a fragment for the tree."""

    template_name = "cells/organization_children.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        parent = selectors.organization_get(user=user, pk=self.kwargs["pk"])
        children = selectors.organization_children(organization=parent).select_related("successor")
        return super().get_context_data(
            parent=parent, nodes=mark_successor_links(user=user, nodes=children), **kwargs
        )


@method_decorator(replica_reads, name="dispatch")
class OrganizationSearchView(TemplateView):
    """Find a unit by name or code; each hit shows where it sits in the tree."""

    template_name = "cells/organization_search.html"

    def get_template_names(self):
        if self.request.htmx:
            return ["cells/organization_search_results.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        user = self.request.user
        text = self.request.GET.get("q", "").strip()[:100]
        hits = list(
            selectors.organization_search(user=user, text=text).select_related("successor")[
                : SEARCH_LIMIT + 1
            ]
        )
        truncated = len(hits) > SEARCH_LIMIT
        hits = mark_successor_links(user=user, nodes=hits[:SEARCH_LIMIT])
        ancestors = selectors.organization_ancestors_visible(user=user, organizations=hits)
        for hit in hits:
            hit.visible_ancestors = ancestors[hit.pk]
        return super().get_context_data(q=text, hits=hits, truncated=truncated, **kwargs)


@method_decorator(replica_reads, name="dispatch")
class OrganizationDetailView(TemplateView):
    """One unit: its facts, sub-units, residential units and members today."""

    template_name = "cells/organization_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        organization = selectors.organization_get(user=user, pk=self.kwargs["pk"])
        ancestors = selectors.organization_ancestors_visible(
            user=user, organizations=[organization]
        )[organization.pk]
        successor = organization.successor if organization.successor_id else None
        children = mark_successor_links(
            user=user,
            nodes=selectors.organization_children(organization=organization).select_related(
                "successor"
            ),
        )
        # The type's label once per type, not get_type_display per row (a commune lists ~70).
        type_labels = dict(OrganizationType.choices)
        for child in children:
            child.type_label = type_labels.get(child.type, child.type)
        is_cell = organization.type in CELL_TYPES
        context = {
            "organization": organization,
            "ancestors": ancestors,
            "successor": successor,
            "successor_visible": successor is not None and can_view_organization(user, successor),
            "predecessors": selectors.organizations_visible_to(user=user)
            .filter(successor=organization)
            .order_by("name_sort_key"),
            "terms": organization.terms.all(),
            "children": children,
            "is_cell": is_cell,
            "is_commune_level": organization.type in COMMUNE_LEVEL_TYPES,
            "residential_units": list(selectors.residential_units_for(organization=organization)),
            "can_edit": can_edit_roster(user, organization),
            # Links in the loops are written from these prefixes: a {% url %} per row was a
            # large part of the page's time (the page mix of bench/load.py).
            "org_url_base": reverse("cells:organization_detail", args=[0]).removesuffix("0/"),
            "member_url_base": reverse("cells:member_detail", args=[0]).removesuffix("0/"),
            # Adding a unit changes the tree: an administrator's (#19).
            "can_add_unit": not is_cell and can_administer(user, organization),
            "history": history.history_rows(
                history.organization_audit_history(organization=organization)[:HISTORY_LIMIT],
                show_citizen_id=False,
            ),
        }
        if is_cell:
            context["members"] = list(selectors.members_of(organization=organization))
            first = 1
        else:
            counts = selectors.member_counts_by_child(organization=organization)
            for child in children:
                child.member_count = counts.get(child.path, 0)
            context["member_total"] = sum(counts.values())
            page = page_with_total(
                selectors.members_of(organization=organization, subtree=True),
                self.request.GET.get("page"),
                MEMBERS_PER_PAGE,
            )
            # Most members' cells are among the children read above (all in the user's
            # subtree, as this unit is): only the deeper ones are read.
            cells = {child.pk: child for child in children}
            deeper = {m.cell_id for m in page.object_list} - cells.keys()
            if deeper:
                cells |= selectors.organizations_visible_to(user=user).in_bulk(deeper)
            for member in page.object_list:
                member.cell = cells.get(member.cell_id)
            context["page_obj"] = page
            context["members"] = page.object_list
            first = page.start_index()
        context["member_rows"] = member_rows_html(
            context["members"], first=first, member_url_base=context["member_url_base"]
        )
        context["children_rows"] = children_rows_html(
            children, org_url_base=context["org_url_base"], with_counts=not is_cell
        )
        context["residential_unit_rows"] = residential_units_html(
            context["residential_units"],
            org_url_base=context["org_url_base"],
            is_commune_level=context["is_commune_level"],
        )
        return super().get_context_data(**context, **kwargs)


class OrganizationCreateView(FormView):
    """Add a unit (a cell, a sub-committee…) under a parent the user administers."""

    template_name = "cells/organization_create.html"
    form_class = OrganizationForm

    def dispatch(self, request, *args, **kwargs):
        self.parent = selectors.organization_get(user=request.user, pk=kwargs["parent_pk"])
        if not can_administer(request.user, self.parent):
            raise PermissionDenied(_("Only an administrator of this unit or above may add a unit."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_form(self, form_class=None):
        """Offer only the types that may sit under the parent (cells.structure)."""
        form = super().get_form(form_class)
        field = form.fields.get("type")
        if field is not None:
            field.choices = [
                (value, label)
                for value, label in field.choices
                if not value
                or not structure.child_type_refusal(parent_type=self.parent.type, child_type=value)
            ]
        return form

    def get_context_data(self, **kwargs):
        ancestors = selectors.organization_ancestors_visible(
            user=self.request.user, organizations=[self.parent]
        )[self.parent.pk] + [self.parent]
        return super().get_context_data(parent=self.parent, ancestors=ancestors, **kwargs)

    def form_valid(self, form):
        try:
            node = services.organization_create(
                actor=self.request.user, parent=self.parent, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Unit “%(name)s” was added.") % {"name": node.name})
        return redirect("cells:organization_detail", pk=node.pk)


class OrganizationEditView(FormView):
    """Change a unit's facts: name, code, dates, merge successor."""

    template_name = "cells/organization_edit.html"
    form_class = OrganizationForm

    def dispatch(self, request, *args, **kwargs):
        self.organization = selectors.organization_get(user=request.user, pk=kwargs["pk"])
        if not can_edit_roster(request.user, self.organization):
            raise PermissionDenied(_("You may not change this unit."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        # A copy: the form writes typed values onto its instance, the page keeps the stored ones.
        return {
            **super().get_form_kwargs(),
            "user": self.request.user,
            "instance": copy.copy(self.organization),
        }

    def get_context_data(self, **kwargs):
        ancestors = selectors.organization_ancestors_visible(
            user=self.request.user, organizations=[self.organization]
        )[self.organization.pk] + [self.organization]
        return super().get_context_data(
            organization=self.organization, ancestors=ancestors, **kwargs
        )

    def form_valid(self, form):
        try:
            node = services.organization_update(
                actor=self.request.user, organization=self.organization, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Unit “%(name)s” was saved.") % {"name": node.name})
        return redirect("cells:organization_detail", pk=node.pk)
