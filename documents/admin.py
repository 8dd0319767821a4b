"""Django admin: the trust roots are administered here; the register is read-only."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from . import services
from .models import DocumentNumber, IssuedDocument, SignedOriginal, TrustRoot


@admin.register(TrustRoot)
class TrustRootAdmin(admin.ModelAdmin):
    list_display = ["name", "subject", "not_after", "is_active", "created_at"]
    list_filter = ["is_active"]
    readonly_fields = ["fingerprint_sha256", "subject", "not_after", "created_at"]
    fields = ["name", "certificate_pem", "is_active", *readonly_fields]

    def save_model(self, request, obj, form, change):
        # The certificate's own facts are read from it (never typed in), through the service.
        try:
            root = services.trustroot_load(
                actor=request.user, name=obj.name, content=obj.certificate_pem.encode()
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return
        if not obj.is_active:
            root.is_active = False
            root.save(update_fields=["is_active"])
        obj.pk = root.pk


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "organization", "year", "state", "issued_at"]
    list_filter = ["state", "kind", "year"]
    search_fields = ["number", "title", "organization__name"]


@admin.register(SignedOriginal)
class SignedOriginalAdmin(ReadOnlyAdmin):
    list_display = ["document", "signer_name", "organization_name", "signed_at", "uploaded_at"]


@admin.register(DocumentNumber)
class DocumentNumberAdmin(ReadOnlyAdmin):
    list_display = ["organization", "term", "year", "document_type", "next_number"]
