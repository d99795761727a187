from django.apps import AppConfig


class AgentAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "agent_app"

    def ready(self) -> None:
        # Registers the system check, the post_save handler that re-embeds
        # articles edited in the admin, and the Celery task it sends
        # (autodiscovery only imports tasks.py).
        from agent_app import checks, knowledge_tasks, signals  # noqa: F401
