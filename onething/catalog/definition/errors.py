"""Problems found in a definition document, each with the JSON path it concerns."""

from dataclasses import dataclass
from typing import ClassVar

from onething.common.errors import Invalid, Problem


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


class DefinitionInvalid(Invalid):
    """A definition document has problems; nothing was written (400 ``definition_invalid``,
    every problem as details)."""

    code = "definition_invalid"

    def __init__(self, problems: list[DefinitionProblem]):
        self.problems = problems
        super().__init__(
            f"定义文件有 {len(problems)} 个问题，未写入任何内容",
            f"{len(problems)} problem(s) in the definition",
            details=[problem.as_dict() for problem in problems],
        )
