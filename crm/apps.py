from django.apps import AppConfig


class CrmConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "crm"

    def ready(self) -> None:
        from crm import checks  # noqa: F401 - registers the system checks
        from crm import health_checks  # noqa: F401 - registers its entry in /health
