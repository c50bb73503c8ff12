from django.contrib import admin

from apps.notify.models import NotificationChannel


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):
    # `config` may hold credentials: it is editable on the change form but never listed.
    list_display = ("name", "driver", "is_active", "updated_at")
    list_filter = ("is_active", "driver")
    search_fields = ("name",)
    readonly_fields = ("created_at", "updated_at")
    fields = ("name", "driver", "is_active", "config", "created_at", "updated_at")
