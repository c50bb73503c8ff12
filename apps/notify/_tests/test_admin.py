import pytest
from django.contrib import admin
from django.urls import reverse

from apps.notify.admin import NotificationChannelAdmin
from apps.notify.models import NotificationChannel

CHANGELIST = reverse("admin:notify_notificationchannel_changelist")
SECRET = "xoxb-super-secret-token"


@pytest.fixture
def channels(db):
    return [
        NotificationChannel.objects.create(
            name="ops-slack", driver="slack", config={"token": SECRET}
        ),
        NotificationChannel.objects.create(name="ops-mail", driver="email", is_active=False),
        NotificationChannel.objects.create(name="audit-log", driver="log"),
    ]


def listed(response):
    return sorted(obj.name for obj in response.context["cl"].result_list)


def test_registered_with_its_admin():
    assert isinstance(admin.site._registry[NotificationChannel], NotificationChannelAdmin)


def test_config_is_never_listed_or_searched():
    model_admin = admin.site._registry[NotificationChannel]
    assert "config" not in model_admin.list_display
    assert not any("config" in field for field in model_admin.search_fields)


@pytest.mark.django_db
class TestChangelist:
    def test_renders_for_a_superuser(self, admin_client, channels):
        response = admin_client.get(CHANGELIST)
        assert response.status_code == 200
        assert listed(response) == ["audit-log", "ops-mail", "ops-slack"]
        assert SECRET not in response.content.decode()

    def test_search_by_name(self, admin_client, channels):
        response = admin_client.get(CHANGELIST, {"q": "ops"})
        assert response.status_code == 200
        assert listed(response) == ["ops-mail", "ops-slack"]

    def test_filter_by_active(self, admin_client, channels):
        response = admin_client.get(CHANGELIST, {"is_active__exact": "0"})
        assert response.status_code == 200
        assert listed(response) == ["ops-mail"]

    def test_filter_by_driver(self, admin_client, channels):
        response = admin_client.get(CHANGELIST, {"driver__exact": "slack"})
        assert response.status_code == 200
        assert listed(response) == ["ops-slack"]

    def test_anonymous_is_sent_to_login(self, client, channels):
        response = client.get(CHANGELIST)
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


@pytest.mark.django_db
class TestForms:
    def test_add_page_renders(self, admin_client):
        response = admin_client.get(reverse("admin:notify_notificationchannel_add"))
        assert response.status_code == 200

    def test_change_page_renders_config_for_editing(self, admin_client, channels):
        url = reverse("admin:notify_notificationchannel_change", args=[channels[0].pk])
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "config" in response.context["adminform"].form.fields

    def test_add_creates_a_channel(self, admin_client):
        response = admin_client.post(
            reverse("admin:notify_notificationchannel_add"),
            {
                "name": "hook",
                "driver": "webhook",
                "is_active": "on",
                "config": '{"url": "https://hooks.example/x"}',
            },
        )
        assert response.status_code == 302
        channel = NotificationChannel.objects.get(name="hook")
        assert channel.config == {"url": "https://hooks.example/x"}
        assert channel.is_active is True

    def test_duplicate_name_is_a_form_error(self, admin_client, channels):
        response = admin_client.post(
            reverse("admin:notify_notificationchannel_add"),
            {"name": "ops-slack", "driver": "slack", "config": "{}"},
        )
        assert response.status_code == 200
        assert "name" in response.context["adminform"].form.errors
