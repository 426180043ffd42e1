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

    def certificate_document(self, *, item_case) -> bytes | None:
        """The file the officer uploaded when approving, if any (checked as a PDF)."""
        from onething.apply.models import Upload
        from onething.apply.uploads import upload_open

        upload = Upload.objects.filter(pk=(item_case.certificate or {}).get("upload")).first()
        if upload is None:
            return None
        with upload_open(upload=upload) as stored:
            data = stored.read()
        return data if data.startswith(b"%PDF") else None
