"""The parts stand one way (docs/architecture.md): the import-linter contracts in
pyproject.toml hold, inside functions too. CI also runs ``lint-imports``; this runs the same
contracts under ``make test``, and shows that a contract breaks on an import that runs back up."""

from pathlib import Path

import importlinter.configuration
import pytest
from importlinter.application.use_cases import lint_imports

ROOT = Path(__file__).resolve().parents[2]

importlinter.configuration.configure()


def lint(config: Path) -> bool:
    return lint_imports(config_filename=str(config), cache_dir=None, no_logo=True)


def test_every_part_imports_only_the_parts_below_it(capsys):
    kept = lint(ROOT / "pyproject.toml")
    assert kept, capsys.readouterr().out


@pytest.mark.parametrize(
    ("upper", "lower"),
    [("common", "catalog"), ("apply", "intake"), ("processing", "issuance"), ("cases", "oversight")],
)
def test_a_contract_that_puts_a_part_below_one_it_imports_is_broken(tmp_path, capsys, upper, lower):
    """The contract is not vacuous: turn one floor over (``lower`` imports ``upper`` in the
    code) and the check fails. Each pair turned over is a real, allowed import today."""
    config = tmp_path / "turned-over.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_packages = ["onething", "services"]\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "turned over"\n'
        'type = "layers"\n'
        'containers = ["onething"]\n'
        f'layers = ["{upper}", "{lower}"]\n',
        encoding="utf-8",
    )
    assert not lint(config)
    assert f"onething.{lower} is not allowed to import onething.{upper}" in capsys.readouterr().out
