from django.urls import path

from .views import organizations

app_name = "cells"

urlpatterns = [
    path("", organizations.OrganizationTreeView.as_view(), name="organization_tree"),
]
