from django.urls import path

from .views import (
    dashboard,
    documents,
    grid,
    history,
    indicators_admin,
    inputs,
    official_forms,
    peer_groups,
    reports,
    review,
    review_round,
    review_subunits,
    score_items,
    settings,
)

app_name = "assessments"

urlpatterns = [
    # --- entry grid (secretary) ---
    path("don-vi/<int:org_pk>/<int:year>/", grid.RatingGridView.as_view(), name="rating_grid"),
    path(
        "don-vi/<int:org_pk>/<int:year>/kiem-tra/",
        grid.RatingGridCheckView.as_view(),
        name="rating_grid_check",
    ),
    path(
        "don-vi/<int:org_pk>/<int:year>/in/",
        grid.RatingGridPrintView.as_view(),
        name="rating_grid_print",
    ),
    # --- review (upper committee) ---
    path("duyet/", review.ReviewHomeView.as_view(), name="review_home"),
    path("duyet/<int:org_pk>/<int:year>/", review.ReviewListView.as_view(), name="review_list"),
    path("duyet/vong/<int:pk>/", review_round.ReviewDetailView.as_view(), name="review_detail"),
    path(
        "duyet/vong/<int:pk>/tra-lai/",
        review_round.ReviewReturnView.as_view(),
        name="review_return",
    ),
    path(
        "duyet/vong/<int:pk>/quyet-dinh/",
        review_round.ReviewDecideView.as_view(),
        name="review_decide",
    ),
    path(
        "duyet/vong/<int:pk>/cong-bo/",
        review_round.ReviewPublishView.as_view(),
        name="review_publish",
    ),
    path(
        "duyet/vong/<int:pk>/mo-lai/", review_round.ReviewReopenView.as_view(), name="review_reopen"
    ),
    path(
        "duyet/vong/<int:pk>/chi-bo/",
        review_subunits.ReviewSubunitsView.as_view(),
        name="review_subunits",
    ),
    path(
        "duyet/nhap-ket-qua-da-quyet-dinh/",
        history.RatingRoundImportView.as_view(),
        name="ratinground_import",
    ),
    path("nam/", settings.RatingYearListView.as_view(), name="ratingyear_list"),
    path("nam/<int:year>/sua/", settings.RatingYearEditView.as_view(), name="ratingyear_edit"),
    # --- Resolution 22 dashboard ---
    path("chi-tieu/", dashboard.DashboardHomeView.as_view(), name="dashboard_home"),
    path(
        "chi-tieu/<int:org_pk>/<int:year>/",
        dashboard.DashboardDetailView.as_view(),
        name="dashboard_detail",
    ),
    path(
        "chi-tieu/<int:org_pk>/<int:year>/xu-huong/",
        dashboard.DashboardTrendView.as_view(),
        name="dashboard_trend",
    ),
    path(
        "chi-tieu/<int:org_pk>/<int:year>/danh-sach/<str:counter>/",
        dashboard.DashboardListView.as_view(),
        name="dashboard_list",
    ),
    path(
        "chi-tieu/<int:org_pk>/<int:year>/xuat/",
        dashboard.DashboardExportView.as_view(),
        name="dashboard_export",
    ),
    path(
        "chi-tieu/<int:org_pk>/<int:year>/bieu-do/<str:kind>.svg",
        dashboard.DashboardChartView.as_view(),
        name="dashboard_chart",
    ),
    path(
        "chi-tieu/<int:org_pk>/<int:year>/giai-trinh/",
        indicators_admin.TargetExplanationView.as_view(),
        name="targetexplanation_save",
    ),
    path(
        "chi-tieu/muc-tieu/<int:pk>/chia/",
        indicators_admin.IndicatorTargetCascadeView.as_view(),
        name="indicatortarget_cascade",
    ),
    path(
        "chi-tieu/muc-tieu/<int:org_pk>/",
        indicators_admin.IndicatorTargetListView.as_view(),
        name="indicatortarget_list",
    ),
    # --- reports ---
    path("bao-cao/", reports.ReportJobListView.as_view(), name="reportjob_list"),
    path("bao-cao/moi/", reports.ReportJobCreateView.as_view(), name="reportjob_create"),
    path("bao-cao/ca-tinh/", reports.ReportJobBatchCreateView.as_view(), name="reportjob_batch"),
    path("bao-cao/<int:pk>/", reports.ReportJobDetailView.as_view(), name="reportjob_detail"),
    path("bao-cao/phat-hanh/", documents.DocumentIssueView.as_view(), name="document_issue"),
    path(
        "bao-cao/phat-hanh/<int:pk>/",
        documents.IssueJobDetailView.as_view(),
        name="issuejob_detail",
    ),
    path(
        "bao-cao/phat-hanh/<int:pk>/tien-do/",
        documents.IssueJobProgressView.as_view(),
        name="issuejob_progress",
    ),
    path(
        "bao-cao/<int:pk>/tien-do/",
        reports.ReportJobProgressView.as_view(),
        name="reportjob_progress",
    ),
    path(
        "bao-cao/<int:pk>/tai-ve/",
        reports.ReportJobDownloadView.as_view(),
        name="reportjob_download",
    ),
    path("bao-cao/<int:pk>/theo-chi-bo/", reports.ReportJobZipView.as_view(), name="reportjob_zip"),
    path("bao-cao/<int:pk>/thu-lai/", reports.ReportJobRetryView.as_view(), name="reportjob_retry"),
    # --- rating inputs (tasks, civil-servant ratings, meetings) ---
    path(
        "don-vi/<int:org_pk>/<int:year>/nhiem-vu/",
        inputs.MemberTasksView.as_view(),
        name="member_tasks",
    ),
    path(
        "don-vi/<int:org_pk>/<int:year>/nhiem-vu/dang-vien/<int:member_pk>/them/",
        inputs.AssignedTaskCreateView.as_view(),
        name="assignedtask_create",
    ),
    path(
        "don-vi/<int:org_pk>/<int:year>/nhiem-vu/<int:pk>/sua/",
        inputs.AssignedTaskEditView.as_view(),
        name="assignedtask_edit",
    ),
    path(
        "don-vi/<int:org_pk>/<int:year>/nhiem-vu/<int:pk>/xoa/",
        inputs.AssignedTaskDeleteView.as_view(),
        name="assignedtask_delete",
    ),
    path(
        "don-vi/<int:org_pk>/<int:year>/nhiem-vu/dang-vien/<int:member_pk>/cong-chuc/",
        inputs.CivilServantRatingView.as_view(),
        name="civil_servant_rating_edit",
    ),
    path(
        "chi-bo/<int:cell_pk>/<int:year>/sinh-hoat/",
        inputs.CellMeetingListView.as_view(),
        name="cellmeeting_list",
    ),
    path(
        "chi-bo/<int:cell_pk>/<int:year>/sinh-hoat/them/",
        inputs.CellMeetingCreateView.as_view(),
        name="cellmeeting_create",
    ),
    path(
        "chi-bo/<int:cell_pk>/<int:year>/sinh-hoat/<int:pk>/sua/",
        inputs.CellMeetingEditView.as_view(),
        name="cellmeeting_edit",
    ),
    path(
        "chi-bo/<int:cell_pk>/<int:year>/sinh-hoat/<int:pk>/xoa/",
        inputs.CellMeetingDeleteView.as_view(),
        name="cellmeeting_delete",
    ),
    # --- the forms of Hướng dẫn 43 (Mẫu 01, 2A/2B/2C, 03, 04, 05) ---
    path(
        "don-vi/<int:org_pk>/<int:year>/tu-danh-gia-quy/",
        official_forms.QuarterlyAssessmentListView.as_view(),
        name="quarterlyassessment_list",
    ),
    path(
        "don-vi/<int:org_pk>/<int:year>/tu-danh-gia-quy/<int:member_pk>/quy-<int:quarter>/",
        official_forms.QuarterlyAssessmentEditView.as_view(),
        name="quarterlyassessment_edit",
    ),
    path(
        "don-vi/<int:org_pk>/<int:year>/dang-vien/<int:member_pk>/ban-kiem-diem.pdf",
        official_forms.MemberFormPdfView.as_view(),
        name="memberform_pdf",
    ),
    path(
        "don-vi/<int:org_pk>/<int:year>/dang-vien/<int:member_pk>/mau-05.pdf",
        official_forms.QuarterlyPdfView.as_view(),
        name="quarterlyassessment_pdf",
    ),
    path(
        "don-vi/<int:org_pk>/<int:year>/mau-01.pdf",
        official_forms.CollectiveFormPdfView.as_view(),
        name="collectiveform_pdf",
    ),
    path(
        "don-vi/<int:org_pk>/<int:year>/ho-so/",
        official_forms.DossierDetailView.as_view(),
        name="dossier_detail",
    ),
    path(
        "don-vi/<int:org_pk>/<int:year>/ho-so/mau-04.pdf",
        official_forms.DossierPdfView.as_view(),
        name="dossier_pdf",
    ),
    path(
        "duyet/vong/<int:pk>/mau-03/<int:reopening_pk>.pdf",
        official_forms.ReratingPdfView.as_view(),
        name="rerating_pdf",
    ),
    path(
        "duyet/vong/<int:pk>/mau-03/<int:reopening_pk>/ban-hanh/",
        official_forms.ReratingIssueView.as_view(),
        name="rerating_issue",
    ),
    # --- the deciding level's set-up of the 2025– regime (peer groups, 25%, criteria items) ---
    path(
        "nhom-doi-tuong/<int:org_pk>/<int:year>/",
        peer_groups.PeerGroupListView.as_view(),
        name="peergroup_list",
    ),
    path(
        "nhom-doi-tuong/<int:org_pk>/<int:year>/<int:pk>/",
        peer_groups.PeerGroupDetailView.as_view(),
        name="peergroup_detail",
    ),
    path(
        "nhom-doi-tuong/<int:org_pk>/<int:year>/<int:pk>/xoa/",
        peer_groups.PeerGroupDeleteView.as_view(),
        name="peergroup_delete",
    ),
    path(
        "tran-ty-le/<int:org_pk>/<int:year>/",
        peer_groups.QuotaCeilingView.as_view(),
        name="quotaceiling",
    ),
    path(
        "tieu-chi-diem/<int:org_pk>/<int:year>/",
        score_items.PointsItemListView.as_view(),
        name="pointsitem_list",
    ),
    path(
        "tieu-chi-diem/<int:org_pk>/<int:year>/<int:pk>/sua/",
        score_items.PointsItemEditView.as_view(),
        name="pointsitem_edit",
    ),
    path(
        "tieu-chi-diem/<int:org_pk>/<int:year>/<int:pk>/xoa/",
        score_items.PointsItemDeleteView.as_view(),
        name="pointsitem_delete",
    ),
    path(
        "don-vi/<int:org_pk>/<int:year>/dang-vien/<int:member_pk>/phieu-diem/<str:stage>/",
        score_items.ScoreSheetEditView.as_view(),
        name="scoresheet_edit",
    ),
    path(
        "don-vi/<int:org_pk>/<int:year>/phieu-diem-tap-the/<str:stage>/",
        score_items.CollectiveScoreSheetEditView.as_view(),
        name="collectivescoresheet_edit",
    ),
]
