import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.intelligence.models import IntelligenceProvider


@pytest.mark.django_db
class TestIntelligenceProvider:
    def test_str_names_the_provider_kind(self):
        provider = IntelligenceProvider.objects.create(name="claude", provider="anthropic")
        assert str(provider) == "claude (anthropic)"

    def test_defaults(self):
        provider = IntelligenceProvider.objects.create(name="local", provider="local")
        provider.refresh_from_db()
        assert provider.is_active is False
        assert provider.config == {}
        assert provider.created_at is not None
        assert provider.updated_at is not None

    def test_provider_choices(self):
        assert set(IntelligenceProvider.Provider.values) == {
            "openai",
            "anthropic",
            "ollama",
            "local",
        }

    def test_unknown_provider_fails_validation(self):
        with pytest.raises(ValidationError) as excinfo:
            IntelligenceProvider(name="x", provider="oracle").full_clean()
        assert "provider" in excinfo.value.message_dict

    def test_name_is_unique(self):
        IntelligenceProvider.objects.create(name="gpt", provider="openai")
        with pytest.raises(IntegrityError), transaction.atomic():
            IntelligenceProvider.objects.create(name="gpt", provider="ollama")

    def test_ordered_by_name(self):
        for name in ("ollama", "claude", "gpt"):
            IntelligenceProvider.objects.create(name=name, provider="local")
        names = list(IntelligenceProvider.objects.values_list("name", flat=True))
        assert names == ["claude", "gpt", "ollama"]


@pytest.mark.django_db
class TestOneActiveProvider:
    def test_many_inactive_providers_are_allowed(self):
        for name in ("a", "b", "c"):
            IntelligenceProvider.objects.create(name=name, provider="local")
        assert IntelligenceProvider.objects.filter(is_active=False).count() == 3

    def test_one_active_among_inactive_is_allowed(self):
        IntelligenceProvider.objects.create(name="a", provider="local")
        IntelligenceProvider.objects.create(name="b", provider="openai", is_active=True)
        assert IntelligenceProvider.objects.filter(is_active=True).count() == 1

    def test_a_second_active_provider_is_refused_by_the_database(self):
        IntelligenceProvider.objects.create(name="a", provider="openai", is_active=True)
        with pytest.raises(IntegrityError), transaction.atomic():
            IntelligenceProvider.objects.create(name="b", provider="anthropic", is_active=True)
        assert IntelligenceProvider.objects.filter(is_active=True).count() == 1

    def test_activating_an_existing_row_is_refused_by_the_database(self):
        IntelligenceProvider.objects.create(name="a", provider="openai", is_active=True)
        second = IntelligenceProvider.objects.create(name="b", provider="anthropic")
        with pytest.raises(IntegrityError), transaction.atomic():
            IntelligenceProvider.objects.filter(pk=second.pk).update(is_active=True)

    def test_a_second_active_provider_fails_validation_with_a_clear_message(self):
        IntelligenceProvider.objects.create(name="a", provider="openai", is_active=True)
        with pytest.raises(ValidationError) as excinfo:
            IntelligenceProvider(name="b", provider="anthropic", is_active=True).full_clean()
        assert "only one can be active" in str(excinfo.value)

    def test_the_active_provider_itself_validates(self):
        active = IntelligenceProvider.objects.create(name="a", provider="openai", is_active=True)
        active.full_clean()


@pytest.mark.django_db
class TestActivate:
    def test_switches_the_active_provider(self):
        old = IntelligenceProvider.objects.create(name="old", provider="openai", is_active=True)
        new = IntelligenceProvider.objects.create(name="new", provider="anthropic")
        new.activate()
        old.refresh_from_db()
        new.refresh_from_db()
        assert (old.is_active, new.is_active) == (False, True)

    def test_is_idempotent_on_the_active_provider(self):
        active = IntelligenceProvider.objects.create(name="a", provider="openai", is_active=True)
        active.activate()
        active.refresh_from_db()
        assert active.is_active is True
        assert IntelligenceProvider.objects.filter(is_active=True).count() == 1

    def test_saves_an_unsaved_provider_as_the_active_one(self):
        old = IntelligenceProvider.objects.create(name="old", provider="openai", is_active=True)
        new = IntelligenceProvider(name="new", provider="ollama")
        new.activate()
        assert new.pk is not None
        assert list(IntelligenceProvider.objects.filter(is_active=True)) == [new]
        old.refresh_from_db()
        assert old.is_active is False
