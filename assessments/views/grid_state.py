"""What the entry grid's templates render, built once per request from assessments.grid.

The rows are written by hand in the templates from plain values (no Django widget per
box: a 2,000-member grid has 18,000 boxes). The select options are rendered once per
distinct selected value and reused. The quota is stated once per group, above the grid,
with what to change — never repeated on every HTXSNV row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from assessments import deciders, rules, schemes
from assessments.choices import EDITABLE_STATES, FormCategory, RoundState, ScoreStage
from assessments.forms import (
    NOT_RATED,
    RatingGridForm,
    field_name,
    initial_row,
    reason_choices,
    sheet_stage,
)
from assessments.grid import OTHER_UNITS, CellGrid, GridRow
from assessments.views import grid_html
from cells.choices import OrganizationType
from cells.models import Organization

# "Toàn xã 78/77 HTXSNV": the whole grassroots organization, named as people say it.
_WHOLE_UNIT = {
    OrganizationType.COMMUNE: "Whole commune",
    OrganizationType.WARD: "Whole ward",
    OrganizationType.TOWNSHIP: "Whole township",
    OrganizationType.SPECIAL_ZONE: "Whole special zone",
    OrganizationType.GRASSROOTS_CELL: "Whole cell",
}


def whole_unit_label(organization: Organization) -> str:
    # The msgids are listed literally for the translators (gettext cannot see a variable).
    labels = {
        "Whole commune": _("Whole commune"),
        "Whole ward": _("Whole ward"),
        "Whole township": _("Whole township"),
        "Whole special zone": _("Whole special zone"),
        "Whole cell": _("Whole cell"),
    }
    return labels.get(_WHOLE_UNIT.get(organization.type, ""), _("Whole Party organization"))


@dataclass
class QuotaLine:
    """One quota group above the grid: "Toàn xã 78/77 HTXSNV — cần hạ 1; chi bộ này 4"."""

    text: str
    exceeded: bool
    blocking: bool
    cells: list[tuple[str, int]] = field(default_factory=list)  # (cell name, HTXSNV) breakdown


def quota_lines(
    grid: CellGrid, *, grassroots: Organization, names: dict[int, str]
) -> list[QuotaLine]:
    scheme = grid.scheme
    short = scheme.member_level_at(schemes.Rank.EXCELLENT).short
    exception = bool(grid.round.quota_exception.strip())
    lines = []
    for group in grid.quota:
        scope = (
            whole_unit_label(grassroots)
            if group.key is None
            else _("Group “%(group)s”") % {"group": grid.group_names.get(group.key, group.key)}
        )
        text = _("%(scope)s %(count)s/%(max)s %(level)s") % {
            "scope": scope,
            "count": group.excellent,
            "max": group.max_excellent,
            "level": short,
        }
        if group.ceiling is not None:
            # A recorded decision raised this group's ceiling (Quy định 366, Điều 11: ≤ 25%).
            text += (
                " ("
                + _("ceiling %(percent)s by decision")
                % {"percent": rules.percent_text(group.ratio)}
                + ")"
            )
        if group.exceeded:
            text += " — " + _("lower %(n)s") % {"n": group.excess}
            if grid.cell is not None:
                text += "; " + _("this cell %(n)s") % {
                    "n": group.excellent_by_cell.get(grid.cell.pk, 0)
                }
            if exception:
                text += " (" + _("exception recorded by the deciding level") + ")"
        lines.append(
            QuotaLine(
                text=text,
                exceeded=group.exceeded,
                blocking=group.exceeded and not exception,
                cells=[
                    (_other_units() if c == OTHER_UNITS else names.get(c, "—"), n)
                    for c, n in group.cells_over()
                ],
            )
        )
    return lines


def _other_units() -> str:
    return _("other units of the group")


@dataclass
class LevelCounter:
    label: str
    short: str
    count: int


@dataclass
class GridLine:
    """One member row as the template writes it."""

    number: int
    row: GridRow
    cell_name: str
    values: dict
    errors: list[str]
    violations: list[rules.Violation]
    level_options: SafeString
    reason_options: SafeString
    cell_options: SafeString
    cap_short: str = ""  # "HTNV" when the rules cap the member below the top level
    cap_why: str = ""
    dirty: bool = False  # the values shown differ from the saved ones (not saved yet)
    other: dict | None = None  # after a conflict: what the other person saved
    appraise: bool = False
    propose: bool = False
    locked: bool = False  # its cell was decided by its đảng ủy (HD 43 §3)
    level_label: str = ""  # read-only display of the appraisal
    cell_label: str = ""
    decided_label: str = ""
    # 2025–: the peer group and form category shown (and their <option> lists when the
    # committee may change them), the ledger's suggestion for the 70 part.
    group_text: str = ""
    group_options: SafeString | None = None
    category_text: str = ""
    category_options: SafeString | None = None
    suggested_tasks: str = ""
    html: SafeString = SafeString("")  # the row (grid_html.row_html)
    msgs_html: SafeString = SafeString("")  # its message area

    @property
    def member(self):
        return self.row.member

    @property
    def has_error(self) -> bool:
        return bool(self.errors) or any(v.is_blocking for v in self.violations)

    @property
    def level_above_cap(self) -> bool:
        return any(v.code not in ("M5", "M3") for v in self.violations if v.is_blocking)


@dataclass
class GridState:
    """Everything the grid partials render, for the full page and the live check alike."""

    grid: CellGrid
    lines: list[GridLine]
    counters: list[LevelCounter]
    quota: list[QuotaLine]
    summary: list[tuple[str, str, bool]]  # (member name, message, blocking)
    editable: bool
    can_appraise: bool
    can_propose: bool
    can_submit: bool
    submit_why: str
    has_changes: bool
    with_points: bool
    round_version: int
    reason_template: SafeString = SafeString("")
    regime: bool = False  # 2025–: the category / peer group column and the 30 + 70 parts
    with_groups: bool = False  # the deciding level formed peer groups for the year
    # Without JavaScript the browser posts every box of the page: past Django's field limit
    # the boxes come disabled (grid.js enables them) and the page links each cell's own.
    nojs_locked: bool = False
    nojs_cells: list[tuple[str, str]] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        return any(b for _n, _m, b in self.summary) or any(q.blocking for q in self.quota)


class _Options:
    """<option> lists rendered once per selected value."""

    def __init__(self, choices):
        self.choices = [(str(v), str(label)) for v, label in choices]
        self.cache: dict[str, SafeString] = {}

    def __call__(self, selected) -> SafeString:
        key = "" if selected is None else str(selected)
        if key not in self.cache:
            self.cache[key] = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((v, " selected" if v == key else "", label) for v, label in self.choices),
            )
        return self.cache[key]


def _points_text(value) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, Decimal):
        # "92,5" and "90", as typed: the browser compares what it kept with this text.
        return format(value.normalize(), "f").replace(".", ",")
    return str(value)


def _display(values: dict) -> dict:
    shown = dict(values)
    for name in ("points", "general", "tasks"):
        shown[name] = _points_text(values.get(name))
    for name in ("votes_for", "votes_total", "version"):
        shown[name] = "" if values.get(name) is None else str(values[name])
    return shown


def _short(scheme, slug) -> str:
    return scheme.level(slug).short if slug and scheme.is_member_level(slug) else ""


def _level_label(scheme, slug, reason) -> str:
    if slug == NOT_RATED or (not slug and reason):
        return _("Not rated")
    return _short(scheme, slug)


def _bound_values(form: RatingGridForm, mid: int, initial: dict) -> dict:
    """What the user sent for a row (raw text), over its initial values."""
    values = dict(initial)
    for name in initial:
        key = field_name(name, mid)
        if key in form.fields and key in form.data:
            values[name] = form.data.get(key, "")
    return values


def build_state(
    *,
    grid: CellGrid,
    grassroots: Organization,
    form: RatingGridForm | None,
    appraise: bool,
    propose: bool,
    has_changes: bool = False,
    extra_violations=(),
    others: dict[int, dict] | None = None,
    oob: bool = False,
) -> GridState:
    """The state of the grid; `oob` (the live check) renders only the rows' messages."""
    scheme = grid.scheme
    levels = _Options(
        [
            ("", _("— level —")),
            *((lv.slug, f"{lv.short} – {lv.label}") for lv in scheme.member_levels),
            (NOT_RATED, _("Not rated")),
        ]
    )
    cell_levels = _Options([("", "—"), *((lv.slug, lv.short) for lv in scheme.member_levels)])
    reasons = _Options(reason_choices())
    names = {c.pk: c.name for c in grid.cells}
    editable = grid.editable and (appraise or propose)
    regime = grid.regime and scheme.member_assessment == schemes.ASSESSMENT_POINTS
    # Whose 30 + 70 parts the row holds: the stage this user owns; read-only, the appraisal.
    stage = (
        (sheet_stage(appraise=appraise, propose=propose) or ScoreStage.COMMITTEE)
        if regime
        else None
    )
    group_names = grid.group_names
    # The first option says where "automatic" puts the member (a group's name, or the whole
    # organization); the category's first option the suggestion: one list per such label.
    whole = whole_unit_label(grassroots)
    group_lists: dict[str, _Options] = {}
    category_lists: dict[str, _Options] = {}

    def groups(selected, default: str | None):
        label = _("Automatic: %(group)s") % {"group": group_names.get(default or "", whole)}
        if label not in group_lists:
            group_lists[label] = _Options([("", label), *group_names.items()])
        return group_lists[label](selected)

    def categories(selected, suggestion: str):
        if suggestion not in category_lists:
            first = _("%(code)s (suggested)") % {"code": suggestion} if suggestion else "—"
            category_lists[suggestion] = _Options(
                [("", first), *((v, c.label.split(" · ")[0]) for v, c in _CATEGORIES)]
            )
        return category_lists[suggestion](selected)

    # HD 43 §3: the chi bộ trực thuộc its đảng ủy has decided are locked until it reopens
    # them (the entry services refuse their rows): shown read-only, not as boxes that a
    # save would refuse with everything typed beside them.
    decided_cells = deciders.step_cell_ids(grid.round, decided=True) if editable else set()
    by_rule, by_hand = _("by the rules"), _("by hand")
    suggested_word = _("suggested")
    extra_by_member: dict[object, list] = {}
    for v in extra_violations:
        extra_by_member.setdefault(v.subject_id, []).append(v)
    lines = []
    for number, row in enumerate(grid.rows, start=1):
        mid = row.member.pk
        locked = getattr(row.member, "cell_id", None) in decided_cells
        # A locked row shows what is saved, never a pre-filled suggestion nobody can save.
        initial = initial_row(row, prefill=not locked, stage=stage)
        values = initial
        errors: list[str] = []
        if form is not None and form.is_bound and mid in form.initial_rows:
            values = _bound_values(form, mid, initial)
            errors = form.row_errors(mid)
        violations = list(row.violations)
        violations += [v for v in extra_by_member.get(mid, []) if v not in violations]
        cap_short = cap_why = ""
        # A hint only where the level chosen is above the member's cap (what to change).
        chosen = values.get("level")
        above = (
            row.cap.rank is not None
            and chosen
            and scheme.is_member_level(chosen)
            and scheme.level(chosen).rank > row.cap.rank
        )
        if above:
            cap_short = scheme.member_level_at(row.cap.rank).short
            cap_why = "; ".join(r.message for r in row.cap.reasons)
        saved = initial_row(row, prefill=False, stage=stage)
        regime_parts = {}
        if regime:
            regime_parts = _regime_parts(
                row,
                values,
                group_names,
                groups,
                categories,
                appraise and editable and not locked,
                by_rule=by_rule,
                by_hand=by_hand,
                suggested_word=suggested_word,
            )
        lines.append(
            GridLine(
                number=number,
                row=row,
                cell_name=names.get(getattr(row.member, "cell_id", None), ""),
                values=_display(values),
                errors=errors,
                violations=violations,
                level_options=levels(values.get("level")),
                reason_options=reasons(values.get("reason")),
                cell_options=cell_levels(values.get("cell_level")),
                cap_short=cap_short,
                cap_why=cap_why,
                dirty=not locked and _display(values) != _display(saved),
                other=(others or {}).get(mid),
                appraise=appraise and not locked,
                propose=propose and not locked,
                locked=locked,
                level_label=_level_label(scheme, values.get("level"), values.get("reason")),
                cell_label=_short(scheme, values.get("cell_level")),
                decided_label=_short(scheme, row.rating.decided_level if row.rating else ""),
                **regime_parts,
            )
        )
    texts = grid_html.RowTexts.build(_("Level (%(unit)s)") % {"unit": grassroots.name})
    with_cell = not grassroots.is_cell and grid.cell is None
    with_points = scheme.member_assessment == schemes.ASSESSMENT_POINTS
    for line in lines:
        line.msgs_html = grid_html.messages_html(line, texts, oob=oob)
        if oob and editable and line.appraise:  # a locked row has no cap hint to refresh
            line.msgs_html += mark_safe(grid_html.cap_html(line, oob=True))  # noqa: S308
        if not oob:
            line.html = grid_html.row_html(
                line,
                texts,
                editable=editable and not line.locked,
                with_cell=with_cell,
                with_points=with_points,
                regime=regime,
                stage=stage,
            )
    nojs_locked = False
    if not oob and editable:
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        boxes = sum(line.html.count(' name="') for line in lines)
        nojs_locked = limit is not None and boxes + _PAGE_FIELDS > limit
    # Rows shown with values not saved yet (a member the rules exclude comes pre-filled as
    # "not rated"): the list must be saved before it can be sent.
    has_changes = has_changes or any(line.dirty for line in lines)
    member_names = {row.member.pk: row.member.full_name for row in grid.rows}
    summary = [
        (member_names.get(v.subject_id, ""), v.message, v.is_blocking)
        for line in lines
        for v in line.violations
        if v.is_blocking
    ]
    quota = quota_lines(grid, grassroots=grassroots, names=names)
    blocking = bool(summary) or any(q.blocking for q in quota)
    form_errors = bool(form is not None and form.is_bound and form.errors)
    # Sending is offered whenever the draft is saved: its confirmation names what it sends
    # and the service refuses, with the reasons, what the rules do not allow.
    why = ""
    if has_changes or form_errors:
        why = _("Save your changes first, then send.")
    elif blocking:
        why = _("What is marked in red is saved as a draft, but the list cannot be sent so.")
    elif grid.not_entered:
        why = _("%(count)s members have no level yet.") % {"count": grid.not_entered}
    can_submit = (
        editable
        and appraise
        and grid.round.state in EDITABLE_STATES
        and not (has_changes or form_errors)
    )
    return GridState(
        grid=grid,
        lines=lines,
        counters=[
            *(
                LevelCounter(lv.label, lv.short, grid.counts.get(lv.slug, 0))
                for lv in scheme.member_levels
            ),
            LevelCounter(_("Not rated"), "", grid.not_rated),
        ],
        quota=quota,
        summary=summary,
        editable=editable,
        can_appraise=appraise,
        can_propose=propose,
        can_submit=can_submit,
        submit_why=why,
        has_changes=has_changes,
        with_points=with_points,
        round_version=grid.round.version,
        reason_template=grid_html.reason_template(reasons(""), texts),
        regime=regime,
        with_groups=bool(group_names),
        nojs_locked=nojs_locked,
        nojs_cells=(
            [
                (c.name, reverse("assessments:rating_grid", args=[c.pk, grid.round.year]))
                for c in grid.cells
            ]
            if nojs_locked and grid.cell is None
            else []
        ),
    )


_CATEGORIES = [(value, FormCategory(value)) for value in FormCategory.values]
# The page's own fields besides the rows' boxes (token, version, action, toolbar).
_PAGE_FIELDS = 10


def _regime_parts(
    row: GridRow,
    values: dict,
    group_names: dict[str, str],
    groups,
    categories,
    editable: bool,
    *,
    by_rule: str,
    by_hand: str,
    suggested_word: str,
) -> dict:
    """A row's peer group, form category and 70-part suggestion as the grid shows them: the
    group "by the rules" or "by hand"; the category recorded, or the suggestion marked so."""
    found = {}
    if group_names:
        name = group_names.get(row.group or "", "") or "—"
        found["group_text"] = f"{name} ({by_hand if row.group_by_hand else by_rule})"
        if editable:
            found["group_options"] = groups(values.get("group"), row.default_group)
    view = row.category
    if view is not None:
        if view.code:
            found["category_text"] = view.code
        elif view.suggestion.code:
            found["category_text"] = f"{view.suggestion.code} ({suggested_word})"
        if editable:
            found["category_options"] = categories(
                values.get("category"), "" if view.code else view.suggestion.code
            )
    if row.parts is not None and row.parts.suggested_tasks is not None:
        found["suggested_tasks"] = _points_text(row.parts.suggested_tasks)
    return found


def state_message(*, round_, grassroots, deciding, cell, appraise, propose) -> tuple[str, str]:
    """(what is happening, who acts next) for the round, told truthfully to this user."""
    unit = grassroots.name
    above = deciding.name if deciding is not None else _("the superior committee")
    state = round_.state
    if state == RoundState.DRAFT:
        now = _("In progress: the cells enter their meetings' proposals, %(unit)s appraises.") % {
            "unit": unit
        }
        if propose and not appraise:
            nxt = _(
                "Next: enter your cell's proposal and votes; %(unit)s then appraises and sends "
                "the list to %(above)s."
            ) % {"unit": unit, "above": above}
        else:
            nxt = _("Next: %(unit)s checks the list and sends it to %(above)s.") % {
                "unit": unit,
                "above": above,
            }
    elif state == RoundState.RETURNED:
        now = _("Returned by %(above)s for correction.") % {"above": above}
        nxt = _("Next: %(unit)s corrects the list and sends it again.") % {"unit": unit}
    elif state == RoundState.SUBMITTED:
        when = round_.submitted_at
        now = _("Sent to %(above)s on %(date)s.") % {
            "above": above,
            "date": f"{when:%d/%m/%Y}" if when else "—",
        }
        nxt = _("Next: %(above)s decides; nothing can be changed here meanwhile.") % {
            "above": above
        }
    elif state == RoundState.DECIDED:
        now = _("Decided by %(above)s.") % {"above": above}
        nxt = _("Next: %(above)s publishes the results.") % {"above": above}
    else:
        now = _("Published.")
        nxt = _("Only %(above)s can reopen it.") % {"above": above}
    return now, nxt


def conflict_values(scheme, rating) -> dict:
    """The other person's saved values of a row, as the conflict shows them."""
    if rating is None:
        return {"level": "", "label": _("(nothing)"), "points": "", "note": ""}
    if rating.proposed_level:
        label = scheme.level(rating.proposed_level).label
        level = rating.proposed_level
    elif rating.not_rated_reason:
        label, level = _("Not rated"), NOT_RATED
    else:
        label, level = _("(nothing)"), ""
    return {
        "level": level,
        "reason": rating.not_rated_reason,
        "label": label,
        "points": _points_text(rating.points),
        "note": rating.note,
        "cell_level": rating.cell_level,
        "votes_for": "" if rating.votes_for is None else str(rating.votes_for),
        "votes_total": "" if rating.votes_total is None else str(rating.votes_total),
        "version": str(rating.version),
    }
