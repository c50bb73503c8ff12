from django.db import models


class NotificationChannel(models.Model):
    """A destination for pipeline notifications (preflight check `pipeline.channels`)."""

    class Driver(models.TextChoices):
        EMAIL = "email", "Email"
        SLACK = "slack", "Slack"
        WEBHOOK = "webhook", "Webhook"
        LOG = "log", "Log"

    name = models.CharField(max_length=100, unique=True)
    driver = models.CharField(max_length=20, choices=Driver.choices)
    config = models.JSONField(
        default=dict,
        blank=True,
        help_text="Driver settings (addresses, URLs, tokens). May hold credentials.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        verbose_name = "notification channel"

    def __str__(self):
        return f"{self.name} ({self.driver})"
