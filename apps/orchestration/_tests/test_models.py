import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.notify.models import NotificationChannel
from apps.orchestration.models import PipelineDefinition


@pytest.fixture
def channel(db):
    return NotificationChannel.objects.create(name="ops", driver="slack")


@pytest.mark.django_db
class TestPipelineDefinition:
    def test_str_is_the_name(self):
        assert str(PipelineDefinition.objects.create(name="nightly")) == "nightly"

    def test_defaults(self):
        definition = PipelineDefinition.objects.create(name="nightly")
        definition.refresh_from_db()
        assert definition.is_active is True
        assert definition.priority == 100
        assert definition.description == ""
        assert definition.channel is None
        assert definition.created_at is not None
        assert definition.updated_at is not None

    def test_channel_and_description_are_optional_in_forms(self):
        PipelineDefinition(name="nightly").full_clean()

    def test_name_is_unique(self):
        PipelineDefinition.objects.create(name="nightly")
        with pytest.raises(IntegrityError), transaction.atomic():
            PipelineDefinition.objects.create(name="nightly")

    def test_negative_priority_fails_validation(self):
        with pytest.raises(ValidationError) as excinfo:
            PipelineDefinition(name="nightly", priority=-1).full_clean()
        assert "priority" in excinfo.value.message_dict

    def test_ordered_by_priority_then_name(self):
        PipelineDefinition.objects.create(name="late", priority=200)
        PipelineDefinition.objects.create(name="beta", priority=10)
        PipelineDefinition.objects.create(name="alpha", priority=10)
        PipelineDefinition.objects.create(name="default")
        names = list(PipelineDefinition.objects.values_list("name", flat=True))
        assert names == ["alpha", "beta", "default", "late"]

    def test_reverse_relation_from_the_channel(self, channel):
        definition = PipelineDefinition.objects.create(name="nightly", channel=channel)
        assert list(channel.pipeline_definitions.all()) == [definition]

    def test_deleting_the_channel_leaves_the_definition_routing_nowhere(self, channel):
        definition = PipelineDefinition.objects.create(name="nightly", channel=channel)
        channel.delete()
        definition.refresh_from_db()
        assert definition.channel is None
        assert definition.routes_nowhere is True
        assert PipelineDefinition.objects.filter(channel__isnull=True).count() == 1


@pytest.mark.django_db
class TestRoutesNowhere:
    def test_no_channel(self):
        assert PipelineDefinition(name="x").routes_nowhere is True

    def test_inactive_channel(self, channel):
        channel.is_active = False
        channel.save()
        assert PipelineDefinition(name="x", channel=channel).routes_nowhere is True

    def test_active_channel(self, channel):
        assert PipelineDefinition(name="x", channel=channel).routes_nowhere is False
