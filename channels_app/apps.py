from django.apps import AppConfig


class ChannelsAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "channels_app"

    def ready(self) -> None:
        from channels_app import checks  # noqa: F401 - registers the system checks
        from channels_app import health_checks  # noqa: F401 - registers its entries in /health
