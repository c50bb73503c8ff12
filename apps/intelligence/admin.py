from django.contrib import admin, messages

from apps.intelligence.models import IntelligenceProvider


@admin.register(IntelligenceProvider)
class IntelligenceProviderAdmin(admin.ModelAdmin):
    # `config` may hold credentials: it is editable on the change form but never listed.
    list_display = ("name", "provider", "is_active", "updated_at")
    list_filter = ("is_active", "provider")
    search_fields = ("name",)
    readonly_fields = ("created_at", "updated_at")
    fields = ("name", "provider", "is_active", "config", "created_at", "updated_at")
    actions = ("make_active",)

    @admin.action(description="Make the selected provider the active one")
    def make_active(self, request, queryset):
        """Switch providers in one step (the database allows only one active at a time)."""
        if queryset.count() != 1:
            self.message_user(
                request, "Select exactly one provider to make active.", level=messages.ERROR
            )
            return
        provider = queryset.get()
        provider.activate()
        self.message_user(request, f"{provider} is now the active provider.", messages.SUCCESS)
