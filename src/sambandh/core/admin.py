"""Django admin for configuration only (users, teams, roles, custom fields); not the product UI."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from sambandh.core.models import (
    AuditEntry,
    CustomFieldDefinition,
    FieldGrant,
    Grant,
    OrganisationSettings,
    Role,
    Team,
    User,
)


class GrantInline(admin.TabularInline[Grant, Role]):
    model = Grant
    extra = 0


class FieldGrantInline(admin.TabularInline[FieldGrant, Role]):
    model = FieldGrant
    extra = 0


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin[Role]):
    list_display = ["name", "is_admin", "is_system"]
    inlines = [GrantInline, FieldGrantInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ["username", "email", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "teams", "is_active"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("Sambandh", {"fields": ("role", "teams", "language", "time_zone")}),
    )


@admin.register(CustomFieldDefinition)
class CustomFieldAdmin(admin.ModelAdmin[CustomFieldDefinition]):
    list_display = [
        "object_type",
        "key",
        "label_en",
        "label_hi",
        "field_type",
        "is_required",
        "is_sensitive",
        "is_active",
    ]
    list_filter = ["object_type", "field_type"]


@admin.register(OrganisationSettings)
class OrganisationSettingsAdmin(admin.ModelAdmin[OrganisationSettings]):
    list_display = ["name", "base_currency", "default_language", "time_zone", "country"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Read-only: the audit trail is append-only."""

    list_display = ["seq", "at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
