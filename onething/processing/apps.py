from django.apps import AppConfig


class ProcessingConfig(AppConfig):
    name = "onething.processing"
    verbose_name = "一网办理"

    def ready(self) -> None:
        from onething.apply.uploads import register_upload_reader
        from onething.common import events
        from onething.intake.services import ProvisionalDates, register_provisional_dates
        from onething.processing import handlers, selectors, timelimits

        events.subscribe(events.CaseAccepted, handlers.split_accepted_case)
        events.subscribe(events.DeferralRefused, handlers.refuse_items)
        events.subscribe(events.DeferralsSettled, handlers.conclude_held_case)
        register_upload_reader(selectors.officer_reads_upload)
        register_provisional_dates(
            ProvisionalDates(
                case_ids=timelimits.provisional_item_case_ids, recompute=timelimits.provisional_item_dates_recompute
            )
        )
