"""Django admin for the assessments app: a technical back office for administrators.

Ratings and rounds change only through assessments.services (which lock, check the rules and
audit), so here they are read-only. Per-year settings, tasks and meetings are plain data.
"""

from django.contrib import admin

from .models import (
    AssignedTask,
    CellMeeting,
    MemberCategory,
    MemberRating,
    OrganizationRating,
    PeerGroup,
    PointsItem,
    QuotaCeilingDecision,
    RatingRound,
    RatingYear,
    ScoreSheet,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Visible for support, never edited here: a change would bypass the rules and the audit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RatingYear)
class RatingYearAdmin(admin.ModelAdmin):
    list_display = ["year", "entry_deadline", "quota_numerator", "quota_denominator", "quota_scope"]


@admin.register(RatingRound)
class RatingRoundAdmin(ReadOnlyAdmin):
    list_display = ["organization", "year", "scheme_code", "state", "version", "updated_at"]
    list_filter = ["year", "state", "scheme_code"]
    search_fields = ["organization__name", "organization__code"]
    list_select_related = ["organization"]


@admin.register(MemberRating)
class MemberRatingAdmin(ReadOnlyAdmin):
    list_display = ["member", "year", "cell", "proposed_level", "decided_level", "not_rated_reason"]
    list_filter = ["year", "decided_level", "not_rated_reason"]
    search_fields = ["member__full_name", "member__record_number"]
    list_select_related = ["member", "cell"]


@admin.register(OrganizationRating)
class OrganizationRatingAdmin(ReadOnlyAdmin):
    list_display = ["organization", "year", "proposed_level", "decided_level", "is_exemplary"]
    list_filter = ["year", "decided_level"]
    search_fields = ["organization__name", "organization__code"]
    list_select_related = ["organization"]


@admin.register(AssignedTask)
class AssignedTaskAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "member", "organization", "result"]
    list_filter = ["year", "result"]
    search_fields = ["title", "member__full_name", "organization__name"]
    raw_id_fields = ["member", "organization"]
    list_select_related = ["member", "organization"]


@admin.register(CellMeeting)
class CellMeetingAdmin(admin.ModelAdmin):
    list_display = ["cell", "held_on", "kind", "topic", "attended", "expected"]
    list_filter = ["kind"]
    search_fields = ["cell__name", "topic"]
    raw_id_fields = ["cell"]
    list_select_related = ["cell"]


# --- The 2025– regime (Quy định 366, Hướng dẫn 43) ---------------------------------------------
@admin.register(PointsItem)
class PointsItemAdmin(admin.ModelAdmin):
    """The province's criteria items: plain data, edited by an administrator."""

    list_display = ["province", "year", "part", "order", "name", "max_points", "scoring"]
    list_filter = ["year", "part", "scoring"]


@admin.register(PeerGroup)
class PeerGroupAdmin(admin.ModelAdmin):
    list_display = ["owner", "year", "code", "name", "subject", "rule_category", "rule_posts"]
    list_filter = ["year", "subject"]
    search_fields = ["code", "name", "owner__name"]


@admin.register(MemberCategory, QuotaCeilingDecision, ScoreSheet)
class RegimeFactAdmin(ReadOnlyAdmin):
    """Recorded through the services (they audit); visible here for support."""
