from django.urls import path

from .views import audit, imports, members, organizations

app_name = "cells"

urlpatterns = [
    # --- organization tree, organization and member pages, forms ---
    path("", organizations.OrganizationTreeView.as_view(), name="organization_tree"),
    path("tim-kiem/", organizations.OrganizationSearchView.as_view(), name="organization_search"),
    path("<int:pk>/", organizations.OrganizationDetailView.as_view(), name="organization_detail"),
    path(
        "<int:pk>/con/",
        organizations.OrganizationChildrenView.as_view(),
        name="organization_children",
    ),
    path(
        "<int:parent_pk>/them/",
        organizations.OrganizationCreateView.as_view(),
        name="organization_create",
    ),
    path("<int:pk>/sua/", organizations.OrganizationEditView.as_view(), name="organization_edit"),
    path("<int:cell_pk>/dang-vien/them/", members.MemberCreateView.as_view(), name="member_create"),
    path("dang-vien/<int:pk>/", members.MemberDetailView.as_view(), name="member_detail"),
    path("dang-vien/<int:pk>/sua/", members.MemberEditView.as_view(), name="member_edit"),
    path(
        "dang-vien/<int:pk>/su-kien/them/",
        members.MemberEventCreateView.as_view(),
        name="memberevent_create",
    ),
    # --- interchange imports (upload → preview → confirm) ---
    path("nhap/", imports.ImportJobListView.as_view(), name="importjob_list"),
    path("nhap/moi/", imports.ImportJobCreateView.as_view(), name="importjob_create"),
    path(
        "nhap/mau/<str:kind>/", imports.ImportJobTemplateView.as_view(), name="importjob_template"
    ),
    path("nhap/<int:pk>/", imports.ImportJobDetailView.as_view(), name="importjob_detail"),
    path(
        "nhap/<int:pk>/tien-do/", imports.ImportJobProgressView.as_view(), name="importjob_progress"
    ),
    path(
        "nhap/<int:pk>/xac-nhan/", imports.ImportJobConfirmView.as_view(), name="importjob_confirm"
    ),
    path("nhap/<int:pk>/thu-lai/", imports.ImportJobRetryView.as_view(), name="importjob_retry"),
    path(
        "nhap/<int:pk>/xac-nhan-dong/",
        imports.ImportJobConfirmRowsView.as_view(),
        name="importjob_confirm_rows",
    ),
    # --- audit trail (administrators, read-only) ---
    path("nhat-ky/", audit.AuditEntryListView.as_view(), name="auditentry_list"),
]
