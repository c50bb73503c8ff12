import pytest

from apps.checkers.preflight import ERROR, INFO, OK, WARN, NotApplicable, checks
from apps.checkers.preflight.dashboard import definition_line, pipeline_definitions
from apps.checkers.preflight.database import DatabaseState, pipeline_unavailable
from apps.intelligence.models import IntelligenceProvider
from apps.notify.models import NotificationChannel
from apps.orchestration.models import PipelineDefinition


def levels_and_messages(results):
    return [(r.level, r.message) for r in results]


@pytest.fixture
def channel(db):
    return NotificationChannel.objects.create(name="ops-mail", driver="email")


class TestUnavailable:
    def test_reasons(self):
        assert pipeline_unavailable(DatabaseState("default", "x", failure="unreachable")) == (
            "database default connection failed (unreachable)"
        )
        not_migrated = "database default not migrated (run: uv run python manage.py migrate)"
        assert (
            pipeline_unavailable(DatabaseState("default", "x", pending=["notify.0001_initial"]))
            == not_migrated
        )
        assert pipeline_unavailable(
            DatabaseState("default", "x", migrations_failure="database is locked")
        ) == ("database default: pending migrations unknown (database is locked)")
        assert pipeline_unavailable(DatabaseState("default", "x", pending=["auth.0099_x"])) == ""

    @pytest.mark.usefixtures("unblocked_db")
    @pytest.mark.parametrize(
        "check", [checks.check_channels, checks.check_definitions, checks.check_intelligence]
    )
    def test_unmigrated_database_skips_every_pipeline_check(
        self, check, make_context, settings, sqlite_db
    ):
        settings.DATABASES = {"default": sqlite_db()}
        with pytest.raises(NotApplicable, match="not migrated"):
            check(make_context())

    @pytest.mark.usefixtures("unblocked_db")
    def test_unreachable_database_skips(self, make_context, settings, project):
        settings.DATABASES = {
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(project / "x" / "y.db")}
        }
        with pytest.raises(NotApplicable, match="connection failed"):
            checks.check_channels(make_context())


@pytest.mark.django_db
class TestChannels:
    def test_none_active(self, make_context):
        NotificationChannel.objects.create(name="off", driver="log", is_active=False)
        [result] = checks.check_channels(make_context())
        assert (result.level, result.id) == (WARN, "pipeline.channels")
        assert result.message == (
            "No active notification channel: pipeline notifications go nowhere "
            "(add one at http://127.0.0.1:8000/admin/notify/notificationchannel/add/)"
        )
        # No one can log in to the admin yet: create a superuser first.
        assert result.hint == (
            "uv run python manage.py createsuperuser && uv run python manage.py runserver"
        )

    def test_hint_only_serves_the_admin_when_someone_can_log_in(self, make_context):
        from django.contrib.auth import get_user_model

        get_user_model().objects.create_superuser("admin", "a@example.com", "fake-pw-123")
        [result] = checks.check_channels(make_context())
        assert result.hint == "uv run python manage.py runserver"

    def test_hint_when_the_auth_tables_cannot_be_read(self, make_context, monkeypatch):
        from django.contrib.auth import get_user_model
        from django.db import DatabaseError

        def broken(*args, **kwargs):
            raise DatabaseError("no such table: auth_user")

        monkeypatch.setattr(type(get_user_model().objects), "filter", broken)
        assert checks.admin_hint() == (
            "uv run python manage.py createsuperuser && uv run python manage.py runserver"
        )

    def test_some_active(self, make_context, channel):
        NotificationChannel.objects.create(name="chat", driver="slack")
        assert levels_and_messages(checks.check_channels(make_context())) == [
            (OK, "2 active notification channels")
        ]


@pytest.mark.django_db
class TestDefinitions:
    def test_none_active(self, make_context):
        PipelineDefinition.objects.create(name="old", is_active=False)
        assert levels_and_messages(checks.check_definitions(make_context())) == [
            (INFO, "No active pipeline definitions")
        ]

    def test_routes_nowhere(self, make_context, channel):
        quiet = NotificationChannel.objects.create(name="quiet", driver="log", is_active=False)
        PipelineDefinition.objects.create(name="routed", channel=channel)
        PipelineDefinition.objects.create(name="b-orphan", priority=5)
        PipelineDefinition.objects.create(name="a-muted", priority=5, channel=quiet)
        [result] = checks.check_definitions(make_context())
        assert (result.level, result.id) == (WARN, "pipeline.definitions")
        assert result.message == (
            "2 active pipeline definitions route nowhere (no channel or an inactive one): "
            "a-muted, b-orphan (give each an active channel at "
            "http://127.0.0.1:8000/admin/orchestration/pipelinedefinition/)"
        )
        assert result.hint.endswith("uv run python manage.py runserver")

    def test_one_routes_nowhere(self, make_context):
        PipelineDefinition.objects.create(name="orphan")
        [result] = checks.check_definitions(make_context())
        assert result.message.startswith("1 active pipeline definition routes nowhere")

    def test_all_routed(self, make_context, channel):
        PipelineDefinition.objects.create(name="one", channel=channel)
        assert levels_and_messages(checks.check_definitions(make_context())) == [
            (OK, "1 active pipeline definition, all routed to active channels")
        ]


@pytest.mark.django_db
class TestIntelligence:
    def provider(self):
        return IntelligenceProvider.objects.create(
            name="claude", provider="anthropic", is_active=True
        )

    def test_provider_with_fallback(self, make_context, settings):
        settings.INTELLIGENCE_FALLBACK_ENABLED = True
        self.provider()
        assert levels_and_messages(checks.check_intelligence(make_context())) == [
            (OK, "Intelligence: claude (anthropic) with local fallback")
        ]

    def test_provider_without_fallback(self, make_context, settings):
        settings.INTELLIGENCE_FALLBACK_ENABLED = False
        self.provider()
        [result] = checks.check_intelligence(make_context())
        assert (result.level, result.id) == (WARN, "pipeline.intelligence")
        assert "an AI outage fails the pipeline" in result.message
        assert result.hint == "bin/set_env.sh INTELLIGENCE_FALLBACK_ENABLED=on"

    def test_no_provider_with_fallback(self, make_context, settings):
        settings.INTELLIGENCE_FALLBACK_ENABLED = True
        IntelligenceProvider.objects.create(name="idle", provider="openai", is_active=False)
        assert levels_and_messages(checks.check_intelligence(make_context())) == [
            (INFO, "Intelligence: no active provider, local rules only")
        ]

    def test_nothing_at_all(self, make_context, settings):
        settings.INTELLIGENCE_FALLBACK_ENABLED = False
        [result] = checks.check_intelligence(make_context())
        assert result.level == ERROR
        assert result.message == (
            "Intelligence: no active provider and fallback off: nothing can analyse (turn the "
            "fallback on, or activate a provider at "
            "http://127.0.0.1:8000/admin/intelligence/intelligenceprovider/)"
        )
        assert result.hint == "bin/set_env.sh INTELLIGENCE_FALLBACK_ENABLED=on"


@pytest.mark.django_db
class TestDashboardDefinitions:
    def test_active_first_by_priority_then_name(self, make_context, channel):
        quiet = NotificationChannel.objects.create(name="quiet", driver="log", is_active=False)
        PipelineDefinition.objects.create(name="zeta", priority=1, channel=channel)
        PipelineDefinition.objects.create(name="alpha", priority=1, channel=quiet)
        PipelineDefinition.objects.create(
            name="first", priority=0, is_active=False, channel=channel
        )
        PipelineDefinition.objects.create(name="beta", priority=50)
        context = make_context()
        context.database("default")
        definitions, note = pipeline_definitions(context)
        assert note == ""
        assert [definition_line(d) for d in definitions] == [
            "alpha (priority 1) → quiet (routes nowhere)",
            "zeta (priority 1) → ops-mail",
            "beta (priority 50) → no channel (routes nowhere)",
            "first (priority 0) → ops-mail [inactive]",
        ]
        assert definitions[1] == {
            "name": "zeta",
            "active": True,
            "priority": 1,
            "channel": "ops-mail",
            "routes": True,
        }

    def test_a_silent_database_gives_a_note(self, make_context, monkeypatch):
        context = make_context()

        def silent(alias):
            raise NotApplicable("database default did not answer within 5s")

        monkeypatch.setattr(context, "database", silent)
        assert pipeline_definitions(context) == ([], "database default did not answer within 5s")

    def test_unmigrated_database_gives_a_note(
        self, make_context, settings, sqlite_db, django_db_blocker
    ):
        settings.DATABASES = {"default": sqlite_db()}
        with django_db_blocker.unblock():
            definitions, note = pipeline_definitions(make_context())
        assert definitions == [] and note.startswith("database default not migrated")

    def test_unreadable_tables(self, make_context, monkeypatch):
        from django.db import DatabaseError, connection

        context = make_context()
        context.database("default")

        def broken(*args, **kwargs):
            raise DatabaseError("fake failure")

        monkeypatch.setattr(connection, "cursor", broken)
        assert pipeline_definitions(context) == ([], "could not be read (DatabaseError)")
