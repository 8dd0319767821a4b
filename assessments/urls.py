from django.urls import path

from .views import grid, review, settings

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
    path("duyet/vong/<int:pk>/", review.ReviewDetailView.as_view(), name="review_detail"),
    path("duyet/vong/<int:pk>/tra-lai/", review.ReviewReturnView.as_view(), name="review_return"),
    path(
        "duyet/vong/<int:pk>/quyet-dinh/", review.ReviewDecideView.as_view(), name="review_decide"
    ),
    path(
        "duyet/vong/<int:pk>/cong-bo/", review.ReviewPublishView.as_view(), name="review_publish"
    ),
    path("duyet/vong/<int:pk>/mo-lai/", review.ReviewReopenView.as_view(), name="review_reopen"),
    path("nam/", settings.RatingYearListView.as_view(), name="ratingyear_list"),
    path("nam/<int:year>/sua/", settings.RatingYearEditView.as_view(), name="ratingyear_edit"),
]
