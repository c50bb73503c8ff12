from django.contrib import admin

from apps.orchestration.models import PipelineDefinition


@admin.register(PipelineDefinition)
class PipelineDefinitionAdmin(admin.ModelAdmin):
    list_display = ("name", "priority", "is_active", "channel", "routed", "updated_at")
    list_filter = ("is_active", "channel")
    search_fields = ("name", "description")
    list_select_related = ("channel",)
    readonly_fields = ("created_at", "updated_at")
    fields = ("name", "description", "is_active", "priority", "channel", "created_at", "updated_at")

    @admin.display(boolean=True, description="Routed")
    def routed(self, obj):
        """False when the channel is missing or inactive (preflight warns: routes nowhere)."""
        return not obj.routes_nowhere
