"""Rating inputs screens: members' tasks of the year (with their civil-servant rating) and a
cell's meeting log.

Thin views over assessments.inputs (services write and audit, selectors list). The unit comes
from a scoped selector (out of scope = 404); a user who may see it but not enter ratings gets
the screens read-only, and any write by them is a 403. The tasks screen edits in place with
htmx (each member's block is re-rendered); every form also works without JavaScript.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_htmx.http import HttpResponseClientRedirect

from assessments import inputs, permissions, rules, schemes, selectors, services
from assessments.choices import MeetingKind, TaskResult
from assessments.views.unit import UnitYearMixin
from cells import selectors as cells_selectors
from cells.choices import CELL_TYPES
from cells.views.organizations import add_service_errors

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


# === Forms (shape only; the rules are in assessments.inputs) ===================================
class AssignedTaskForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Task"), max_length=255, required=False)
    result = forms.ChoiceField(
        label=gettext_lazy("Result"),
        choices=[("", gettext_lazy("— Not assessed yet —")), *TaskResult.choices],
        required=False,
    )
    shortcoming_remedied = forms.NullBooleanField(
        label=gettext_lazy("Earlier shortcomings remedied"), required=False
    )
    not_done_remedied = forms.BooleanField(
        label=gettext_lazy("Not done, but found and remedied by the member"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, css in (("title", "form-control"), ("result", "form-select")):
            self.fields[name].widget.attrs["class"] = css
        remedied = self.fields["shortcoming_remedied"].widget
        # NullBooleanSelect maps True/False/None to these values; only the words change.
        remedied.choices = [
            ("unknown", _("— Not applicable —")),
            ("true", _("Remedied")),
            ("false", _("Not remedied")),
        ]
        remedied.attrs["class"] = "form-select"


class CivilServantForm(forms.Form):
    level = forms.ChoiceField(label=gettext_lazy("Civil-servant rating"), required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [
            ("", _("— None recorded —")),
            *((lv.slug, lv.label) for lv in scheme.member_levels),
        ]
        self.fields["level"].widget.attrs["class"] = "form-select"


class CellMeetingForm(forms.Form):
    held_on = forms.DateField(
        label=gettext_lazy("Date (dd/mm/yyyy)"),
        input_formats=DATE_FORMATS,
        required=False,
        widget=forms.DateInput(
            format="%d/%m/%Y", attrs={"class": "form-control", "placeholder": "dd/mm/yyyy"}
        ),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=MeetingKind.choices)
    topic = forms.CharField(label=gettext_lazy("Topic"), max_length=255, required=False)
    # Bounded (#19: 32768 was a 500); the service checks the same limit.
    expected = forms.IntegerField(
        label=gettext_lazy("Members expected"),
        required=False,
        min_value=0,
        max_value=inputs.MEETING_MAX_MEMBERS,
    )
    attended = forms.IntegerField(
        label=gettext_lazy("Attended"),
        required=False,
        min_value=0,
        max_value=inputs.MEETING_MAX_MEMBERS,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, bound in self.fields.items():
            bound.widget.attrs.setdefault(
                "class", "form-select" if name == "kind" else "form-control"
            )
        for name in ("expected", "attended"):
            self.fields[name].widget.attrs.update({"min": "0", "inputmode": "numeric"})


# === Shared loading ============================================================================
class InputsMixin(UnitYearMixin):
    """The unit and year (UnitYearMixin) and whether its inputs may still change."""

    def load_unit(self, pk) -> None:
        self.load_unit_year(pk)
        # A cell's secretary keeps the cell's own inputs; the committee above may too.
        self.can_enter = self.can_enter or permissions.can_enter_cell_proposal(
            self.request.user, self.organization
        )
        self.editable, self.round = inputs.inputs_editable(
            user=self.request.user,
            grassroots=self.grassroots,
            year=self.year,
            organization=self.organization,
        )

    def require_entry(self) -> None:
        if not self.can_enter:
            raise PermissionDenied

    def base_context(self, **kwargs) -> dict:
        ancestors = self.unit_ancestors()
        return {
            "organization": self.organization,
            "grassroots": self.grassroots,
            "year": self.year,
            "scheme": self.scheme,
            "ancestors": ancestors,
            "can_enter": self.can_enter,
            "editable": self.editable,
            "round": self.round,
            "m4": self.scheme.applies("M4"),
            "m5": self.scheme.applies("M5"),
            "exceeding_share": rules.percent_text(rules.M5_EXCEEDING_SHARE),
            "complete_label": self.scheme.member_level_at(schemes.Rank.COMPLETE).label,
            "good_label": self.scheme.member_level_at(schemes.Rank.GOOD).label,
            "grid_url": reverse(
                "assessments:rating_grid",
                kwargs={"org_pk": self.organization.pk, "year": self.year},
            ),
            **kwargs,
        }


# === Tasks =====================================================================================
@dataclass
class TaskBlock:
    """One member's block on the tasks screen, with its forms."""

    row: inputs.MemberTasks
    add_form: AssignedTaskForm
    civil_form: CivilServantForm
    editing: int | None = None
    edit_form: AssignedTaskForm | None = None
    notice: str = ""
    error: str = ""

    @property
    def member(self):
        return self.row.member

    @property
    def civil_level_label(self) -> str:
        rating = self.row.rating
        if rating is None or not rating.civil_servant_level:
            return ""
        return dict(self.civil_form.fields["level"].choices).get(rating.civil_servant_level, "")


class MemberTasksMixin(InputsMixin):
    def load(self) -> None:
        self.load_unit(self.kwargs["org_pk"])

    def page_url(self) -> str:
        return reverse(
            "assessments:member_tasks", kwargs={"org_pk": self.organization.pk, "year": self.year}
        )

    def block(self, row: inputs.MemberTasks, **kwargs) -> TaskBlock:
        mid = row.member.pk
        rating = row.rating
        civil_form = kwargs.pop("civil_form", None) or CivilServantForm(
            prefix=f"cs{mid}",
            scheme=self.scheme,
            initial={
                "level": rating.civil_servant_level if rating else "",
                "version": rating.version if rating else None,
            },
        )
        add_form = kwargs.pop("add_form", None) or AssignedTaskForm(prefix=f"m{mid}")
        return TaskBlock(row=row, add_form=add_form, civil_form=civil_form, **kwargs)

    def member_row(self, member_pk) -> inputs.MemberTasks:
        for row in inputs.member_tasks_for(organization=self.organization, year=self.year):
            if row.member.pk == member_pk:
                return row
        raise Http404

    def context(self, blocks: list[TaskBlock]) -> dict:
        return self.base_context(
            blocks=blocks,
            page_url=self.page_url(),
            cells=list(
                cells_selectors.cells_under(
                    organization=self.organization, on=selectors.period_end(self.year)
                )
            ),
        )

    def respond(self, member_pk: int, **kwargs):
        """htmx: the member's block again; otherwise the whole page with that block."""
        if self.request.htmx:
            block = self.block(self.member_row(member_pk), **kwargs)
            context = self.base_context(block=block, page_url=self.page_url())
            return render(self.request, "assessments/includes/_inputs_member_tasks.html", context)
        rows = inputs.member_tasks_for(organization=self.organization, year=self.year)
        blocks = [self.block(row, **(kwargs if row.member.pk == member_pk else {})) for row in rows]
        return render(self.request, "assessments/inputs_member_tasks.html", self.context(blocks))

    def done(self, member_pk: int, notice: str):
        if self.request.htmx:
            return self.respond(member_pk, notice=notice)
        messages.success(self.request, notice)
        return redirect(f"{self.page_url()}#member-tasks-{member_pk}")

    def refused(self, member_pk: int, exc: services.RatingError):
        if self.request.htmx:
            return self.respond(member_pk, error=exc.message)
        messages.error(self.request, exc.message)
        return redirect(f"{self.page_url()}#member-tasks-{member_pk}")


class MemberTasksView(MemberTasksMixin, View):
    """Every member with their tasks of the year, the M5 summary and the civil-servant rating.

    `?dang_vien=<id>` with htmx returns that member's block only (cancelling an edit).
    """

    def get(self, request, *args, **kwargs):
        self.load()
        wanted = request.GET.get("dang_vien", "")
        if request.htmx and wanted.isdigit():
            return self.respond(int(wanted))
        rows = inputs.member_tasks_for(organization=self.organization, year=self.year)
        blocks = [self.block(row) for row in rows]
        return render(request, "assessments/inputs_member_tasks.html", self.context(blocks))


class AssignedTaskCreateView(MemberTasksMixin, View):
    """Add a task to a member of the unit."""

    def post(self, request, *args, **kwargs):
        self.load()
        self.require_entry()
        member = inputs.member_in_unit_get(
            organization=self.organization, year=self.year, pk=self.kwargs["member_pk"]
        )
        form = AssignedTaskForm(request.POST, prefix=f"m{member.pk}")
        if form.is_valid():
            try:
                inputs.assignedtask_save(
                    actor=request.user,
                    year=self.year,
                    member=member,
                    title=form.cleaned_data["title"],
                    result=form.cleaned_data["result"],
                    shortcoming_remedied=form.cleaned_data["shortcoming_remedied"],
                    not_done_remedied=form.cleaned_data["not_done_remedied"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except services.RatingError as exc:
                return self.refused(member.pk, exc)
            else:
                return self.done(member.pk, _("Task added."))
        return self.respond(member.pk, add_form=form)


class AssignedTaskEditView(MemberTasksMixin, View):
    """Change a task in place: GET shows its row as a form, POST saves it."""

    def load_task(self):
        self.load()
        self.task = inputs.assignedtask_get(
            organization=self.organization, year=self.year, pk=self.kwargs["pk"]
        )

    def get(self, request, *args, **kwargs):
        self.load_task()
        self.require_entry()
        form = AssignedTaskForm(
            prefix=f"t{self.task.pk}",
            initial={
                "title": self.task.title,
                "result": self.task.result,
                "shortcoming_remedied": self.task.shortcoming_remedied,
                "not_done_remedied": self.task.not_done_remedied,
            },
        )
        return self.respond(self.task.member_id, editing=self.task.pk, edit_form=form)

    def post(self, request, *args, **kwargs):
        self.load_task()
        self.require_entry()
        form = AssignedTaskForm(request.POST, prefix=f"t{self.task.pk}")
        if form.is_valid():
            try:
                inputs.assignedtask_save(
                    actor=request.user,
                    year=self.year,
                    task=self.task,
                    title=form.cleaned_data["title"],
                    result=form.cleaned_data["result"],
                    shortcoming_remedied=form.cleaned_data["shortcoming_remedied"],
                    not_done_remedied=form.cleaned_data["not_done_remedied"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except services.RatingError as exc:
                return self.refused(self.task.member_id, exc)
            else:
                return self.done(self.task.member_id, _("Task saved."))
        return self.respond(self.task.member_id, editing=self.task.pk, edit_form=form)


class AssignedTaskDeleteView(MemberTasksMixin, View):
    """Remove a task recorded by mistake."""

    def post(self, request, *args, **kwargs):
        self.load()
        self.require_entry()
        task = inputs.assignedtask_get(
            organization=self.organization, year=self.year, pk=self.kwargs["pk"]
        )
        try:
            inputs.assignedtask_delete(actor=request.user, task=task)
        except services.RatingError as exc:
            return self.refused(task.member_id, exc)
        return self.done(task.member_id, _("Task removed."))


class CivilServantRatingView(MemberTasksMixin, View):
    """Record the civil-servant rating of a member (stored on their rating of the year)."""

    def post(self, request, *args, **kwargs):
        self.load()
        self.require_entry()
        member = inputs.member_in_unit_get(
            organization=self.organization, year=self.year, pk=self.kwargs["member_pk"]
        )
        form = CivilServantForm(request.POST, prefix=f"cs{member.pk}", scheme=self.scheme)
        if not form.is_valid():
            return self.respond(member.pk, civil_form=form)
        if self.round is None:
            return self.refused(member.pk, inputs.rating_row_missing(member))
        try:
            inputs.civil_servant_rating_set(
                actor=request.user,
                round=self.round,
                member=member,
                level=form.cleaned_data["level"],
                version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.respond(member.pk, civil_form=form)
        except services.RatingError as exc:
            return self.refused(member.pk, exc)
        return self.done(member.pk, _("Civil-servant rating saved."))


# === Cell meetings =============================================================================
class CellMeetingMixin(InputsMixin):
    def load(self) -> None:
        self.load_unit(self.kwargs["cell_pk"])
        if self.organization.type not in CELL_TYPES:
            raise Http404
        self.cell = self.organization
        # The meeting log is a record of what happened, kept whatever the round's state.
        self.editable = self.can_enter

    def list_url(self) -> str:
        return reverse(
            "assessments:cellmeeting_list", kwargs={"cell_pk": self.cell.pk, "year": self.year}
        )

    def form_page(self, form: CellMeetingForm, *, meeting=None):
        context = self.base_context(
            cell=self.cell, form=form, meeting=meeting, list_url=self.list_url()
        )
        return render(self.request, "assessments/inputs_cellmeeting_form.html", context)

    def save(self, form: CellMeetingForm, *, meeting=None):
        if form.is_valid():
            data = form.cleaned_data
            try:
                inputs.cellmeeting_save(
                    actor=self.request.user,
                    cell=self.cell,
                    year=self.year,
                    held_on=data["held_on"],
                    kind=data["kind"],
                    topic=data["topic"],
                    attended=data["attended"],
                    expected=data["expected"],
                    meeting=meeting,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except services.RatingError as exc:
                messages.error(self.request, exc.message)
                return redirect(self.list_url())
            else:
                messages.success(self.request, _("Meeting saved."))
                return redirect(self.list_url())
        return self.form_page(form, meeting=meeting)


class CellMeetingListView(CellMeetingMixin, View):
    """The meeting log of a cell for a year: the 12 months, thematic meetings, attendance."""

    def get(self, request, *args, **kwargs):
        self.load()
        log = inputs.cell_meetings_for(cell=self.cell, year=self.year)
        context = self.base_context(
            cell=self.cell,
            log=log,
            missing=log.missing_months(),
            list_url=self.list_url(),
        )
        return render(request, "assessments/inputs_cellmeeting_list.html", context)


class CellMeetingCreateView(CellMeetingMixin, View):
    """Record a meeting; `?thang=5` pre-fills the regular meeting of May."""

    def get(self, request, *args, **kwargs):
        self.load()
        self.require_entry()
        month = request.GET.get("thang", "")
        form = CellMeetingForm(
            initial={
                "held_on": inputs.default_meeting_date(
                    year=self.year, month=int(month) if month.isdigit() else None
                ),
                "kind": MeetingKind.REGULAR,
                "expected": inputs.expected_attendance(cell=self.cell, year=self.year),
            }
        )
        return self.form_page(form)

    def post(self, request, *args, **kwargs):
        self.load()
        self.require_entry()
        return self.save(CellMeetingForm(request.POST))


class CellMeetingEditView(CellMeetingMixin, View):
    """Correct a recorded meeting."""

    def load_meeting(self):
        self.load()
        self.meeting = inputs.cellmeeting_get(cell=self.cell, year=self.year, pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self.load_meeting()
        self.require_entry()
        m = self.meeting
        form = CellMeetingForm(
            initial={
                "held_on": m.held_on,
                "kind": m.kind,
                "topic": m.topic,
                "expected": m.expected,
                "attended": m.attended,
            }
        )
        return self.form_page(form, meeting=m)

    def post(self, request, *args, **kwargs):
        self.load_meeting()
        self.require_entry()
        return self.save(CellMeetingForm(request.POST), meeting=self.meeting)


class CellMeetingDeleteView(CellMeetingMixin, View):
    """Remove a meeting recorded by mistake."""

    def post(self, request, *args, **kwargs):
        self.load()
        self.require_entry()
        meeting = inputs.cellmeeting_get(cell=self.cell, year=self.year, pk=self.kwargs["pk"])
        try:
            inputs.cellmeeting_delete(actor=request.user, meeting=meeting)
        except services.RatingError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Meeting removed."))
        if request.htmx:
            # The delete button asks for confirmation through htmx: reload the whole log.
            return HttpResponseClientRedirect(self.list_url())
        return redirect(self.list_url())
