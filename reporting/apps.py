from django.apps import AppConfig


class ReportingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reporting"
    verbose_name = "Reports"

    def ready(self) -> None:
        from agent_app.knowledge.sources import register_document_source
        from reporting import tasks  # noqa: F401 - registers the metrics task under channels_app's name
        from reporting.drafts import approved_drafts_markdown

        # Approved help-centre drafts are part of the knowledge base ingest_kb loads.
        register_document_source(approved_drafts_markdown)
