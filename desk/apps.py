from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The human desk: the escalation queue in admin and staff replies.

    It sits on top of crm, channels_app and agent_app and may use all three; none of
    them may import it (tests/test_layering.py). ``desk.admin`` is found by the admin's
    autodiscovery like any app's admin module.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "desk"

    def ready(self) -> None:
        from django.contrib import admin

        from crm import links
        from desk.admin import queue_ticket_path

        # What crm sends staff (the SLA breach email) and crm's ticket list link to the
        # desk's ticket page, not the bare record.
        links.register_ticket_url(queue_ticket_path)
        # The admin's model sidebar takes a fifth of a 1280-px screen from the queue; the
        # admin home lists the models, and the header's breadcrumbs lead back to it.
        admin.site.enable_nav_sidebar = False
