from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone


class IntelligenceProvider(models.Model):
    """The AI provider the pipeline consults (preflight check `pipeline.intelligence`).

    At most one provider is active: a partial unique index on `is_active` (rows where it is
    true) enforces it in the database, on SQLite and PostgreSQL alike.
    """

    class Provider(models.TextChoices):
        OPENAI = "openai", "OpenAI"
        ANTHROPIC = "anthropic", "Anthropic"
        OLLAMA = "ollama", "Ollama"
        LOCAL = "local", "Local"

    name = models.CharField(max_length=100, unique=True)
    provider = models.CharField(max_length=20, choices=Provider.choices)
    config = models.JSONField(
        default=dict,
        blank=True,
        help_text="Provider settings (model, endpoint, API key). May hold credentials.",
    )
    is_active = models.BooleanField(
        default=False, help_text="At most one provider can be active at a time."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        verbose_name = "intelligence provider"
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="intelligence_one_active_provider",
                violation_error_message=(
                    "Another intelligence provider is already active; only one can be active."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.provider})"

    @transaction.atomic
    def activate(self):
        """Make this the active provider, deactivating any other in the same transaction."""
        others = IntelligenceProvider.objects.filter(is_active=True)
        if self.pk is not None:
            others = others.exclude(pk=self.pk)
        others.update(is_active=False, updated_at=timezone.now())
        self.is_active = True
        self.save()
