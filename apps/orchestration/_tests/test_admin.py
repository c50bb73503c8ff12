import pytest
from django.contrib import admin
from django.urls import reverse

from apps.notify.models import NotificationChannel
from apps.orchestration.admin import PipelineDefinitionAdmin
from apps.orchestration.models import PipelineDefinition

CHANGELIST = reverse("admin:orchestration_pipelinedefinition_changelist")


@pytest.fixture
def channels(db):
    return {
        "live": NotificationChannel.objects.create(name="live", driver="slack"),
        "off": NotificationChannel.objects.create(name="off", driver="email", is_active=False),
    }


@pytest.fixture
def definitions(channels):
    return {
        "ingest": PipelineDefinition.objects.create(
            name="ingest", description="pulls alerts", priority=10, channel=channels["live"]
        ),
        "digest": PipelineDefinition.objects.create(
            name="digest", description="weekly summary", channel=channels["off"]
        ),
        "orphan": PipelineDefinition.objects.create(name="orphan", is_active=False),
    }


def listed(response):
    return [obj.name for obj in response.context["cl"].result_list]


def test_registered_with_its_admin():
    assert isinstance(admin.site._registry[PipelineDefinition], PipelineDefinitionAdmin)


@pytest.mark.django_db
def test_routed_column_flags_definitions_that_route_nowhere(definitions):
    model_admin = admin.site._registry[PipelineDefinition]
    assert model_admin.routed(definitions["ingest"]) is True
    assert model_admin.routed(definitions["digest"]) is False
    assert model_admin.routed(definitions["orphan"]) is False


@pytest.mark.django_db
class TestChangelist:
    def test_renders_for_a_superuser_in_priority_order(self, admin_client, definitions):
        response = admin_client.get(CHANGELIST)
        assert response.status_code == 200
        assert listed(response) == ["ingest", "digest", "orphan"]

    def test_search_by_name(self, admin_client, definitions):
        response = admin_client.get(CHANGELIST, {"q": "orph"})
        assert response.status_code == 200
        assert listed(response) == ["orphan"]

    def test_search_by_description(self, admin_client, definitions):
        response = admin_client.get(CHANGELIST, {"q": "weekly"})
        assert response.status_code == 200
        assert listed(response) == ["digest"]

    def test_filter_by_active(self, admin_client, definitions):
        response = admin_client.get(CHANGELIST, {"is_active__exact": "1"})
        assert response.status_code == 200
        assert listed(response) == ["ingest", "digest"]

    def test_filter_by_channel(self, admin_client, channels, definitions):
        response = admin_client.get(CHANGELIST, {"channel__id__exact": channels["live"].pk})
        assert response.status_code == 200
        assert listed(response) == ["ingest"]

    def test_filter_definitions_without_a_channel(self, admin_client, definitions):
        response = admin_client.get(CHANGELIST, {"channel__isnull": "True"})
        assert response.status_code == 200
        assert listed(response) == ["orphan"]


@pytest.mark.django_db
class TestForms:
    def test_add_page_renders(self, admin_client, channels):
        response = admin_client.get(reverse("admin:orchestration_pipelinedefinition_add"))
        assert response.status_code == 200

    def test_change_page_renders(self, admin_client, definitions):
        url = reverse(
            "admin:orchestration_pipelinedefinition_change", args=[definitions["ingest"].pk]
        )
        assert admin_client.get(url).status_code == 200

    def test_add_without_a_channel(self, admin_client):
        response = admin_client.post(
            reverse("admin:orchestration_pipelinedefinition_add"),
            {"name": "nightly", "description": "", "is_active": "on", "priority": "5"},
        )
        assert response.status_code == 302
        definition = PipelineDefinition.objects.get(name="nightly")
        assert definition.priority == 5
        assert definition.channel is None
