"""Problems found in a definition document, each with the JSON path it concerns."""

from dataclasses import dataclass
from typing import ClassVar

from onething.common.errors import Problem


@dataclass(frozen=True, init=False)
class DefinitionProblem(Problem):
    """One problem of a definition document (the problem's key is its JSON path)."""

    about: ClassVar[str] = "path"

    def __init__(self, path: str, code: str, message: str, message_en: str):
        super().__init__(code, message, message_en, key=path)

    @property
    def path(self) -> str:
        return self.key

    def __str__(self) -> str:
        return f"{self.path}: [{self.code}] {self.message} / {self.message_en}"


class DefinitionInvalid(Exception):
    """A definition document has problems; nothing was written."""

    def __init__(self, problems: list[DefinitionProblem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the definition")
