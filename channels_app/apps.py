from django.apps import AppConfig


class ChannelsAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "channels_app"

    def ready(self) -> None:
        # The escalation queue's admin lives here (it sends staff replies through the
        # channel senders, which crm may not import); registering it is an import.
        from channels_app import desk_admin  # noqa: F401
