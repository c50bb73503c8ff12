from django.db import models


class PipelineDefinition(models.Model):
    """A pipeline the service runs (preflight check `pipeline.definitions`)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    priority = models.PositiveIntegerField(default=100, help_text="Lower runs first.")
    # SET_NULL: deleting a channel leaves the definition visibly routing nowhere (preflight
    # warns about it) instead of blocking the delete or silently deleting the definition.
    channel = models.ForeignKey(
        "notify.NotificationChannel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pipeline_definitions",
        help_text="Where this pipeline's notifications go.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("priority", "name")
        verbose_name = "pipeline definition"

    def __str__(self):
        return self.name

    @property
    def routes_nowhere(self):
        """True when the channel is missing or inactive: notifications would be lost."""
        return self.channel is None or not self.channel.is_active
