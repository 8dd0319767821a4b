"""The Resolution 22 dashboard: page, trend (JSON), the list behind a number, exports, SVG.

Thin: the node comes from `cells.selectors.organization_get` (out of scope → 404) and every
number from `assessments.dashboard`. Options travel in the query string: `nam` (year),
`anh_xa=1` (map earlier years onto today's units), `de_xuat=1` (include undecided proposals),
`nhom` (the group of the children table). Every Excel download carries a watermark (who,
when, which unit and year) and writes an audit row: a download is an action, recorded here.
"""

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from html import escape as html_escape

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import get_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from assessments import charts, dashboard, dashboard_lists, schemes
from assessments.indicators.targets import can_edit_targets, can_explain
from cells import selectors as cells_selectors
from cells.audit import audit_export
from partybuild.replicas import replica_reads
from partybuild.spreadsheets import export_watermark

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _options(request) -> dict:
    return {
        "mapped": request.GET.get("anh_xa") == "1",
        "include_proposals": request.GET.get("de_xuat") == "1",
    }


@method_decorator(replica_reads, name="dispatch")
class _DashboardMixin(LoginRequiredMixin):
    """Loads the node (scoped) and checks the year once the user is known."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.node = cells_selectors.organization_get(user=request.user, pk=kwargs["org_pk"])
        self.year = kwargs["year"]
        if not schemes.FIRST_YEAR <= self.year <= timezone.localdate().year + 1:
            raise Http404
        self.options = _options(request)
        return super().dispatch(request, *args, **kwargs)

    def xlsx_response(
        self, build: Callable[..., bytes], *, what: str, filename: str, rows: int, filters: dict
    ) -> HttpResponse:
        """The workbook `build(watermark=…)` as a download, recorded in the audit trail.

        `filters` are the options that chose the rows, so the audit shows exactly what left.
        """
        watermark = export_watermark(
            user=self.request.user, scope=f"{self.node.name} · {self.year}"
        )
        content = build(watermark=watermark)
        audit_export(
            actor=self.request.user,
            what=what,
            organization=self.node,
            filename=filename,
            rows=rows,
            filters={"year": self.year, **self.options, **filters},
        )
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


_CENT = Decimal("0.01")


def value_text(value: Decimal | None, separator: str) -> str:
    """`value|floatformat:"-2"` (whole numbers without decimals, else two), "" for none;
    the filter costs ≈ 0.1 ms a call, and a province table has ≈ 1,800 numbers."""
    if value is None:
        return ""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.quantize(_CENT, ROUND_HALF_UP), "f").replace(".", separator)


def _link_cells(data: dashboard.DashboardData) -> None:
    """Each table cell's link to the list behind it and its value as shown, each row's link
    to the child's own page. Built from one reversed URL per column, and formatted here once:
    reversing per cell costs more than the rest of the page (≈ 1,700 cells in a province), and
    a filter and a condition per cell in the template cost as much as counting the numbers."""
    options = ("&anh_xa=1" if data.mapped else "") + (
        "&de_xuat=1" if data.include_proposals else ""
    )
    bases = {
        column.pk: reverse(
            "assessments:dashboard_list",
            args=[data.node.pk, data.year, dashboard.link_counter(column)],
        )
        for column in data.columns
    }
    lists = reverse("assessments:dashboard_list", args=[data.node.pk, data.year, "x"])
    lists = lists.removesuffix("x/")
    detail = reverse("assessments:dashboard_detail", args=[0, data.year]).removesuffix(
        f"0/{data.year}/"
    )
    separator = get_format("DECIMAL_SEPARATOR")
    dissolved = html_escape(_("dissolved"))
    for row in data.rows:
        row.href = f"{detail}{row.info.id}/{data.year}/?nhom={data.group}{options}"
        for cell in row.cells:
            cell.href = f"{bases[cell.indicator.pk]}?con={row.info.id}{options}"
            cell.text = value_text(cell.value, separator)
        # The whole row as one piece of HTML: a province's table has ≈ 1,500 number cells,
        # and the template engine's four nodes a cell were a fifth of the page's time. The
        # standard library's escape, not Django's lazy-aware one: ≈ 3,600 calls a page.
        mark = "" if row.exists else f' <span class="badge text-bg-light">{dissolved}</span>'
        row.html = mark_safe(  # noqa: S308 - every value is escaped here
            ("<tr>" if row.exists else '<tr class="text-body-secondary">')
            + f'<th scope="row"><a href="{html_escape(row.href)}">'
            + f"{html_escape(row.info.name)}</a>{mark}</th>"
            + "".join(
                f'<td class="text-end"><a href="{html_escape(cell.href)}">'
                f"{html_escape(cell.text)}</a></td>"
                if cell.text
                else '<td class="text-end">–</td>'
                for cell in row.cells
            )
            + "</tr>"
        )
    for cell in data.totals:
        cell.text = value_text(cell.value, separator)
    plain = options.lstrip("&")
    for card in data.cards:
        card.href = f"{lists}{card.indicator.code}/" + (f"?{plain}" if plain else "")
    for line in data.targets:
        line.href = f"{lists}{line.indicator.code}/" + (f"?{plain}" if plain else "")
        for unit in line.units:
            unit.href = f"{detail}{unit.info.id}/{data.year}/" + (f"?{plain}" if plain else "")
            unit.list_href = f"{lists}{line.indicator.code}/?con={unit.info.id}{options}"


@method_decorator(replica_reads, name="dispatch")
class DashboardHomeView(LoginRequiredMixin, View):
    """Start at the top node the user can see, on the year being rated (the review screen's:
    its decisions show as they are made) once it has rounds, else the latest rated year."""

    def get(self, request):
        roots = list(cells_selectors.organization_roots_for(user=request.user)[:1])
        if not roots:
            raise Http404
        year = dashboard.dashboard_default_year(user=request.user)
        return redirect("assessments:dashboard_detail", org_pk=roots[0].pk, year=year)


class DashboardDetailView(_DashboardMixin, TemplateView):
    template_name = "assessments/dashboard.html"

    def get_template_names(self):
        if self.request.headers.get("HX-Request") and self.request.GET.get("nhom"):
            return ["assessments/includes/_dash_children.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        data = dashboard.dashboard_get(
            user=self.request.user,
            node=self.node,
            year=self.year,
            group=self.request.GET.get("nhom", "organizations"),
            **self.options,
        )
        _link_cells(data)
        explain = can_explain(self.request.user, self.node)
        own = (
            dashboard.explanations_for(organization_ids=[self.node.pk], year=self.year)
            if explain
            else {}
        )
        for line in data.targets:
            line.own_explanation = (
                own.get((line.indicator.pk, self.node.pk), "") if explain else None
            )
        ancestors = cells_selectors.organization_ancestors_visible(
            user=self.request.user, organizations=[self.node]
        )[self.node.pk]
        this_year = timezone.localdate().year
        return super().get_context_data(
            data=data,
            ancestors=ancestors,
            years=list(range(this_year, schemes.FIRST_YEAR - 1, -1)),
            query=self.request.GET.urlencode(),
            can_edit_targets=can_edit_targets(self.request.user, self.node),
            **kwargs,
        )


class DashboardTrendView(_DashboardMixin, View):
    def get(self, request, **kwargs):
        trend = dashboard.dashboard_trend(
            user=request.user, node=self.node, year=self.year, **self.options
        )
        return JsonResponse(trend)


class DashboardListView(_DashboardMixin, TemplateView):
    """The units or members behind one number (`?con=<child pk>` for one child's share)."""

    template_name = "assessments/dashboard_list.html"

    def get(self, request, *args, **kwargs):
        child = request.GET.get("con")
        try:
            child_pk = int(child) if child else None
        except ValueError as exc:
            raise Http404 from exc
        self.drill = dashboard_lists.dashboard_list(
            user=request.user,
            node=self.node,
            year=self.year,
            counter=kwargs["counter"],
            child_pk=child_pk,
            q=request.GET.get("q", "").strip()[:100],
            **self.options,
        )
        if request.GET.get("xuat") == "xlsx":
            return self.xlsx_response(
                partial(
                    dashboard_lists.drill_list_xlsx,
                    self.drill,
                    node=self.node,
                    year=self.year,
                    user=request.user,
                ),
                what="dashboard_list",
                filename=f"danh-sach-{self.year}.xlsx",
                rows=len(self.drill.rows),
                filters={"counter": kwargs["counter"], "child": child_pk},
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("xuat", None)
        context.update(
            node=self.node,
            year=self.year,
            drill=self.drill,
            query=query.urlencode(),
            keep=[(k, v) for k, v in query.items() if k != "q"],
            # One reversed URL per column, not per row (a list can hold 2,000 members).
            member_base=reverse("cells:member_detail", args=[0]).removesuffix("0/"),
            org_base=reverse("assessments:dashboard_detail", args=[0, 0]).removesuffix("0/0/"),
            no_cell=_("No cell"),
        )
        return context


class DashboardExportView(_DashboardMixin, View):
    """The children table of a group as Excel."""

    def get(self, request, **kwargs):
        data = dashboard.dashboard_get(
            user=request.user,
            node=self.node,
            year=self.year,
            group=request.GET.get("nhom", "organizations"),
            **self.options,
        )
        return self.xlsx_response(
            partial(dashboard_lists.dashboard_table_xlsx, data, user=request.user),
            what="dashboard_table",
            filename=f"chi-tieu-{self.node.code}-{self.year}.xlsx",
            rows=len(data.rows),
            filters={"group": data.group},
        )


class DashboardChartView(_DashboardMixin, View):
    """The charts as SVG, for the PDF reports: `cap-do` (levels) or `xu-huong` (trend)."""

    def get(self, request, **kwargs):
        kind = kwargs["kind"]
        if kind == "cap-do":
            prefix = request.GET.get("doi_tuong", "gro")
            if prefix not in ("gro", "cell", "mem"):
                raise Http404
            bars = dashboard.level_breakdown(
                user=request.user, node=self.node, year=self.year, prefix=prefix, **self.options
            )
            svg = charts.bar_chart_svg(title=f"{self.node.name} · {self.year}", bars=bars)
        elif kind == "xu-huong":
            trend = dashboard.dashboard_trend(
                user=request.user, node=self.node, year=self.year, **self.options
            )
            code = request.GET.get("chi_tieu", "gro-good-or-better")
            series = trend["series"].get(code)
            if series is None:
                raise Http404
            svg = charts.line_chart_svg(
                title=series["name"],
                years=trend["years"],
                values=series["values"],
                unit=series["unit"],
            )
        else:
            raise Http404
        return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
