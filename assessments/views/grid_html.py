"""The grid's rows as HTML, written in Python: one template include per row cost ~10 ms,
so a 2,000-member grid took 20 s to render; this costs well under a millisecond a row.

The markup is the one `templates/assessments/includes/_grid_table.html` lays out (the head)
and `_grid_check.html` swaps (the messages): those templates print what this module builds.
Every text is translated once per request; every value is escaped by format_html.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from assessments.forms import NOT_RATED
from cells.choices import MEMBER_STATE_BADGES


@dataclass
class RowTexts:
    """The row's words, translated once per request."""

    no: str
    name: str
    cell: str
    proposes: str
    votes: str
    level: str
    points: str
    note: str
    other_reason: str
    a_cell_level: str
    a_votes_for: str
    a_votes_total: str
    a_level: str
    a_reason: str
    a_reason_note: str
    a_points: str
    a_note: str
    badges: dict
    decided: str
    someone: str
    yours: str
    keep: str
    take: str
    points_word: str
    member_url: str
    subject: str = ""
    a_category: str = ""
    a_group: str = ""
    a_general: str = ""
    a_tasks: str = ""
    a_tasks_reason: str = ""
    suggested: str = ""
    tasks_reason: str = ""
    locked_gap: str = ""

    @classmethod
    def build(cls, level_header: str) -> RowTexts:
        """The texts, those written into attributes as they are already escaped."""
        return cls(
            no=_e(_("No.")),
            name=_e(_("Full name")),
            cell=_e(_("Cell")),
            proposes=_e(_("Cell proposes")),
            votes=_e(_("Votes for / voting")),
            level=_e(level_header),
            points=_e(_("Points")),
            note=_e(_("Note")),
            other_reason=_e(_("Other: …")),
            a_cell_level=_("Level the cell proposes for %(name)s"),
            a_votes_for=_("Votes for %(name)s"),
            a_votes_total=_("Members voting on %(name)s"),
            a_level=_("Level for %(name)s"),
            a_reason=_("Reason not rated for %(name)s"),
            a_reason_note=_("Other reason for %(name)s"),
            a_points=_("Points for %(name)s"),
            a_note=_("Note for %(name)s"),
            badges={attr: (css, str(label)) for attr, css, label in MEMBER_STATE_BADGES},
            decided=_("Decided: %(level)s"),
            someone=_("Someone else saved: %(value)s"),
            yours=_("Yours is in the boxes."),
            keep=_("Keep mine"),
            take=_("Take theirs"),
            points_word=_("points"),
            member_url=reverse("cells:member_detail", args=[0]).removesuffix("0/"),
            subject=_e(_("Form · peer group")),
            a_category=_("Form category (2A, 2B, 2C) of %(name)s"),
            a_group=_("Peer group of %(name)s"),
            a_general=_("General criteria points (of 30) for %(name)s"),
            a_tasks=_("Task results points (of 70) for %(name)s"),
            a_tasks_reason=_("Why the task points of %(name)s differ from the suggestion"),
            locked_gap=_e(
                _(
                    "The cell was decided without this member: its đảng ủy reopens the cell's "
                    "decision to rate them."
                )
            ),
            suggested=_("suggested %(value)s"),
            tasks_reason=_e(_("Why different from the suggestion")),
        )


def _e(value) -> str:
    """Escaped text; SafeStrings (the option lists) are already HTML."""
    if isinstance(value, SafeString):
        return value
    return escape("" if value is None else str(value), quote=True)


def _input(name, mid, value, label, css="", extra="") -> str:
    return (
        f'<input name="{name}_{mid}" id="id_{name}_{mid}" data-col="{name}" value="{_e(value)}" '
        f'class="form-control form-control-sm{css}" aria-label="{_e(label)}"{extra}>'
    )


def _select(name, mid, options, label, css="", extra="") -> str:
    return (
        f'<select name="{name}_{mid}" id="id_{name}_{mid}" data-col="{name}" '
        f'class="form-select form-select-sm{css}" aria-label="{_e(label)}"{extra}>'
        f"{options}</select>"
    )


def has_messages(line) -> bool:
    return bool(line.errors or line.violations or line.other)


def messages_html(line, t: RowTexts, *, oob: bool = False) -> SafeString:
    """The row's message area (its errors, violations, a conflict), swapped by the check."""
    parts = [
        format_html(
            '<p class="violation violation--error"><i class="bi bi-x-circle-fill" '
            'aria-hidden="true"></i> {}</p>',
            error,
        )
        for error in line.errors
    ]
    for v in line.violations:
        kind, icon = (
            ("error", "bi-x-circle-fill") if v.is_blocking else ("warning", "bi-exclamation-circle")
        )
        parts.append(
            format_html(
                '<p class="violation violation--{}"><i class="bi {}" aria-hidden="true"></i> '
                "{}</p>",
                kind,
                icon,
                v.message,
            )
        )
    if line.other:
        other = line.other
        extra = ""
        if other.get("points"):
            extra += f" · {t.points_word} {other['points']}"
        if other.get("note"):
            extra += f" · {other['note']}"
        parts.append(
            format_html(
                '<p class="violation violation--warning grid-conflict"{}><i class="bi bi-people" '
                'aria-hidden="true"></i> {}{}. {} <button type="button" class="btn btn-sm '
                'btn-outline-primary" data-keep-mine>{}</button> <button type="button" '
                'class="btn btn-sm btn-outline-secondary" data-take-other>{}</button></p>',
                format_html_join("", ' data-other-{}="{}"', other.items()),
                t.someone % {"value": other.get("label", "")},
                extra,
                t.yours,
                t.keep,
                t.take,
            )
        )
    return format_html(
        '<div id="msgs-{}" class="grid-msgs{}"{}>{}</div>',
        line.member.pk,
        " grid-msgs--error" if line.has_error else "",
        mark_safe(' hx-swap-oob="true"') if oob else "",
        mark_safe("".join(parts)),  # noqa: S308 - each part built by format_html above
    )


def subject_html(line, t: RowTexts, label: dict) -> str:
    """The 2025– form category (2A/2B/2C, recorded or suggested) and peer group of a row:
    selects for the committee, text for everyone else."""
    mid = line.member.pk
    parts = []
    if line.category_options is not None:
        parts.append(
            _select("category", mid, line.category_options, t.a_category % label, " grid-category")
        )
    else:
        parts.append(f'<span class="grid-value">{_e(line.category_text or "—")}</span>')
    if line.group_options is not None:
        parts.append(_select("group", mid, line.group_options, t.a_group % label, " grid-group"))
    elif line.group_text:
        parts.append(f'<span class="grid-value-sub grid-group-name">{_e(line.group_text)}</span>')
    return (
        f'<td class="grid-col-subject" data-label="{t.subject}" title="{_e(line.group_text)}">'
        f'<span class="grid-subject">{"".join(parts)}</span></td>'
    )


def parts_html(line, t: RowTexts, label: dict, *, stage: str | None, own_total: bool) -> str:
    """The 30 + 70 boxes of the stage the user owns (= the total for the committee), with
    the ledger's suggestion for the 70 part and the reason box where it differs."""
    mid, v = line.member.pk, line.values
    decimal = ' inputmode="decimal"'
    suggested = line.suggested_tasks
    tasks_extra = decimal + (f' data-suggested="{_e(suggested)}"' if suggested else "")
    html = (
        '<span class="grid-parts">'
        + _input("general", mid, v["general"], t.a_general % label, " grid-part", decimal)
        + "+"
        + _input("tasks", mid, v["tasks"], t.a_tasks % label, " grid-part", tasks_extra)
    )
    if own_total:
        html += "=" + _input(
            "points", mid, v["points"], t.a_points % label, " grid-points", decimal
        )
    html += "</span>"
    if suggested:
        html += (
            '<span class="grid-value-sub grid-suggested">'
            f"{_e(t.suggested % {'value': suggested})}</span>"
        )
    differs = suggested and v["tasks"] and v["tasks"] != suggested
    if v["tasks_reason"] or differs:
        html += _input(
            "tasks_reason",
            mid,
            v["tasks_reason"],
            t.a_tasks_reason % label,
            " grid-tasks-reason",
            f' placeholder="{t.tasks_reason}" data-grid-tasks-reason',
        )
    return html


def cap_html(line, *, oob: bool = False) -> str:
    """The "≤ HTNV" hint of a row whose level is above the member's cap (empty otherwise),
    with its id: the live check sends it again, so the hint follows what is typed."""
    swap = ' hx-swap-oob="true"' if oob else ""
    if not line.cap_short:
        return f'<span id="cap-{line.member.pk}" class="grid-cap"{swap}></span>'
    return (
        f'<span id="cap-{line.member.pk}" class="grid-cap" title="{_e(line.cap_why)}"{swap}>'
        f"≤{_e(line.cap_short)}"
        f'<span class="visually-hidden">: {_e(line.cap_why)}</span></span>'
    )


def row_html(
    line,
    t: RowTexts,
    *,
    editable: bool,
    with_cell: bool,
    with_points: bool,
    regime: bool = False,
    stage: str | None = None,
):
    """One member's <tbody>: the row of boxes and its message row (f-strings over escaped
    values: format_html per box cost more than the rest of the request)."""
    member, v, mid = line.member, line.values, line.member.pk
    label = {"name": member.full_name}
    name = _e(member.full_name)
    badges = "".join(
        f'<span class="badge badge-state {css}">{_e(text)}</span>'
        for attr, (css, text) in t.badges.items()
        if getattr(member, attr, False)
    )
    cell_name = _e(line.cell_name)
    inline = f'<span class="grid-cell-inline">{cell_name}</span>' if with_cell and cell_name else ""
    cells = [
        f'<td class="grid-col-no" data-label="{t.no}">{line.number}</td>',
        f'<th scope="row" class="grid-name" data-label="{t.name}"><a href="{t.member_url}{mid}/" '
        f'tabindex="-1">{name}</a>{badges}{inline}</th>',
    ]
    if with_cell:
        cells.append(f'<td class="grid-cell" data-label="{t.cell}">{cell_name or "—"}</td>')
    if regime:
        cells.append(subject_html(line, t, label))
    if editable and line.propose:
        numeric = ' inputmode="numeric"'
        proposal = _select("cell_level", mid, line.cell_options, t.a_cell_level % label)
        votes = (
            '<span class="grid-votes">'
            + _input("votes_for", mid, v["votes_for"], t.a_votes_for % label, "", numeric)
            + "/"
            + _input("votes_total", mid, v["votes_total"], t.a_votes_total % label, "", numeric)
            + "</span>"
        )
    else:
        proposal = _e(line.cell_label or "—")
        votes = (
            f"{_e(v['votes_for'] or '?')}/{_e(v['votes_total'] or '?')}"
            if v["votes_for"] or v["votes_total"]
            else "—"
        )
    cells.append(f'<td class="grid-col-cellprop" data-label="{t.proposes}">{proposal}</td>')
    cells.append(f'<td class="grid-col-votes" data-label="{t.votes}">{votes}</td>')
    if editable and line.appraise:
        collapsed = " is-collapsed" if v["level"] != NOT_RATED and not v["reason"] else ""
        cap = cap_html(line)
        # The reason boxes only where they are used: grid.js adds them when "not rated" is
        # chosen (a 2,000-member page had 4,000 hidden boxes); without JavaScript they show
        # after the next save or check.
        reason_box = (
            ""
            if collapsed
            else reason_box_html(
                mid, line.reason_options, t, v["reason_note"], v["reason"], collapsed, label
            )
        )
        level = (
            '<span class="grid-level-box">'
            + _select(
                "level",
                mid,
                line.level_options,
                t.a_level % label,
                " grid-level",
                " data-grid-level",
            )
            + cap
            + "</span>"
            + reason_box
        )
    else:
        level = f'<span class="grid-value">{_e(line.level_label or "—")}</span>'
        if line.locked and not line.level_label:
            # Joined after the đảng ủy decided the cell: only reopening it lets them be rated.
            level += f'<span class="grid-value-sub text-danger">{t.locked_gap}</span>'
        if line.decided_label:
            decided = _e(t.decided % {"level": line.decided_label})
            level += (
                ' <span class="grid-value-sub"><i class="bi bi-check2-circle" '
                f'aria-hidden="true"></i> {decided}</span>'
            )
    cells.append(f'<td class="grid-col-level" data-label="{t.level}">{level}</td>')
    if with_points and regime and editable and stage is not None:
        points = parts_html(line, t, label, stage=stage, own_total=line.appraise)
        if not line.appraise:
            points += f'<span class="grid-value-sub">{_e(v["points"] or "—")}</span>'
    elif with_points:
        points = (
            _input(
                "points",
                mid,
                v["points"],
                t.a_points % label,
                " grid-points",
                ' inputmode="decimal"',
            )
            if editable and line.appraise
            else _e(v["points"] or "—")
        )
        if regime and (v["general"] or v["tasks"]):
            points += (
                f'<span class="grid-value-sub">{_e(v["general"] or "?")} + '
                f"{_e(v['tasks'] or '?')}</span>"
            )
    if with_points:
        cells.append(f'<td class="grid-col-points" data-label="{t.points}">{points}</td>')
    note = (
        _input("note", mid, v["note"], t.a_note % label, " grid-note")
        if editable and line.appraise
        else _e(v["note"])
    )
    if editable:
        note += (
            f'<input type="hidden" name="version_{mid}" id="id_version_{mid}" data-col="version" '
            f'value="{_e(v["version"])}">'
        )
    cells.append(f'<td class="grid-col-note" data-label="{t.note}">{note}</td>')
    return mark_safe(  # noqa: S308 - every value above went through _e or is our markup
        f'<tbody class="grid-member{" has-error" if line.has_error else ""}" id="member-{mid}" '
        f'data-member="{mid}" data-number="{line.number}" '
        f'data-cell="{getattr(member, "cell_id", "") or ""}"'
        f'{" data-prefilled" if line.dirty else ""}><tr class="grid-row">{"".join(cells)}</tr>'
        f'<tr class="grid-msgs-row{"" if has_messages(line) else " is-empty"}"><td colspan="9">'
        f"{line.msgs_html or messages_html(line, t)}</td></tr></tbody>"
    )


def reason_box_html(mid, options, t: RowTexts, note, reason, collapsed, label) -> str:
    """The "not rated" reason and its "other" text of one row (also grid.js's template,
    with the member id "__MID__")."""
    note_css = " grid-reason-note" + ("" if reason == "other" else " is-collapsed")
    return (
        f'<span class="grid-reason-box{collapsed}" data-grid-reason-box>'
        + _select("reason", mid, options, t.a_reason % label, " grid-reason", " data-grid-reason")
        + _input(
            "reason_note",
            mid,
            note,
            t.a_reason_note % label,
            note_css,
            f' placeholder="{t.other_reason}" data-grid-reason-note',
        )
        + "</span>"
    )


def reason_template(options, t: RowTexts) -> SafeString:
    return mark_safe(  # noqa: S308 - built from escaped values
        reason_box_html("__MID__", options, t, "", "", "", {"name": "__NAME__"})
    )
