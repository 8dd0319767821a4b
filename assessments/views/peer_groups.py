"""The deciding level's screens for the 2025– quota (Quy định 366, Điều 11; DOMAIN §4.3): its
peer groups of the year (rule, members by hand, who falls in each and the counts) and the
decision raising an organization's ceiling to at most 25%.

Thin views: the level comes from a scoped selector (another unit is a 404), reads from
assessments.regime_overview, writes through assessments.regime_settings / regime_services
(permission and audit there). Whoever may see the level reads the screens; only its deciding
roles (reviewer, administrator of the level or above) change them; removing a group and
recording a decision first say what they will act on.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from assessments import peer_groups, regime_overview, regime_services, regime_settings, schemes
from assessments.choices import FormCategory
from assessments.models import PeerGroup
from assessments.year_services import rating_year_range
from cells import selectors as cells_selectors
from cells.models import Organization
from cells.permissions import can_decide_rating
from cells.views.organizations import add_service_errors

MEMBERS_PER_PAGE = 200


class PeerGroupForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code (the ratings file's “nhom” column)"), max_length=40
    )
    name = forms.CharField(label=gettext_lazy("Name of the group"), max_length=160)
    rule_category = forms.ChoiceField(
        label=gettext_lazy("Members of form category"),
        choices=[("", gettext_lazy("— Any —")), *FormCategory.choices],
        required=False,
    )
    rule_posts = forms.CharField(
        label=gettext_lazy("Holders of the posts"),
        max_length=255,
        required=False,
        help_text=gettext_lazy(
            "Post titles separated by “;”, e.g. “Bí thư; Phó Bí thư”. With neither a category "
            "nor posts, the group takes only the members put in by hand."
        ),
    )
    order = forms.IntegerField(
        label=gettext_lazy("Order (the first matching group takes a member)"),
        min_value=0,
        max_value=999,
        initial=0,
    )


class CeilingForm(forms.Form):
    percent = forms.IntegerField(
        label=gettext_lazy("Ceiling (% of those rated HTTNV)"), min_value=1, max_value=25
    )
    group = forms.ChoiceField(label=gettext_lazy("Applies to"), required=False)
    reason = forms.CharField(
        label=gettext_lazy("Reason (the organization's outstanding results)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [
            ("", _("Every count of the organization")),
            *((str(g.pk), f"{g.name} ({g.code})") for g in groups),
        ]


class DecidingLevelMixin:
    """Loads the level (scoped: another unit is a 404) and the year (a rating year of the
    2025– regime), and whether the user holds a deciding role on it."""

    def load_level(self) -> None:
        self.level = cells_selectors.organization_get(
            user=self.request.user, pk=self.kwargs["org_pk"]
        )
        self.year = self.kwargs["year"]
        if self.year not in rating_year_range():
            raise Http404
        self.scheme = schemes.scheme_for_year(self.year)
        self.peer_regime = self.scheme.quota_scope == schemes.QUOTA_SCOPE_PEER_GROUP
        self.can_manage = can_decide_rating(self.request.user, self.level)

    def require_manage(self) -> None:
        if not self.can_manage:
            raise PermissionDenied

    def level_context(self, **kwargs) -> dict:
        ancestors = cells_selectors.organization_ancestors_visible(
            user=self.request.user, organizations=[self.level]
        )[self.level.pk]
        return {
            "level": self.level,
            "year": self.year,
            "scheme": self.scheme,
            "peer_regime": self.peer_regime,
            "can_manage": self.can_manage,
            "ancestors": ancestors,
            **kwargs,
        }

    def list_url(self) -> str:
        return reverse(
            "assessments:peergroup_list", kwargs={"org_pk": self.level.pk, "year": self.year}
        )


class PeerGroupListView(DecidingLevelMixin, View):
    """The level's peer groups of the year with their counts and quota, and a new group."""

    template_name = "assessments/regime/peergroup_list.html"

    def get(self, request, *args, **kwargs):
        self.load_level()
        return self.page(PeerGroupForm())

    def post(self, request, *args, **kwargs):
        self.load_level()
        self.require_manage()
        form = PeerGroupForm(request.POST)
        if form.is_valid():
            try:
                group = regime_settings.peergroup_save(
                    actor=request.user, owner=self.level, year=self.year, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Group “%(name)s” created.") % {"name": group.name})
                return redirect(self.list_url())
        return self.page(form, status=400)

    def page(self, form, status=200):
        lines, total = regime_overview.peer_group_lines(
            owner=self.level, year=self.year, scheme=self.scheme
        )
        context = self.level_context(form=form, lines=lines, members_total=total)
        return render(self.request, self.template_name, context, status=status)


class PeerGroupDetailView(DecidingLevelMixin, View):
    """One group: its rule (editable), who falls in it and why, members put in by hand."""

    template_name = "assessments/regime/peergroup_detail.html"

    def load(self) -> None:
        self.load_level()
        self.group = regime_overview.peer_group_get(
            owner=self.level, year=self.year, pk=self.kwargs["pk"]
        )

    def url(self) -> str:
        return reverse(
            "assessments:peergroup_detail",
            kwargs={"org_pk": self.level.pk, "year": self.year, "pk": self.group.pk},
        )

    def get(self, request, *args, **kwargs):
        self.load()
        initial = {f: getattr(self.group, f) for f in PeerGroupForm.base_fields}
        return self.page(PeerGroupForm(initial=initial))

    def post(self, request, *args, **kwargs):
        self.load()
        self.require_manage()
        action = request.POST.get("action")
        if action == "add":
            return self.add_member()
        if action == "remove":
            return self.remove_member()
        form = PeerGroupForm(request.POST)
        if form.is_valid():
            try:
                regime_settings.peergroup_save(
                    actor=request.user,
                    owner=self.level,
                    year=self.year,
                    group=self.group,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The group was saved."))
                return redirect(self.url())
        return self.page(form, status=400)

    def add_member(self):
        record = request_text(self.request, "record_number")
        member = regime_overview.member_under_get(
            owner=self.level, year=self.year, record_number=record
        )
        if member is None:
            # Never says whether the record number exists elsewhere.
            messages.error(
                self.request,
                _("No member with record number “%(record)s” under %(level)s.")
                % {"record": record, "level": self.level.name},
            )
            return redirect(self.url())
        try:
            regime_settings.peergroup_member_add(
                actor=self.request.user, group=self.group, member=member
            )
        except ValidationError as exc:
            messages.error(self.request, " ".join(exc.messages))
        else:
            messages.success(
                self.request,
                _("%(member)s put in the group by hand.") % {"member": member.full_name},
            )
        return redirect(self.url())

    def remove_member(self):
        try:
            member_pk = int(self.request.POST.get("member", ""))
        except ValueError as exc:
            raise Http404 from exc
        member = regime_overview.member_under_pk(owner=self.level, year=self.year, pk=member_pk)
        regime_settings.peergroup_member_remove(
            actor=self.request.user, group=self.group, member=member
        )
        messages.success(
            self.request,
            _("%(member)s is no longer in the group by hand.") % {"member": member.full_name},
        )
        return redirect(self.url())

    def page(self, form, status=200):
        lines, _total = regime_overview.peer_group_lines(
            owner=self.level, year=self.year, scheme=self.scheme
        )
        line = next(ln for ln in lines if ln.group is not None and ln.group.pk == self.group.pk)
        page = Paginator(line.members, MEMBERS_PER_PAGE).get_page(self.request.GET.get("page"))
        context = self.level_context(
            group=self.group, form=form, line=line, page=page, list_url=self.list_url()
        )
        return render(self.request, self.template_name, context, status=status)


def request_text(request, name: str, limit: int = 40) -> str:
    return (request.POST.get(name) or "").strip()[:limit]


class PeerGroupDeleteView(PeerGroupDetailView):
    """Remove a group, after saying what it takes with it."""

    def get(self, request, *args, **kwargs):
        self.load()
        self.require_manage()
        return self.confirm()

    def confirm(self, error: str = ""):
        lines, _total = regime_overview.peer_group_lines(
            owner=self.level, year=self.year, scheme=self.scheme
        )
        line = next(ln for ln in lines if ln.group is not None and ln.group.pk == self.group.pk)
        question = _(
            "Remove the group “%(name)s” of %(year)s? Its %(count)s members (%(hand)s put in by "
            "hand) will be counted by the other groups' rules or per grassroots organization."
        ) % {
            "name": self.group.name,
            "year": self.year,
            "count": len(line.members),
            "hand": line.by_hand,
        }
        context = self.level_context(
            question=question,
            action_url=self.request.path,
            confirm_label=_("Remove the group"),
            cancel_url=self.url(),
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
            regime_settings.peergroup_delete(actor=request.user, group=self.group)
        except ValidationError as exc:
            return self.confirm(error=" ".join(exc.messages))
        messages.success(request, _("The group was removed."))
        return redirect(self.list_url())


class QuotaCeilingView(DecidingLevelMixin, View):
    """An organization's ceiling decisions of the year, and a new one (≤ 25%, with its reason),
    confirmed before it is recorded. The level here is the organization the decision is on;
    the level above it decides (regime_services.quotaceiling_decide)."""

    template_name = "assessments/regime/quotaceiling.html"

    def load(self):
        self.load_level()
        parent = Organization.objects.get_parent(self.level)
        self.can_manage = parent is not None and can_decide_rating(self.request.user, parent)
        self.groups = list(PeerGroup.objects.filter(owner=self.level, year=self.year))

    def get(self, request, *args, **kwargs):
        self.load()
        return self.page(CeilingForm(groups=self.groups))

    def post(self, request, *args, **kwargs):
        self.load()
        self.require_manage()
        form = CeilingForm(request.POST, groups=self.groups)
        if not form.is_valid():
            return self.page(form, status=400)
        data = form.cleaned_data
        group = next((g for g in self.groups if str(g.pk) == data["group"]), None)
        if request.POST.get("confirmed") != "1":
            return self.confirm(data, group)
        try:
            regime_services.quotaceiling_decide(
                actor=request.user,
                organization=self.level,
                year=self.year,
                percent=data["percent"],
                reason=data["reason"],
                group=group,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.page(form, status=400)
        messages.success(request, _("The ceiling decision was recorded."))
        return redirect(request.path)

    def confirm(self, data, group):
        scope = group.name if group else _("every count of the organization")
        question = _(
            "Allow up to %(percent)s%% HTXSNV (of those rated HTTNV) for %(organization)s in "
            "%(year)s (%(scope)s)? The decision is recorded with your name and the time and "
            "is shown on the review screen and in the reports."
        ) % {
            "percent": data["percent"],
            "organization": self.level.name,
            "year": self.year,
            "scope": scope,
        }
        hidden = [
            ("percent", data["percent"]),
            ("group", data["group"]),
            ("reason", data["reason"]),
        ]
        context = self.level_context(
            question=question,
            text=data["reason"],
            hidden=hidden,
            action_url=self.request.path,
            confirm_label=_("Record the decision"),
            cancel_url=self.request.path,
        )
        return render(self.request, "assessments/regime/confirm.html", context)

    def page(self, form, status=200):
        decisions = [
            d
            for d in peer_groups.ceiling_decisions_for(organization=self.level, year=self.year)
            if d.organization_id == self.level.pk
        ]
        context = self.level_context(
            form=form,
            decisions=decisions,
            base_percent=(
                int(self.scheme.quota_ratio * 100) if self.scheme.quota_ratio is not None else None
            ),
        )
        return render(self.request, self.template_name, context, status=status)
