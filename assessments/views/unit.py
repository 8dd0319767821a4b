"""What every page about one unit's rating year loads first (entry grid, tasks, meetings)."""

from django.http import Http404

from assessments import permissions, schemes, selectors
from assessments.year_services import rating_year_range
from cells import selectors as cells_selectors


class UnitYearMixin:
    """Loads the unit (scoped: another unit is a 404), its grassroots organization, the year
    (one of the rating years) and that year's scheme, and whether the user may enter ratings."""

    def load_unit_year(self, pk) -> None:
        user = self.request.user
        self.organization = cells_selectors.organization_get(user=user, pk=pk)
        self.year = self.kwargs["year"]
        if self.year not in rating_year_range():
            raise Http404
        self.grassroots = selectors.grassroots_for(self.organization)
        if self.grassroots is None:
            raise Http404
        # The year's settings read once: the grid's reads share them (selectors.scheme_for
        # would read them again).
        self.setting = selectors.year_setting(self.year)
        self.scheme = selectors.with_quota_overrides(
            schemes.scheme_for_year(self.year), self.setting
        )
        self.can_enter = permissions.can_enter_ratings(user, self.grassroots)

    def unit_ancestors(self) -> list:
        """The unit's ancestors the user can see, for the breadcrumbs."""
        return cells_selectors.organization_ancestors_visible(
            user=self.request.user, organizations=[self.organization]
        )[self.organization.pk]
