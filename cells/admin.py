"""Django admin for the cells app: a technical back office for administrators.

Day-to-day changes go through the app's screens (and so through cells.services, which
audit them). Here the tree's own columns stay read-only, units are added from the app
(treebeard must compute their place), and the audit trail cannot be changed at all.
"""

from django.contrib import admin

from .models import (
    AuditEntry,
    CellFollower,
    Member,
    MemberEvent,
    Membership,
    Organization,
    OrganizationDiscipline,
    Post,
    ResidentialUnit,
    RoleAssignment,
    Term,
)


class TermInline(admin.TabularInline):
    model = Term
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "type",
        "is_grassroots",
        "established_on",
        "dissolved_on",
        "successor",
    ]
    list_filter = ["type", "is_grassroots", ("dissolved_on", admin.EmptyFieldListFilter)]
    search_fields = ["name", "code"]
    ordering = ["path"]
    readonly_fields = ["path", "depth", "numchild"]
    raw_id_fields = ["successor"]
    list_select_related = ["successor"]
    inlines = [TermInline]

    def has_add_permission(self, request):
        # A node's path is computed by treebeard from its parent: add units in the app.
        return False


@admin.register(ResidentialUnit)
class ResidentialUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "commune", "cell"]
    list_filter = ["kind"]
    search_fields = ["name", "commune__name", "cell__name"]
    raw_id_fields = ["commune", "cell"]
    list_select_related = ["commune", "cell"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["organization"]


class MemberEventInline(admin.TabularInline):
    model = MemberEvent
    extra = 0


class PostInline(admin.TabularInline):
    model = Post
    extra = 0
    raw_id_fields = ["organization"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = [
        "full_name",
        "record_number",
        "gender",
        "birth_date",
        "admitted_on",
        "full_member_on",
    ]
    list_filter = ["gender", "professional_level", "political_theory"]
    search_fields = ["full_name", "record_number", "card_number"]
    ordering = ["name_sort_key"]
    inlines = [MembershipInline, MemberEventInline, PostInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["member", "organization", "kind", "start", "end"]
    list_filter = ["kind"]
    search_fields = ["member__full_name", "member__record_number", "organization__code"]
    raw_id_fields = ["member", "organization"]
    list_select_related = ["member", "organization"]


@admin.register(MemberEvent)
class MemberEventAdmin(admin.ModelAdmin):
    list_display = ["member", "kind", "start", "end", "discipline_form"]
    list_filter = ["kind", "discipline_form"]
    search_fields = ["member__full_name", "member__record_number"]
    raw_id_fields = ["member"]
    list_select_related = ["member"]
    date_hierarchy = "start"


@admin.register(OrganizationDiscipline)
class OrganizationDisciplineAdmin(admin.ModelAdmin):
    """Disciplines of committees and organizations (O3/O4); also imported as su_kien_to_chuc."""

    list_display = ["organization", "target", "form", "decided_on", "deciding_body"]
    list_filter = ["target", "form"]
    search_fields = ["organization__name", "organization__code"]
    raw_id_fields = ["organization", "created_by"]
    list_select_related = ["organization"]
    date_hierarchy = "decided_on"


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["member", "title", "kind", "organization", "start", "end", "is_hamlet_head"]
    list_filter = ["kind", "is_hamlet_head"]
    search_fields = ["member__full_name", "title"]
    raw_id_fields = ["member", "organization"]
    list_select_related = ["member", "organization"]


@admin.register(CellFollower)
class CellFollowerAdmin(admin.ModelAdmin):
    list_display = ["member", "cell", "start", "end"]
    search_fields = ["member__full_name", "cell__name", "cell__code"]
    raw_id_fields = ["member", "cell"]
    list_select_related = ["member", "cell"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "start", "end"]
    list_filter = ["role"]
    search_fields = ["user__username", "organization__name", "organization__code"]
    raw_id_fields = ["organization"]
    list_select_related = ["user", "organization"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail: searchable, never editable (written only by services)."""

    list_display = ["created_at", "actor", "action", "object_repr", "organization"]
    list_filter = ["action", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["object_repr", "object_id", "actor__username", "action"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "organization"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
