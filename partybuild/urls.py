"""Top-level URL configuration."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from cells.forms import LoginForm
from cells.views import accounts
from partybuild import health

account_patterns = [
    path("mat-khau/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("nguoi-dung/", accounts.UserListView.as_view(), name="user_list"),
    path(
        "nguoi-dung/<int:pk>/dat-lai-mat-khau/",
        accounts.UserPasswordResetView.as_view(),
        name="user_password_reset",
    ),
    path("xac-thuc-hai-buoc/", accounts.TOTPEnrolView.as_view(), name="totp_enrol"),
    path("xac-thuc-hai-buoc/ma/", accounts.TOTPVerifyView.as_view(), name="totp_verify"),
    path("nhap-thay/", accounts.OnBehalfView.as_view(), name="on_behalf"),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", RedirectView.as_view(pattern_name="cells:organization_tree"), name="home"),
    path(
        "dang-nhap/",
        auth_views.LoginView.as_view(authentication_form=LoginForm),
        name="login",
    ),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("tai-khoan/", include((account_patterns, "accounts"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("to-chuc/", include("cells.urls")),
    path("xep-loai/", include("assessments.urls")),
    path("van-ban/", include("documents.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
