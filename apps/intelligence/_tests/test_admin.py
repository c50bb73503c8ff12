import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.intelligence.admin import IntelligenceProviderAdmin
from apps.intelligence.models import IntelligenceProvider

CHANGELIST = reverse("admin:intelligence_intelligenceprovider_changelist")
ADD = reverse("admin:intelligence_intelligenceprovider_add")
SECRET = "sk-super-secret-api-key"


@pytest.fixture
def providers(db):
    return {
        "gpt": IntelligenceProvider.objects.create(
            name="gpt", provider="openai", config={"api_key": SECRET}, is_active=True
        ),
        "claude": IntelligenceProvider.objects.create(name="claude", provider="anthropic"),
        "llama": IntelligenceProvider.objects.create(name="llama", provider="ollama"),
    }


def listed(response):
    return [obj.name for obj in response.context["cl"].result_list]


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_registered_with_its_admin():
    assert isinstance(admin.site._registry[IntelligenceProvider], IntelligenceProviderAdmin)


def test_config_is_never_listed_or_searched():
    model_admin = admin.site._registry[IntelligenceProvider]
    assert "config" not in model_admin.list_display
    assert not any("config" in field for field in model_admin.search_fields)


@pytest.mark.django_db
class TestChangelist:
    def test_renders_for_a_superuser(self, admin_client, providers):
        response = admin_client.get(CHANGELIST)
        assert response.status_code == 200
        assert listed(response) == ["claude", "gpt", "llama"]
        assert SECRET not in response.content.decode()

    def test_search_by_name(self, admin_client, providers):
        response = admin_client.get(CHANGELIST, {"q": "lla"})
        assert response.status_code == 200
        assert listed(response) == ["llama"]

    def test_filter_by_active(self, admin_client, providers):
        response = admin_client.get(CHANGELIST, {"is_active__exact": "1"})
        assert response.status_code == 200
        assert listed(response) == ["gpt"]

    def test_filter_by_provider(self, admin_client, providers):
        response = admin_client.get(CHANGELIST, {"provider__exact": "anthropic"})
        assert response.status_code == 200
        assert listed(response) == ["claude"]


@pytest.mark.django_db
class TestMakeActiveAction:
    def test_switches_to_the_selected_provider(self, admin_client, providers):
        response = admin_client.post(
            CHANGELIST,
            {"action": "make_active", "_selected_action": [providers["claude"].pk]},
            follow=True,
        )
        assert response.status_code == 200
        active = IntelligenceProvider.objects.get(is_active=True)
        assert active.name == "claude"
        assert "claude (anthropic) is now the active provider." in messages_of(response)

    def test_refuses_more_than_one_selection(self, admin_client, providers):
        response = admin_client.post(
            CHANGELIST,
            {
                "action": "make_active",
                "_selected_action": [providers["claude"].pk, providers["llama"].pk],
            },
            follow=True,
        )
        assert response.status_code == 200
        assert IntelligenceProvider.objects.get(is_active=True).name == "gpt"
        assert "Select exactly one provider to make active." in messages_of(response)


@pytest.mark.django_db
class TestForms:
    def test_add_page_renders(self, admin_client):
        assert admin_client.get(ADD).status_code == 200

    def test_change_page_renders(self, admin_client, providers):
        url = reverse("admin:intelligence_intelligenceprovider_change", args=[providers["gpt"].pk])
        assert admin_client.get(url).status_code == 200

    def test_add_an_inactive_provider(self, admin_client, providers):
        response = admin_client.post(ADD, {"name": "tiny", "provider": "local", "config": "{}"})
        assert response.status_code == 302
        assert IntelligenceProvider.objects.get(name="tiny").is_active is False

    def test_a_second_active_provider_is_a_form_error_not_a_crash(self, admin_client, providers):
        response = admin_client.post(
            ADD, {"name": "tiny", "provider": "local", "is_active": "on", "config": "{}"}
        )
        assert response.status_code == 200
        assert "only one can be active" in response.content.decode()
        assert not IntelligenceProvider.objects.filter(name="tiny").exists()
