from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "onething.intake"
    verbose_name = "一口受理"

    def ready(self) -> None:
        from onething.apply.uploads import register_upload_reader
        from onething.common import events
        from onething.intake import (
            handlers,
            selectors,
            signals,  # noqa: F401  (recomputes provisional dates)
        )

        events.subscribe(events.CaseSubmitted, handlers.route_submitted_case)
        register_upload_reader(selectors.clerk_reads_upload)
