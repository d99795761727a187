from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The human desk: the escalation queue in admin and staff replies.

    It sits on top of crm, channels_app and agent_app and may use all three; none of
    them may import it (tests/test_layering.py). ``desk.admin`` is found by the admin's
    autodiscovery like any app's admin module.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "desk"
