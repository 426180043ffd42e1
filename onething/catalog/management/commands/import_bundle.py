"""Import bundle definition files (the same code path as the admin's import page)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from onething.catalog.definition.errors import DefinitionInvalid
from onething.catalog.definition.importer import import_definition
from onething.catalog.definition.validation import validate_document


class Command(BaseCommand):
    help = "Import (or with --check only validate) bundle definition JSON files. 导入一件事定义文件。"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--check", action="store_true", help="validate only, write nothing")
        parser.add_argument("--publish", action="store_true", help="publish the imported version")

    def handle(self, *args, files: list[Path], check: bool, publish: bool, **options):
        failed = 0
        for path in files:
            failed += not self._one(path, check=check, publish=publish)
        if failed:
            raise CommandError(f"{failed} file(s) had problems; nothing was written for them")

    def _one(self, path: Path, *, check: bool, publish: bool) -> bool:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.stderr.write(f"{path}: cannot read JSON 无法读取: {exc}")
            return False
        try:
            if check:
                problems = validate_document(document)
                if problems:
                    raise DefinitionInvalid(problems)
                self.stdout.write(f"{path}: ok 校验通过")
                return True
            with transaction.atomic():
                version = import_definition(document=document, publish=publish)
        except DefinitionInvalid as invalid:
            self.stderr.write(f"{path}: {len(invalid.problems)} problem(s) 个问题:")
            for problem in invalid.problems:
                self.stderr.write(f"  {problem}")
            return False
        self.stdout.write(f"{path}: imported {version.bundle.code} v{version.number} ({version.state})")
        return True
