"""Export a bundle version as a definition file (the import format)."""

import json

from django.core.management.base import BaseCommand, CommandError

from onething.catalog.definition.exporter import export_version
from onething.catalog.models import BundleVersion


class Command(BaseCommand):
    help = "Export a bundle version as definition JSON. 导出一件事定义。"

    def add_arguments(self, parser):
        parser.add_argument("bundle_code")
        parser.add_argument("--number", type=int, help="version number (default: the published one, else the newest)")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, bundle_code: str, number: int | None, output: str | None, **options):
        versions = BundleVersion.objects.filter(bundle__code=bundle_code)
        if number is not None:
            chosen = versions.filter(number=number).first()
        else:
            chosen = (
                versions.filter(state=BundleVersion.State.PUBLISHED).first() or versions.order_by("-number").first()
            )
        if chosen is None:
            raise CommandError(f"no such bundle version 未找到: {bundle_code} {number or ''}")
        text = json.dumps(export_version(version=chosen), ensure_ascii=False, indent=2) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")
