"""The grid's rows as HTML, written in Python: one template include per row cost ~10 ms,
so a 2,000-member grid took 20 s to render; this costs well under a millisecond a row.

The markup is the one `templates/assessments/includes/_grid_table.html` lays out (the head)
and `_grid_check.html` swaps (the messages): those templates print what this module builds.
Every text is translated once per request; every value is escaped by format_html.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from assessments.forms import NOT_RATED


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

    @classmethod
    def build(cls, level_header: str) -> RowTexts:
        return cls(
            no=_("No."),
            name=_("Full name"),
            cell=_("Cell"),
            proposes=_("Cell proposes"),
            votes=_("Votes for / voting"),
            level=level_header,
            points=_("Points"),
            note=_("Note"),
            other_reason=_("Other: …"),
            a_cell_level=_("Level the cell proposes for %(name)s"),
            a_votes_for=_("Votes for %(name)s"),
            a_votes_total=_("Members voting on %(name)s"),
            a_level=_("Level for %(name)s"),
            a_reason=_("Reason not rated for %(name)s"),
            a_reason_note=_("Other reason for %(name)s"),
            a_points=_("Points for %(name)s"),
            a_note=_("Note for %(name)s"),
            badges={
                "is_probationary": ("text-bg-warning", _("probationary")),
                "is_exempt": ("text-bg-info", _("exempt from meetings")),
                "is_suspended": ("text-bg-danger", _("suspended")),
                "on_sick_leave": ("text-bg-secondary", _("on sick leave")),
                "on_maternity_leave": ("text-bg-secondary", _("on maternity leave")),
            },
            decided=_("Decided: %(level)s"),
            someone=_("Someone else saved: %(value)s"),
            yours=_("Yours is in the boxes."),
            keep=_("Keep mine"),
            take=_("Take theirs"),
            points_word=_("points"),
        )


def _attrs(name: str, mid: int, col: str) -> SafeString:
    return format_html('name="{0}_{1}" id="id_{0}_{1}" data-col="{2}"', name, mid, col)


def _input(name, mid, value, label, css, extra="") -> SafeString:
    return format_html(
        '<input {} value="{}" class="form-control form-control-sm{}" aria-label="{}"{}>',
        _attrs(name, mid, name),
        value,
        css,
        label,
        mark_safe(extra),  # noqa: S308 - literal attributes of this module only
    )


def _select(name, mid, options, label, css="", extra="") -> SafeString:
    return format_html(
        '<select {} class="form-select form-select-sm{}" aria-label="{}"{}>{}</select>',
        _attrs(name, mid, name),
        css,
        label,
        mark_safe(extra),  # noqa: S308 - literal attributes of this module only
        options,
    )


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


def row_html(line, t: RowTexts, *, editable: bool, with_cell: bool, with_points: bool):
    """One member's <tbody>: the row of boxes and its message row."""
    member, v, mid = line.member, line.values, line.member.pk
    name = member.full_name
    label = {"name": name}
    badges = format_html_join(
        "",
        '<span class="badge badge-state {}">{}</span>',
        (t.badges[attr] for attr in t.badges if getattr(member, attr, False)),
    )
    cells = [
        format_html('<td class="grid-col-no" data-label="{}">{}</td>', t.no, line.number),
        format_html(
            '<th scope="row" class="grid-name" data-label="{}"><a href="{}" tabindex="-1">{}</a>'
            "{}{}</th>",
            t.name,
            reverse("cells:member_detail", args=[mid]),
            name,
            badges,
            format_html('<span class="grid-cell-inline">{}</span>', line.cell_name)
            if with_cell and line.cell_name
            else "",
        ),
    ]
    if with_cell:
        cells.append(
            format_html(
                '<td class="grid-cell" data-label="{}">{}</td>', t.cell, line.cell_name or "—"
            )
        )
    if editable and line.propose:
        proposal = _select("cell_level", mid, line.cell_options, t.a_cell_level % label)
        votes = format_html(
            '<span class="grid-votes">{}/{}</span>',
            _input(
                "votes_for", mid, v["votes_for"], t.a_votes_for % label, "", ' inputmode="numeric"'
            ),
            _input(
                "votes_total",
                mid,
                v["votes_total"],
                t.a_votes_total % label,
                "",
                ' inputmode="numeric"',
            ),
        )
    else:
        proposal = line.cell_label or "—"
        votes = (
            f"{v['votes_for'] or '?'}/{v['votes_total'] or '?'}"
            if v["votes_for"] or v["votes_total"]
            else "—"
        )
    cells.append(
        format_html('<td class="grid-col-cellprop" data-label="{}">{}</td>', t.proposes, proposal)
    )
    cells.append(format_html('<td class="grid-col-votes" data-label="{}">{}</td>', t.votes, votes))
    if editable and line.appraise:
        collapsed = v["level"] != NOT_RATED and not v["reason"]
        level = format_html(
            '<span class="grid-level-box">{}{}</span><span class="grid-reason-box{}" '
            "data-grid-reason-box>{}{}</span>",
            _select(
                "level",
                mid,
                line.level_options,
                t.a_level % label,
                " grid-level",
                " data-grid-level",
            ),
            format_html(
                '<span class="grid-cap" title="{0}">≤{1}<span class="visually-hidden">: {0}</span>'
                "</span>",
                line.cap_why,
                line.cap_short,
            )
            if line.cap_short
            else "",
            " is-collapsed" if collapsed else "",
            _select(
                "reason",
                mid,
                line.reason_options,
                t.a_reason % label,
                " grid-reason",
                " data-grid-reason",
            ),
            _input(
                "reason_note",
                mid,
                v["reason_note"],
                t.a_reason_note % label,
                " grid-reason-note" + ("" if v["reason"] == "other" else " is-collapsed"),
                format_html(' placeholder="{}" data-grid-reason-note', t.other_reason),
            ),
        )
    else:
        level = format_html('<span class="grid-value">{}</span>', line.level_label or "—")
        if line.decided_label:
            level = format_html(
                '{} <span class="grid-value-sub"><i class="bi bi-check2-circle" '
                'aria-hidden="true"></i> {}</span>',
                level,
                t.decided % {"level": line.decided_label},
            )
    cells.append(format_html('<td class="grid-col-level" data-label="{}">{}</td>', t.level, level))
    if with_points:
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
            else (v["points"] or "—")
        )
        cells.append(
            format_html('<td class="grid-col-points" data-label="{}">{}</td>', t.points, points)
        )
    note = (
        _input("note", mid, v["note"], t.a_note % label, " grid-note")
        if editable and line.appraise
        else v["note"]
    )
    version = (
        format_html(
            '<input type="hidden" {} value="{}">', _attrs("version", mid, "version"), v["version"]
        )
        if editable
        else ""
    )
    cells.append(
        format_html('<td class="grid-col-note" data-label="{}">{}{}</td>', t.note, note, version)
    )
    return format_html(
        '<tbody class="grid-member{}" id="member-{}" data-member="{}" data-number="{}" '
        'data-cell="{}"{}><tr class="grid-row">{}</tr><tr class="grid-msgs-row"><td colspan="8">'
        "{}</td></tr></tbody>",
        " has-error" if line.has_error else "",
        mid,
        mid,
        line.number,
        getattr(member, "cell_id", "") or "",
        mark_safe(" data-prefilled") if line.dirty else "",
        mark_safe("".join(cells)),  # noqa: S308 - each cell built by format_html above
        messages_html(line, t),
    )
