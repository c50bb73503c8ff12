import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.notify.models import NotificationChannel


@pytest.mark.django_db
class TestNotificationChannel:
    def test_str_names_the_channel_and_its_driver(self):
        channel = NotificationChannel.objects.create(name="ops-mail", driver="email")
        assert str(channel) == "ops-mail (email)"

    def test_defaults(self):
        channel = NotificationChannel.objects.create(name="log", driver="log")
        channel.refresh_from_db()
        assert channel.is_active is True
        assert channel.config == {}
        assert channel.created_at is not None
        assert channel.updated_at >= channel.created_at

    def test_config_default_is_not_shared_between_rows(self):
        first = NotificationChannel(name="a", driver="log")
        first.config["key"] = "value"
        assert NotificationChannel(name="b", driver="log").config == {}

    def test_config_round_trips_json(self):
        config = {"url": "https://hooks.example/x", "headers": {"X-Token": "t"}, "retries": 3}
        channel = NotificationChannel.objects.create(name="hook", driver="webhook", config=config)
        channel.refresh_from_db()
        assert channel.config == config

    def test_name_is_unique(self):
        NotificationChannel.objects.create(name="ops", driver="slack")
        with pytest.raises(IntegrityError), transaction.atomic():
            NotificationChannel.objects.create(name="ops", driver="email")

    def test_unknown_driver_fails_validation(self):
        channel = NotificationChannel(name="pager", driver="carrier-pigeon")
        with pytest.raises(ValidationError) as excinfo:
            channel.full_clean()
        assert "driver" in excinfo.value.message_dict

    def test_driver_choices(self):
        assert set(NotificationChannel.Driver.values) == {"email", "slack", "webhook", "log"}

    def test_ordered_by_name(self):
        for name in ("charlie", "alpha", "bravo"):
            NotificationChannel.objects.create(name=name, driver="log")
        names = list(NotificationChannel.objects.values_list("name", flat=True))
        assert names == ["alpha", "bravo", "charlie"]

    def test_updated_at_moves_on_save(self):
        channel = NotificationChannel.objects.create(name="ops", driver="log")
        before = channel.updated_at
        channel.is_active = False
        channel.save()
        assert channel.updated_at >= before
        assert channel.created_at <= channel.updated_at
