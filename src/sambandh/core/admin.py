"""Django admin for configuration only (users, teams, roles, custom fields); not the product UI.

Admin writes are audited like every other write: each save and delete leaves a hash-chained
entry with the changed fields (passwords only as "changed").
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models, transaction
from django.http import HttpRequest

from sambandh.core import services
from sambandh.core.audit import audit_record
from sambandh.core.errors import ValidationError
from sambandh.core.models import (
    ApiToken,
    AuditEntry,
    CustomFieldDefinition,
    FieldGrant,
    Grant,
    OrganisationSettings,
    Role,
    Team,
    User,
)
from sambandh.core.permissions import forget_grants
from sambandh.core.records import jsonable


def _changes(form: forms.ModelForm[Any], change: bool) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in form.changed_data:
        if "password" in name:
            result["password"] = "changed"  # noqa: S105 - a marker, never the value
            continue
        before = form.initial.get(name) if change else None
        result[name] = [jsonable(before), jsonable(form.cleaned_data.get(name))]
    return result


class AuditedAdmin(admin.ModelAdmin[Any]):
    object_type = ""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                action="update" if change else "create",
                object_type=self.object_type,
                object_id=obj.pk,
                object_repr=str(obj),
                changes=_changes(form, change),
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                action="delete",
                object_type=self.object_type,
                object_id=obj.pk,
                object_repr=str(obj),
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            for inline_form in formset.forms:
                if inline_form.has_changed() and inline_form.instance.pk:
                    audit_record(
                        actor=request.user,  # type: ignore[arg-type]
                        action="update",
                        object_type=self.object_type,
                        object_id=form.instance.pk,
                        object_repr=str(inline_form.instance),
                        changes=_changes(inline_form, True),
                    )


def _is_crm_administrator(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and isinstance(user, User) and user.is_administrator)


# The admin is for administrators by role; Django's is_staff flag is not part of our model.
admin.site.has_permission = _is_crm_administrator  # type: ignore[method-assign]
admin.site.site_header = "Sambandh"


class GrantInline(admin.TabularInline[Grant, Role]):
    model = Grant
    extra = 0


class FieldGrantInline(admin.TabularInline[FieldGrant, Role]):
    model = FieldGrant
    extra = 0


@admin.register(Role)
class RoleAdmin(AuditedAdmin):
    object_type = "role"
    list_display = ["name", "is_admin", "is_system"]
    inlines = [GrantInline, FieldGrantInline]


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    object_type = "team"
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]


@admin.register(User)
class UserAdmin(BaseUserAdmin[User], AuditedAdmin):
    object_type = "user"
    list_display = ["username", "email", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "teams", "is_active"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("Sambandh", {"fields": ("role", "teams", "language", "time_zone")}),
    )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        forget_grants(obj)


class CustomFieldForm(forms.ModelForm[CustomFieldDefinition]):
    """Runs the same validation as the service, so admin and API accept the same definitions."""

    class Meta:
        model = CustomFieldDefinition
        fields = [
            "object_type", "key", "label_en", "label_hi", "field_type", "is_required",
            "is_sensitive", "choices", "min_value", "max_value", "max_length", "position",
            "is_active",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        data = {k: v for k, v in cleaned.items() if k in self.Meta.fields}
        current = self.instance if self.instance.pk else None
        if current is not None:
            data = {k: v for k, v in data.items() if k in self.changed_data}
        try:
            services.validate_custom_field(data, current)
        except ValidationError as exc:
            for name, messages in exc.fields.items():
                self.add_error(name if name in self.fields else None, messages)
        return cleaned


@admin.register(CustomFieldDefinition)
class CustomFieldAdmin(AuditedAdmin):
    object_type = "custom_field"
    form = CustomFieldForm
    list_display = ["object_type", "key", "label_en", "label_hi", "field_type", "is_required"]
    list_filter = ["object_type", "field_type"]


@admin.register(OrganisationSettings)
class OrganisationSettingsAdmin(AuditedAdmin):
    object_type = "organisation"
    list_display = ["name", "base_currency", "default_language", "time_zone", "country"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    """Tokens are made (the secret shown once) and revoked through the API; here an
    administrator sees them and may give one its own rate limit."""

    object_type = "api_token"
    list_display = ["name", "user", "prefix", "scopes", "rate_limit", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    fields = ["name", "user", "prefix", "scopes", "rate_limit", "created_at", "last_used_at"]
    readonly_fields = ["name", "user", "prefix", "scopes", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Read-only: the audit trail is append-only."""

    list_display = ["seq", "at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
