"""The permission matrix, generated from the URL configuration (NetBox style).

Every named URL pattern (namespaces included) must have an entry in MATRIX saying how to
build its arguments for an object in scope and for the same kind of object in ANOTHER
province, which HTTP methods it accepts, which user may use it, and what a logged-in user
without any role gets. For each entry the test checks, for every accepted method:

- anonymous → redirect to the login page (public pages excepted);
- a user with no role → the entry's code (403, or 404 for an object lookup, or a page that
  shows nothing of anyone's data);
- the user in scope → 200 or 302;
- the in-scope user on another province's object → 404 (IDOR);
- a method the view does not accept → 405.

A URL added without an entry fails `test_url_has_matrix_entry[<name>]`, naming it, so no
screen can escape the matrix. Django's admin (superusers only) is checked as one group.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from assessments import services as rating_services
from assessments.models import ReportJob
from cells.choices import ImportJobStatus, Role
from cells.models import ImportJob, RoleAssignment
from tests import factories

RATING_YEAR = 2021


# --- the URL configuration, walked ----------------------------------------------------------


def _walk(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, ns)
        elif isinstance(pattern, URLPattern):
            name = pattern.name
            if name is None:
                callback = pattern.callback
                name = f"<unnamed {callback.__module__}.{callback.__name__}>"
            yield f"{namespace}:{name}" if namespace else name, pattern


def url_names() -> list[str]:
    """Every URL name of the project, namespaced; unnamed patterns get a descriptive key."""
    return sorted({name for name, _pattern in _walk(get_resolver().url_patterns)})


def _is_group_member(name: str) -> bool:
    # Django's admin is covered as a group (test_admin_is_superusers_only); so is Django's
    # static/media file view, which exists only with DEBUG on (never in production).
    return name.startswith("admin:") or name == "<unnamed django.views.static.serve>"


# --- the world ------------------------------------------------------------------------------


def _user(username, organization=None, role=None, **fields):
    """A user without a usable password (force_login needs none; hashing is slow)."""
    user = get_user_model().objects.create(username=username, **fields)
    if organization is not None:
        RoleAssignment.objects.create(user=user, organization=organization, role=role)
    return user


@pytest.fixture
def world(province):
    p = province
    w = SimpleNamespace(p=p)
    w.secretary = _user("thu-ky", p.old_commune, Role.SECRETARY)
    w.reviewer = _user("duyet", p.district, Role.REVIEWER)
    w.admin = _user("quan-tri", p.province, Role.ADMIN)
    w.reports = _user("bao-cao", p.province, Role.REPORTS)
    w.superuser = _user("sieu", is_superuser=True, is_staff=True)
    w.nobody = _user("khong-vai-tro")
    w.cell_secretary = _user("thu-ky-chi-bo", p.other_cell, Role.SECRETARY)
    w.foreign_secretary = _user("thu-ky-ha-giang", p.foreign_cell, Role.SECRETARY)
    w.member = factories.member(p.other_cell, "Trần Thị Bình")
    w.foreign_member = factories.member(p.foreign_cell, "Lò Văn Páo")
    w.job = ImportJob.objects.create(
        kind="members",
        organization=p.old_commune,
        created_by=w.secretary,
        file="imports/x.csv",
        filename="x.csv",
        status=ImportJobStatus.INVALID,
    )
    w.foreign_job = ImportJob.objects.create(
        kind="members",
        organization=p.foreign_cell,
        created_by=w.foreign_secretary,
        file="imports/y.csv",
        filename="y.csv",
        status=ImportJobStatus.INVALID,
    )
    w.round = rating_services.round_get_or_create(
        actor=None, organization=p.old_commune, year=RATING_YEAR
    )
    w.foreign_round = rating_services.round_get_or_create(
        actor=None, organization=p.foreign_cell, year=RATING_YEAR
    )
    w.report = _finished_report(p.old_commune, w.reports, "bao-cao-x.pdf")
    w.foreign_report = _finished_report(p.foreign_cell, w.foreign_secretary, "bao-cao-y.pdf")
    w.pieces = _finished_pieces(p.old_commune, p.old_cell, w.reports)
    w.foreign_pieces = _finished_pieces(p.foreign_cell, p.foreign_cell, w.foreign_secretary)
    w.document = _issued_document(p.old_commune, w.reports)
    w.foreign_document = _issued_document(p.foreign_cell, w.foreign_secretary)
    w.issue_job = _issue_job(p.old_commune, w.reports, w.document)
    w.foreign_issue_job = _issue_job(p.foreign_cell, w.foreign_secretary, w.foreign_document)
    return w


def _issue_job(organization, user, document):
    """A finished issue job (only its requester sees it)."""
    from documents.models import IssueJob

    return IssueJob.objects.create(
        kind="results",
        organization=organization,
        year=RATING_YEAR,
        requested_by=user,
        state=IssueJob.State.DONE,
        document=document,
    )


def _finished_pieces(organization, cell, user):
    """A unit's forms made in pieces, finished: the parent and one done part."""
    batch = _finished_report(organization, user, "to-khai.pdf")
    ReportJob.objects.filter(pk=batch.pk).update(kind=ReportJob.Kind.SELF_REVIEW, is_batch=True)
    part = _finished_report(cell, user, "to-khai-chi-bo.pdf")
    ReportJob.objects.filter(pk=part.pk).update(kind=ReportJob.Kind.SELF_REVIEW, batch=batch)
    batch.refresh_from_db()
    return batch


def _issued_document(organization, user):
    from documents.models import IssuedDocument, SignedOriginal

    document = IssuedDocument(
        organization=organization,
        year=RATING_YEAR,
        kind="results",
        kind_label="Báo cáo",
        document_type="BC",
        serial=1,
        number="Số 01-BC/ĐU",
        title="Báo cáo",
        issued_on=f"{RATING_YEAR}-12-15",
        issued_by=user,
        scope=organization.name,
        snapshot={},
        snapshot_sha256="0" * 64,
        pdf_sha256="0" * 64,
        filename_stem="bao-cao",
    )
    document.pdf.save("van-ban.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
    document.xlsx.save("van-ban.xlsx", ContentFile(b"PK test"), save=False)
    document.save()
    original = SignedOriginal(
        document=document,
        sha256="0" * 64,
        signer_name="A",
        organization_name="B",
        signed_at=document.issued_at,
        result="ok",
        uploaded_by=user,
    )
    original.file.save("da-ky.pdf", ContentFile(b"%PDF-1.7 signed"), save=False)
    original.save()
    document.original = original
    return document


def _finished_report(organization, user, filename):
    job = ReportJob.objects.create(
        kind=ReportJob.Kind.RESULTS,
        organization=organization,
        year=RATING_YEAR,
        format=ReportJob.Format.PDF,
        requested_by=user,
        state=ReportJob.State.DONE,
        filename=filename,
    )
    job.file.save(filename, ContentFile(b"%PDF-1.7 test"), save=True)
    return job


# --- the matrix ------------------------------------------------------------------------------


@dataclass
class Entry:
    """How to exercise one URL. `kwargs`/`foreign` build its arguments from the world (the
    foreign ones point at the other province; None when the URL names no object)."""

    methods: tuple[str, ...]
    user: Callable  # world → the user in scope allowed to use it
    no_role: int  # what a logged-in user without any role gets
    kwargs: Callable = lambda w: {}
    foreign: Callable | None = None
    ok: tuple[int, ...] = (200, 302)
    public: bool = False  # reachable without logging in (the login page itself)
    data: dict = field(default_factory=dict)


def _with_catalogue(node) -> dict:
    """The explanation URL's arguments for `node`, with the indicator catalogue in place."""
    from assessments.indicators import ensure_indicator_catalogue

    ensure_indicator_catalogue()
    return {"org_pk": node.pk, "year": 2024}


def _target_of(node) -> int:
    """A target of `node` (the catalogue's first indicator), made on demand."""
    from assessments.indicators import ensure_indicator_catalogue
    from assessments.models import Indicator, IndicatorTarget

    ensure_indicator_catalogue()
    target, _created = IndicatorTarget.objects.get_or_create(
        indicator=Indicator.objects.order_by("pk").first(),
        organization=node,
        target_year=2030,
        defaults={"target_value": 90},
    )
    return target.pk


def _org(w):
    return {"pk": w.p.old_commune.pk}


def _foreign_org(w):
    return {"pk": w.p.foreign_cell.pk}


def _grid(w):
    return {"org_pk": w.p.old_commune.pk, "year": RATING_YEAR}


def _foreign_grid(w):
    return {"org_pk": w.p.foreign_cell.pk, "year": RATING_YEAR}


def _peer_group(owner):
    from assessments.models import PeerGroup

    group, _created = PeerGroup.objects.get_or_create(
        owner=owner, year=RATING_YEAR, code="BT", defaults={"name": "Bí thư chi bộ"}
    )
    return group


def _points_item(province):
    from assessments.models import PointsItem

    item, _created = PointsItem.objects.get_or_create(
        province=province, year=RATING_YEAR, part="general", name="Chính trị",
        defaults={"max_points": 30},
    )  # fmt: skip
    return item


def _review_list(w):
    return {"org_pk": w.p.district.pk, "year": RATING_YEAR}


def _foreign_review_list(w):
    return {"org_pk": w.p.other_province.pk, "year": RATING_YEAR}


def _meeting(cell):
    """A regular meeting of `cell` in the rating year (made on first use)."""
    meeting, _created = cell.meetings.get_or_create(
        held_on=f"{RATING_YEAR}-03-05", defaults={"attended": 3, "expected": 4}
    )
    return meeting


def _reopening(round_):
    """A reopening of `round_` (made on first use): Mẫu 03's pages need one."""
    from django.utils import timezone

    from assessments.models import RatingReopening

    found = RatingReopening.objects.filter(round=round_).first()
    return found or RatingReopening.objects.create(
        round=round_, reason="Sai sót", reopened_at=timezone.now()
    )


def _object_pages(namespace, obj, user, pages):
    """Entries for the pages of one object, addressed by pk: `w.<obj>` in scope and
    `w.foreign_<obj>` in the other province; a user without a role gets 404."""
    return {
        f"{namespace}:{name}": Entry(
            methods,
            user=user,
            no_role=404,
            kwargs=lambda w: {"pk": getattr(w, obj).pk},
            foreign=lambda w: {"pk": getattr(w, f"foreign_{obj}").pk},
        )
        for name, methods in pages
    }


MATRIX: dict[str, Entry] = {
    # Django's RedirectView and set_language answer any method with a redirect.
    "home": Entry(("GET", "POST"), user=lambda w: w.secretary, no_role=302),
    # Health checks answer load balancers and monitors, which never log in.
    "healthz": Entry(("GET",), user=lambda w: w.secretary, no_role=200, public=True),
    "readyz": Entry(("GET",), user=lambda w: w.secretary, no_role=200, public=True),
    "login": Entry(("GET", "POST"), user=lambda w: w.secretary, no_role=200, public=True),
    "logout": Entry(("POST",), user=lambda w: w.secretary, no_role=302),
    "set_language": Entry(
        ("GET", "POST"),
        user=lambda w: w.secretary,
        no_role=302,
        public=True,
        data={"language": "vi"},
    ),
    # --- accounts ---
    "accounts:password_change": Entry(("GET", "POST"), user=lambda w: w.secretary, no_role=200),
    "accounts:user_list": Entry(("GET",), user=lambda w: w.admin, no_role=403),
    "accounts:user_password_reset": Entry(
        ("GET", "POST"),
        user=lambda w: w.admin,
        no_role=403,
        kwargs=lambda w: {"pk": w.secretary.pk},
        foreign=lambda w: {"pk": w.foreign_secretary.pk},
    ),
    "accounts:totp_enrol": Entry(("GET", "POST"), user=lambda w: w.reviewer, no_role=403),
    "accounts:totp_verify": Entry(("GET", "POST"), user=lambda w: w.reviewer, no_role=302),
    "accounts:on_behalf": Entry(("GET", "POST"), user=lambda w: w.secretary, no_role=403),
    # --- cells ---
    "cells:organization_tree": Entry(("GET",), user=lambda w: w.secretary, no_role=200),
    "cells:organization_search": Entry(("GET",), user=lambda w: w.secretary, no_role=200),
    "cells:organization_detail": Entry(
        ("GET",), user=lambda w: w.secretary, no_role=404, kwargs=_org, foreign=_foreign_org
    ),
    "cells:organization_children": Entry(
        ("GET",), user=lambda w: w.secretary, no_role=404, kwargs=_org, foreign=_foreign_org
    ),
    # Adding a unit changes the tree: an administrator's, not a roster editor's (#19).
    "cells:organization_create": Entry(
        ("GET", "POST"),
        user=lambda w: w.admin,
        no_role=404,
        kwargs=lambda w: {"parent_pk": w.p.old_commune.pk},
        foreign=lambda w: {"parent_pk": w.p.foreign_cell.pk},
    ),
    "cells:organization_edit": Entry(
        ("GET", "POST"), user=lambda w: w.secretary, no_role=404, kwargs=_org, foreign=_foreign_org
    ),
    "cells:member_create": Entry(
        ("GET", "POST"),
        user=lambda w: w.secretary,
        no_role=404,
        kwargs=lambda w: {"cell_pk": w.p.other_cell.pk},
        foreign=lambda w: {"cell_pk": w.p.foreign_cell.pk},
    ),
    **_object_pages(
        "cells",
        "member",
        user=lambda w: w.secretary,
        pages=[
            ("member_detail", ("GET",)),
            ("member_edit", ("GET", "POST")),
            ("memberevent_create", ("GET", "POST")),
        ],
    ),
    "cells:importjob_list": Entry(("GET",), user=lambda w: w.secretary, no_role=200),
    "cells:importjob_create": Entry(("GET", "POST"), user=lambda w: w.secretary, no_role=403),
    "cells:importjob_template": Entry(
        ("GET",), user=lambda w: w.secretary, no_role=200, kwargs=lambda w: {"kind": "members"}
    ),
    **_object_pages(
        "cells",
        "job",
        user=lambda w: w.secretary,
        pages=[
            ("importjob_detail", ("GET",)),
            ("importjob_progress", ("GET",)),
            ("importjob_confirm", ("POST",)),
            ("importjob_retry", ("POST",)),
            ("importjob_confirm_rows", ("POST",)),
        ],
    ),
    "cells:auditentry_list": Entry(("GET",), user=lambda w: w.admin, no_role=403),
    # --- assessments: entry grid ---
    "assessments:rating_grid": Entry(
        ("GET", "POST"),
        user=lambda w: w.secretary,
        no_role=404,
        kwargs=_grid,
        foreign=_foreign_grid,
    ),
    "assessments:rating_grid_check": Entry(
        ("POST",), user=lambda w: w.secretary, no_role=404, kwargs=_grid, foreign=_foreign_grid
    ),
    "assessments:rating_grid_print": Entry(
        ("GET",), user=lambda w: w.secretary, no_role=404, kwargs=_grid, foreign=_foreign_grid
    ),
    # --- assessments: review ---
    "assessments:review_home": Entry(("GET",), user=lambda w: w.reviewer, no_role=200),
    "assessments:review_list": Entry(
        ("GET", "POST"),
        user=lambda w: w.reviewer,
        no_role=404,
        kwargs=_review_list,
        foreign=_foreign_review_list,
    ),
    **_object_pages(
        "assessments",
        "round",
        user=lambda w: w.reviewer,
        pages=[
            ("review_detail", ("GET",)),
            ("review_return", ("POST",)),
            ("review_decide", ("POST",)),
            ("review_publish", ("POST",)),
            ("review_reopen", ("POST",)),
            ("review_subunits", ("GET", "POST")),
        ],
    ),
    # --- assessments: the Resolution 22 dashboard (any role on the node may read it) ---
    "assessments:dashboard_home": Entry(("GET",), user=lambda w: w.reviewer, no_role=404),
    **{
        f"assessments:{name}": Entry(
            ("GET",),
            user=lambda w: w.reviewer,
            no_role=404,
            kwargs=lambda w, extra=extra: {"org_pk": w.p.district.pk, "year": RATING_YEAR, **extra},
            foreign=lambda w, extra=extra: {
                "org_pk": w.p.other_province.pk,
                "year": RATING_YEAR,
                **extra,
            },
        )
        for name, extra in [
            ("dashboard_detail", {}),
            ("dashboard_trend", {}),
            ("dashboard_list", {"counter": "gro.r2"}),
            ("dashboard_export", {}),
            ("dashboard_chart", {"kind": "cap-do"}),
        ]
    },
    # A unit's explanation of its number (its reports staff) and a target split (the level's).
    "assessments:targetexplanation_save": Entry(
        ("POST",),
        user=lambda w: w.reports,
        no_role=404,
        kwargs=lambda w: _with_catalogue(w.p.district),
        foreign=lambda w: _with_catalogue(w.p.other_province),
        data={"indicator": "gro-good-or-better", "text": "Giải trình thử"},
    ),
    "assessments:indicatortarget_cascade": Entry(
        ("POST",),
        user=lambda w: w.reports,
        no_role=404,
        kwargs=lambda w: {"pk": _target_of(w.p.district)},
        foreign=lambda w: {"pk": _target_of(w.p.other_province)},
        data={"year": "2024"},
    ),
    "assessments:indicatortarget_list": Entry(
        ("GET", "POST"),
        user=lambda w: w.reports,
        no_role=404,
        kwargs=lambda w: {"org_pk": w.p.district.pk},
        foreign=lambda w: {"org_pk": w.p.other_province.pk},
    ),
    # --- assessments: the report centre (anyone may ask for the units they can see) ---
    "assessments:reportjob_list": Entry(("GET",), user=lambda w: w.reports, no_role=200),
    # An empty request re-shows the form with its errors; nothing is queued.
    "assessments:reportjob_create": Entry(("POST",), user=lambda w: w.reports, no_role=200),
    "assessments:reportjob_batch": Entry(("POST",), user=lambda w: w.reports, no_role=200),
    **_object_pages(
        "assessments",
        "report",
        user=lambda w: w.reports,
        pages=[
            ("reportjob_detail", ("GET",)),
            ("reportjob_progress", ("GET",)),
            ("reportjob_download", ("GET",)),
            ("reportjob_retry", ("POST",)),
        ],
    ),
    **_object_pages(
        "assessments", "pieces", user=lambda w: w.reports, pages=[("reportjob_zip", ("GET",))]
    ),
    # Issuing: an empty request re-shows the form with its errors (400); nothing is issued.
    "assessments:document_issue": Entry(
        ("POST",), user=lambda w: w.reports, no_role=400, ok=(400,)
    ),
    # The issue on its way (its requester's page; anyone else's is a 404).
    **_object_pages(
        "assessments",
        "issue_job",
        user=lambda w: w.reports,
        pages=[("issuejob_detail", ("GET",)), ("issuejob_progress", ("GET",))],
    ),
    # --- documents: the register (a user without a role sees an empty register) ---
    "documents:issueddocument_list": Entry(("GET",), user=lambda w: w.reports, no_role=200),
    **_object_pages(
        "documents",
        "document",
        user=lambda w: w.reports,
        pages=[("issueddocument_detail", ("GET",))],
    ),
    "documents:issueddocument_download": Entry(
        ("GET",),
        user=lambda w: w.reports,
        no_role=404,
        kwargs=lambda w: {"pk": w.document.pk, "what": "pdf"},
        foreign=lambda w: {"pk": w.foreign_document.pk, "what": "xlsx"},
    ),
    # An empty upload re-shows the form with its error (400); nothing is stored.
    "documents:signedoriginal_upload": Entry(
        ("POST",),
        user=lambda w: w.reports,
        no_role=404,
        ok=(400,),
        kwargs=lambda w: {"pk": w.document.pk},
        foreign=lambda w: {"pk": w.foreign_document.pk},
    ),
    "documents:signedoriginal_download": Entry(
        ("GET",),
        user=lambda w: w.reports,
        no_role=404,
        kwargs=lambda w: {"pk": w.document.pk, "original_pk": w.document.original.pk},
        foreign=lambda w: {
            "pk": w.foreign_document.pk,
            "original_pk": w.foreign_document.original.pk,
        },
    ),
    # --- assessments: national year settings (superusers: the model permission) ---
    "assessments:ratingyear_list": Entry(("GET",), user=lambda w: w.superuser, no_role=403),
    "assessments:ratinground_import": Entry(
        ("GET", "POST"), user=lambda w: w.superuser, no_role=403
    ),
    "assessments:ratingyear_edit": Entry(
        ("GET", "POST"),
        user=lambda w: w.superuser,
        no_role=403,
        kwargs=lambda w: {"year": RATING_YEAR},
    ),
    # --- assessments: rating inputs (tasks, civil-servant ratings, meetings) ---
    "assessments:member_tasks": Entry(
        ("GET",), user=lambda w: w.secretary, no_role=404, kwargs=_grid, foreign=_foreign_grid
    ),
    **{
        f"assessments:{name}": Entry(
            ("POST",),
            user=lambda w: w.secretary,
            no_role=404,
            kwargs=lambda w: {**_grid(w), "member_pk": w.member.pk},
            foreign=lambda w: {**_foreign_grid(w), "member_pk": w.foreign_member.pk},
        )
        for name in ("assignedtask_create", "civil_servant_rating_edit")
    },
    **{
        f"assessments:{name}": Entry(
            methods,
            user=lambda w: w.secretary,
            no_role=404,
            kwargs=lambda w: {
                **_grid(w),
                "pk": w.member.tasks.get_or_create(year=RATING_YEAR, title="Nhiệm vụ")[0].pk,
            },
            foreign=lambda w: {
                **_foreign_grid(w),
                "pk": w.foreign_member.tasks.get_or_create(year=RATING_YEAR, title="Việc")[0].pk,
            },
        )
        for name, methods in [
            ("assignedtask_edit", ("GET", "POST")),
            ("assignedtask_delete", ("POST",)),
        ]
    },
    **{
        f"assessments:{name}": Entry(
            methods,
            user=lambda w: w.secretary,
            no_role=404,
            kwargs=lambda w, pk=pk: {
                "cell_pk": w.p.other_cell.pk,
                "year": RATING_YEAR,
                **({"pk": _meeting(w.p.other_cell).pk} if pk else {}),
            },
            foreign=lambda w, pk=pk: {
                "cell_pk": w.p.foreign_cell.pk,
                "year": RATING_YEAR,
                **({"pk": _meeting(w.p.foreign_cell).pk} if pk else {}),
            },
        )
        for name, methods, pk in [
            ("cellmeeting_list", ("GET",), False),
            ("cellmeeting_create", ("GET", "POST"), False),
            ("cellmeeting_edit", ("GET", "POST"), True),
            ("cellmeeting_delete", ("POST",), True),
        ]
    },
    # --- assessments: the forms of Hướng dẫn 43 (Mẫu 01, 2A/2B/2C, 03, 04, 05) ---
    **{
        f"assessments:{name}": Entry(
            methods,
            user=lambda w: w.secretary,
            no_role=404,
            kwargs=lambda w, extra=extra: {**_grid(w), **extra(w, w.member)},
            foreign=lambda w, extra=extra: {**_foreign_grid(w), **extra(w, w.foreign_member)},
        )
        for name, methods, extra in [
            ("quarterlyassessment_list", ("GET",), lambda w, m: {}),
            (
                "quarterlyassessment_edit",
                ("GET", "POST"),
                lambda w, m: {"member_pk": m.pk, "quarter": 1},
            ),
            ("quarterlyassessment_pdf", ("GET",), lambda w, m: {"member_pk": m.pk}),
            ("memberform_pdf", ("GET",), lambda w, m: {"member_pk": m.pk}),
            ("collectiveform_pdf", ("GET",), lambda w, m: {}),
            ("dossier_detail", ("GET", "POST"), lambda w, m: {}),
            ("dossier_pdf", ("GET",), lambda w, m: {}),
        ]
    },
    **{
        f"assessments:{name}": Entry(
            methods,
            user=lambda w: w.reviewer,
            no_role=404,
            kwargs=lambda w: {"pk": w.round.pk, "reopening_pk": _reopening(w.round).pk},
            foreign=lambda w: {
                "pk": w.foreign_round.pk,
                "reopening_pk": _reopening(w.foreign_round).pk,
            },
        )
        for name, methods in [("rerating_pdf", ("GET",)), ("rerating_issue", ("POST",))]
    },
    # --- assessments: the deciding level's set-up of the 2025– regime ---
    **{
        f"assessments:{name}": Entry(
            methods,
            user=lambda w: w.reviewer,
            no_role=404,
            kwargs=lambda w, pk=pk: {
                "org_pk": w.p.district.pk,
                "year": RATING_YEAR,
                **({"pk": _peer_group(w.p.district).pk} if pk else {}),
            },
            foreign=lambda w, pk=pk: {
                "org_pk": w.p.other_province.pk,
                "year": RATING_YEAR,
                **({"pk": _peer_group(w.p.other_province).pk} if pk else {}),
            },
            ok=(200, 302, 400),
        )
        for name, methods, pk in [
            ("peergroup_list", ("GET", "POST"), False),
            ("peergroup_detail", ("GET", "POST"), True),
            ("peergroup_delete", ("GET", "POST"), True),
        ]
    },
    "assessments:quotaceiling": Entry(
        ("GET", "POST"),
        user=lambda w: w.reviewer,
        no_role=404,
        kwargs=_grid,
        foreign=_foreign_grid,
        ok=(200, 302, 400),
    ),
    **{
        f"assessments:{name}": Entry(
            methods,
            user=lambda w: w.admin,
            no_role=404,
            kwargs=lambda w, pk=pk: {
                "org_pk": w.p.province.pk,
                "year": RATING_YEAR,
                **({"pk": _points_item(w.p.province).pk} if pk else {}),
            },
            foreign=lambda w, pk=pk: {
                "org_pk": w.p.other_province.pk,
                "year": RATING_YEAR,
                **({"pk": _points_item(w.p.other_province).pk} if pk else {}),
            },
            ok=(200, 302, 400),
        )
        for name, methods, pk in [
            ("pointsitem_list", ("GET", "POST"), False),
            ("pointsitem_edit", ("GET", "POST"), True),
            ("pointsitem_delete", ("GET", "POST"), True),
        ]
    },
    "assessments:collectivescoresheet_edit": Entry(
        ("GET", "POST"),
        user=lambda w: w.secretary,
        no_role=404,
        kwargs=lambda w: {**_grid(w), "stage": "tu-cham"},
        foreign=lambda w: {**_foreign_grid(w), "stage": "tu-cham"},
        ok=(200, 302, 400),
    ),
    "assessments:scoresheet_edit": Entry(
        ("GET", "POST"),
        user=lambda w: w.secretary,
        no_role=404,
        kwargs=lambda w: {**_grid(w), "member_pk": w.member.pk, "stage": "tu-cham"},
        foreign=lambda w: {
            **_foreign_grid(w),
            "member_pk": w.foreign_member.pk,
            "stage": "tu-cham",
        },
        ok=(200, 302, 400),
    ),
}

# Views of a role the in-scope test user lacks: (URL name, world → a user who can see the
# object but lacks the role) → 403, the "in scope, wrong role" half of the matrix.
WRONG_ROLE: dict[str, Callable] = {
    "cells:organization_edit": lambda w: w.reviewer,
    "cells:member_edit": lambda w: w.reviewer,
    "cells:memberevent_create": lambda w: w.reviewer,
    "assessments:review_decide": lambda w: w.secretary,
    "assessments:review_reopen": lambda w: w.secretary,
    "assessments:rerating_issue": lambda w: w.secretary,
    "assessments:quarterlyassessment_edit": lambda w: w.reviewer,
    "accounts:user_list": lambda w: w.secretary,
    "cells:auditentry_list": lambda w: w.reviewer,
    "accounts:totp_enrol": lambda w: w.secretary,
    "assessments:indicatortarget_list": lambda w: w.reviewer,
    "assessments:indicatortarget_cascade": lambda w: w.reviewer,
    "assessments:targetexplanation_save": lambda w: w.reviewer,
    "documents:signedoriginal_upload": lambda w: w.reviewer,
    **{
        f"assessments:{name}": lambda w: w.reviewer
        for name in (
            "assignedtask_create",
            "assignedtask_edit",
            "assignedtask_delete",
            "civil_servant_rating_edit",
            "cellmeeting_create",
            "cellmeeting_edit",
            "cellmeeting_delete",
        )
    },
}


# --- the tests -------------------------------------------------------------------------------

ALL_URL_NAMES = url_names()


@pytest.mark.parametrize("name", [n for n in ALL_URL_NAMES if not _is_group_member(n)])
def test_url_has_matrix_entry(name):
    """Every URL pattern of the project has a permission matrix entry (a new one cannot escape)."""
    assert name in MATRIX, (
        f"URL {name!r} has no entry in tests/test_permission_matrix.py MATRIX: say who may use "
        "it, its methods, and how to build its arguments in scope and in another province."
    )


def test_matrix_has_no_stale_entry():
    """Every matrix entry names a URL that exists (a renamed URL does not leave a dead entry)."""
    stale = sorted(set(MATRIX) - set(ALL_URL_NAMES))
    assert not stale, f"matrix entries without a URL: {stale}"


def _request(client, method: str, url: str, data: dict):
    if method == "GET":
        return client.get(url, data)
    return client.generic(
        method,
        url,
        data="&".join(f"{k}={v}" for k, v in data.items()),
        content_type="application/x-www-form-urlencoded",
    )


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(client, world, name):
    """For each method: anonymous → login; no role → the entry's code; in scope → 200/302;
    another province's object → 404; an unaccepted method → 405."""
    entry = MATRIX[name]
    w = world
    url = reverse(name, kwargs=entry.kwargs(w))
    login_url = reverse("login")
    failures = []
    for method in ("GET", "POST"):
        accepted = method in entry.methods
        client.logout()
        response = _request(client, method, url, entry.data)
        if not entry.public and not (
            response.status_code == 302 and response.url.startswith(login_url)
        ):
            failures.append(f"anonymous {method}: {response.status_code}, not the login page")
        if not accepted:
            client.force_login(entry.user(w))
            response = _request(client, method, url, entry.data)
            if response.status_code != 405:
                failures.append(f"{method} not accepted but answered {response.status_code}")
            continue
        client.force_login(w.nobody)
        response = _request(client, method, url, entry.data)
        if response.status_code != entry.no_role:
            failures.append(f"no role {method}: {response.status_code}, expected {entry.no_role}")
        if response.status_code == 200:
            body = response.content.decode(errors="replace")  # a template is an XLSX
            for secret in (w.p.old_commune.name, w.member.full_name, w.foreign_member.full_name):
                if secret in body:
                    failures.append(f"no role {method}: the page shows {secret!r}")
        client.force_login(entry.user(w))
        response = _request(client, method, url, entry.data)
        if response.status_code not in entry.ok:
            failures.append(f"in scope {method}: {response.status_code}, expected {entry.ok}")
        if entry.foreign is not None:
            foreign_url = reverse(name, kwargs=entry.foreign(w))
            response = _request(client, method, foreign_url, entry.data)
            if response.status_code != 404:
                failures.append(f"other province {method}: {response.status_code}, not 404")
        if name in WRONG_ROLE:
            client.force_login(WRONG_ROLE[name](w))
            response = _request(client, method, url, entry.data)
            if response.status_code != 403:
                failures.append(f"wrong role {method}: {response.status_code}, not 403")
    assert not failures, f"{name}: " + "; ".join(failures)


def test_admin_is_superusers_only(client, world):
    """Django's admin: anonymous and role holders (not staff) go to the admin login; a
    superuser gets the pages; audit entries cannot be added, changed or deleted there."""
    from django.contrib import admin

    from cells.models import AuditEntry

    urls = [reverse("admin:index")] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]
    admin_login = reverse("admin:login")
    for url in urls:
        client.logout()
        response = client.get(url)
        assert response.status_code == 302, url
        client.force_login(world.admin)
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(admin_login), url
        client.force_login(world.superuser)
        assert client.get(url).status_code == 200, url
    entry = AuditEntry.objects.create(action="test")
    client.force_login(world.superuser)
    assert client.get(reverse("admin:cells_auditentry_add")).status_code == 403
    response = client.post(
        reverse("admin:cells_auditentry_change", args=[entry.pk]), {"action": "changed"}
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.action == "test"
    assert client.get(reverse("admin:cells_auditentry_delete", args=[entry.pk])).status_code == 403


# --- rows for moved members (#19, finding 1): before and after the move date ----------------

MOVED_BEFORE_NOTE = "Ghi chú trước khi chuyển"
MOVED_AFTER_NOTE = "Ghi chú sau khi chuyển"


@pytest.fixture
def moved_world(world):
    """w.member leaves other_cell for new_cell 30 days ago; one event on each side."""
    import datetime

    from cells import services as cell_services

    today = datetime.date.today()
    moved_on = today - datetime.timedelta(days=30)
    factories.member_event(
        world.member, "exemption", moved_on - datetime.timedelta(days=90), note=MOVED_BEFORE_NOTE
    )
    cell_services.member_transfer(
        actor=None, member=world.member, cell=world.p.new_cell, on=moved_on
    )
    factories.member_event(
        world.member,
        "discipline",
        today - datetime.timedelta(days=3),
        discipline_form="reprimand",
        note=MOVED_AFTER_NOTE,
    )
    world.new_secretary = _user("thu-ky-an-hoa", world.p.new_cell, Role.SECRETARY)
    return world


# (viewer, what they should read of the member's record) — the former cell and commune keep
# the time before the move, the new cell and the province above both see everything.
MOVED_ROWS = [
    ("cell_secretary", {MOVED_BEFORE_NOTE: True, MOVED_AFTER_NOTE: False}),
    ("secretary", {MOVED_BEFORE_NOTE: True, MOVED_AFTER_NOTE: False}),
    ("new_secretary", {MOVED_BEFORE_NOTE: True, MOVED_AFTER_NOTE: True}),
    ("admin", {MOVED_BEFORE_NOTE: True, MOVED_AFTER_NOTE: True}),
]


@pytest.mark.parametrize(("viewer", "expected"), MOVED_ROWS, ids=[r[0] for r in MOVED_ROWS])
def test_permission_matrix_moved_member(client, moved_world, viewer, expected):
    """A moved member's page shows each viewer the events of the dates they may see, and the
    new cell's page is theirs only if it is in their subtree."""
    w = moved_world
    client.force_login(getattr(w, viewer))
    body = client.get(reverse("cells:member_detail", args=[w.member.pk])).content.decode()
    assert {note: note in body for note in expected} == expected
    new_cell_page = client.get(reverse("cells:organization_detail", args=[w.p.new_cell.pk]))
    former = not expected[MOVED_AFTER_NOTE]
    assert (new_cell_page.status_code == 404) == former


# --- rows for structural fields (#19, finding 2) --------------------------------------------


def _org_form(node, **changes) -> dict:
    data = {
        "name": node.name,
        "code": node.code,
        "type": node.type,
        "established_on": node.established_on.strftime("%d/%m/%Y") if node.established_on else "",
        "dissolved_on": node.dissolved_on.strftime("%d/%m/%Y") if node.dissolved_on else "",
        "successor": node.successor.code if node.successor_id else "",
        "document_abbreviation": node.document_abbreviation,
    }
    if node.is_grassroots:
        data["is_grassroots"] = "on"
    data.update(changes)
    return data


# (editor, node, field → posted value, may change it)
STRUCTURE_ROWS = [
    ("cell_secretary", "other_cell", {"type": "grassroots_cell"}, False),
    ("cell_secretary", "other_cell", {"code": "BG-PA-AH-C99"}, False),
    ("secretary", "other_cell", {"is_grassroots": "on"}, False),
    ("secretary", "old_commune", {"dissolved_on": ""}, False),
    ("commune_admin", "old_commune", {"type": "province"}, False),
    ("commune_admin", "other_cell", {"type": "grassroots_cell"}, True),
    ("commune_admin", "other_cell", {"successor": "BG-PA-AH-C01"}, True),
    ("admin", "province", {"type": "central_city"}, False),
    ("admin", "old_commune", {"code": "BG-PA-AH2"}, True),
]


@pytest.mark.parametrize(
    ("editor", "node", "change", "allowed"),
    STRUCTURE_ROWS,
    ids=[f"{r[0]}-{r[1]}-{next(iter(r[2]))}" for r in STRUCTURE_ROWS],
)
def test_permission_matrix_structure_fields(client, world, editor, node, change, allowed):
    """Type, grassroots flag, dissolution, successor and code change only by an administrator
    a level above the node; anyone else's post leaves them as they were."""
    w = world
    w.commune_admin = _user("quan-tri-xa", w.p.old_commune, Role.ADMIN)
    organization = getattr(w.p, node)
    field = next(iter(change))
    attname = "successor_id" if field == "successor" else field
    before = getattr(organization, attname)
    client.force_login(getattr(w, editor))
    response = client.post(
        reverse("cells:organization_edit", args=[organization.pk]),
        _org_form(organization, **change),
    )
    assert response.status_code in (200, 302)
    organization.refresh_from_db()
    assert (getattr(organization, attname) != before) == allowed
