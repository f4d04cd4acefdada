"""Django admin for sales configuration: pipelines and their stages (audited like every write).

Deals are not edited here: the product UI and the API go through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _

from sambandh.core.admin import AuditedAdmin
from sambandh.core.models import ObjectType
from sambandh.sales.models import Pipeline, Stage


class StageFormSet(forms.BaseInlineFormSet[Stage, Pipeline, forms.ModelForm[Stage]]):
    """A pipeline needs at least one open stage (new deals start in the first one)."""

    def clean(self) -> None:
        super().clean()
        open_stages = 0
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            if data.get("is_won") and data.get("is_lost"):
                form.add_error("is_lost", _("A stage cannot be both won and lost."))
            if not data.get("is_won") and not data.get("is_lost"):
                open_stages += 1
        if open_stages == 0:
            raise forms.ValidationError(_("A pipeline needs at least one open stage."))


class StageInline(admin.TabularInline[Stage, Pipeline]):
    model = Stage
    formset = StageFormSet
    extra = 0
    fields = ["position", "label_en", "label_hi", "probability", "is_won", "is_lost", "rot_days"]
    ordering = ["position", "id"]


@admin.register(Pipeline)
class PipelineAdmin(AuditedAdmin):
    object_type = ObjectType.PIPELINE
    list_display = ["label_en", "label_hi", "position", "is_default", "is_active"]
    fields = ["label_en", "label_hi", "position", "is_default", "is_active"]
    inlines = [StageInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.is_default:
            # One default pipeline: the one just marked.
            Pipeline.objects.exclude(pk=obj.pk).filter(is_default=True).update(is_default=False)
