"""Command line: ``python -m services.department --port 8702 --data-dir var/department --seed 1``.

Every option has an environment variable (``DEPARTMENT_*``) so that process managers and containers can
configure the service without a command line; explicit options win over the environment.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import ConfigError, load_config
from .server import Settings, run

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = Path(__file__).resolve().parent / "departments.json"
DEFAULT_SEED = 1


def _env(name: str, default: object) -> str:
    return os.environ.get(f"DEPARTMENT_{name}", str(default))


def _rate(value: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0 <= rate <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return rate


def _scale(value: str) -> float:
    try:
        scale = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if scale < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return scale


def build_parser() -> argparse.ArgumentParser:
    """Options with their environment-variable defaults."""
    parser = argparse.ArgumentParser(prog="python -m services.department", description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--host", default=_env("HOST", "127.0.0.1"), help="interface to bind (DEPARTMENT_HOST)")
    add("--port", type=int, default=int(_env("PORT", 8702)), help="port, 0 for any free one (DEPARTMENT_PORT)")
    add(
        "--data-dir",
        type=Path,
        default=Path(_env("DATA_DIR", PROJECT_ROOT / "var" / "department")),
        help="directory of the SQLite file, created if missing (DEPARTMENT_DATA_DIR)",
    )
    add(
        "--config",
        type=Path,
        default=Path(_env("CONFIG", DEFAULT_CONFIG)),
        help="departments, items and behaviour (DEPARTMENT_CONFIG); default: services/department/departments.json",
    )
    add("--seed", type=int, default=int(_env("SEED", DEFAULT_SEED)), help="seed of all random draws (DEPARTMENT_SEED)")
    add(
        "--delay-scale",
        type=_scale,
        default=_scale(_env("DELAY_SCALE", 1)),
        help="multiply every processing delay, 0 = decide at once (DEPARTMENT_DELAY_SCALE)",
    )
    for name, what in (
        ("http-5xx", "requests answered 503"),
        ("timeout", "answers held back for timeout_seconds"),
        ("drop-callback", "callbacks never sent"),
    ):
        variable = f"{name.replace('-', '_').upper()}_RATE"
        add(
            f"--{name}-rate",
            type=_rate,
            default=os.environ.get(f"DEPARTMENT_{variable}") or None,
            help=f"force the share of {what} in every department, 0..1 (DEPARTMENT_{variable})",
        )
    add("--workers", type=int, default=int(_env("WORKERS", 16)), help="processing and callback threads")
    add(
        "--public-url",
        default=os.environ.get("DEPARTMENT_PUBLIC_URL") or None,
        help="base URL put into certificate pdf_url links; default: the bound address (DEPARTMENT_PUBLIC_URL)",
    )
    add("--quiet", action="store_true", help="do not log requests")
    add("--check-config", action="store_true", help="validate the configuration, list it and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"department: invalid configuration: {err}", file=sys.stderr)
        return 2
    try:  # rates from the environment arrive as text
        failures = {
            name: _rate(str(value))
            for name, value in (
                ("http_5xx", args.http_5xx_rate),
                ("timeout", args.timeout_rate),
                ("drop_callback", args.drop_callback_rate),
            )
            if value is not None
        }
    except argparse.ArgumentTypeError as err:
        parser.error(f"failure rate: {err}")
    config = config.with_overrides(delay_scale=args.delay_scale, failures=failures)
    if args.check_config:
        for code, department in config.departments.items():
            items = ", ".join(department.items)
            print(f"{code} ({department.name}): delay {department.delay}, {department.failures}; items: {items}")
        return 0
    settings = Settings(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        config=config,
        seed=args.seed,
        workers=max(1, args.workers),
        public_url=args.public_url,
        quiet=args.quiet,
    )
    run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
