"""Problems found in a definition document, each with the JSON path it concerns."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DefinitionProblem:
    path: str
    code: str
    message: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message, "message_en": self.message_en}

    def __str__(self) -> str:
        return f"{self.path}: [{self.code}] {self.message} / {self.message_en}"


class DefinitionInvalid(Exception):
    """A definition document has problems; nothing was written."""

    def __init__(self, problems: list[DefinitionProblem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the definition")
