"""The workbench adapter: the department works the item case in the engine itself
(onething/processing/workbench views); nothing leaves the engine."""

from onething.processing.adapters.base import DepartmentAdapter, DepartmentStatus, registry


@registry.register
class WorkbenchAdapter(DepartmentAdapter):
    name = "workbench"

    def submit(self, *, item_case, callback_url: str) -> str:
        return f"WB-{item_case.pk}"

    def poll(self, *, item_case) -> DepartmentStatus | None:
        return None  # the officers' decisions arrive directly; there is nothing to poll

    def supplement(self, *, item_case, data: dict, materials: list[dict]) -> None:
        return None  # the officer sees the supplied data on the item case itself
