from django.urls import path

from .views import grid

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
]
