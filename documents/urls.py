from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.IssuedDocumentListView.as_view(), name="issueddocument_list"),
    path("<int:pk>/", views.IssuedDocumentDetailView.as_view(), name="issueddocument_detail"),
    path(
        "<int:pk>/tai-ve/<str:what>/",
        views.IssuedDocumentDownloadView.as_view(),
        name="issueddocument_download",
    ),
    path(
        "<int:pk>/ban-ky/",
        views.SignedOriginalUploadView.as_view(),
        name="signedoriginal_upload",
    ),
    path(
        "<int:pk>/ban-ky/<int:original_pk>/",
        views.SignedOriginalDownloadView.as_view(),
        name="signedoriginal_download",
    ),
]
