"""Command line: ``python -m services.datahub --host 127.0.0.1 --port 8701 --data-dir var/datahub --seed 20261128``.

Every option has an environment variable (``DATAHUB_*``) so that process managers and containers can
configure the hub without a command line; explicit options win over the environment.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from .api import Simulation
from .auth import DEFAULT_KEY
from .clock import REFERENCE_DATE, data_epoch
from .generator import DEFAULT_ENTERPRISES, DEFAULT_PERSONS
from .server import Settings, run
from .store import Store

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SEED = 20261128


def _env(name: str, default: object) -> str:
    return os.environ.get(f"DATAHUB_{name}", str(default))


def _as_of(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {value!r}") from None
    if day < REFERENCE_DATE:
        raise argparse.ArgumentTypeError(f"must not be before {REFERENCE_DATE.isoformat()}")
    return day


def _rate(value: str) -> float:
    rate = float(value)
    if not 0 <= rate <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return rate


def build_parser() -> argparse.ArgumentParser:
    """Options with their environment-variable defaults."""
    parser = argparse.ArgumentParser(prog="python -m services.datahub", description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--host", default=_env("HOST", "127.0.0.1"), help="interface to bind (DATAHUB_HOST)")
    add("--port", type=int, default=int(_env("PORT", 8701)), help="port, 0 for any free one (DATAHUB_PORT)")
    add(
        "--data-dir",
        type=Path,
        default=Path(_env("DATA_DIR", PROJECT_ROOT / "var" / "datahub")),
        help="directory of the SQLite file, created if missing (DATAHUB_DATA_DIR)",
    )
    add("--seed", type=int, default=int(_env("SEED", DEFAULT_SEED)), help="random seed of the data (DATAHUB_SEED)")
    add(
        "--as-of",
        type=_as_of,
        default=os.environ.get("DATAHUB_AS_OF") or None,
        help="newborns are born in the 55 days before this date; default: first day of this month (DATAHUB_AS_OF)",
    )
    add("--key", default=_env("KEY", DEFAULT_KEY), help="shared HMAC key (DATAHUB_KEY)")
    add(
        "--latency-ms",
        type=int,
        default=int(_env("LATENCY_MS", 0)),
        help="artificial delay added to every /v1 request (DATAHUB_LATENCY_MS)",
    )
    add(
        "--error-rate",
        type=_rate,
        default=_rate(_env("ERROR_RATE", 0)),
        help="share of /v1 requests answered 503, 0..1 (DATAHUB_ERROR_RATE)",
    )
    add("--persons", type=int, default=int(_env("PERSONS", DEFAULT_PERSONS)), help="population size")
    add("--enterprises", type=int, default=int(_env("ENTERPRISES", DEFAULT_ENTERPRISES)), help="enterprises")
    add("--quiet", action="store_true", help="do not log requests")
    add("--seed-only", action="store_true", help="create and seed the data directory, then exit")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Resolve defaults that depend on the day (the as-of date)."""
    as_of = args.as_of if isinstance(args.as_of, date) else _as_of(args.as_of) if args.as_of else data_epoch()
    return Settings(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        seed=args.seed,
        as_of=as_of,
        key=args.key,
        persons=args.persons,
        enterprises=args.enterprises,
        simulation=Simulation(max(args.latency_ms, 0), args.error_rate),
        quiet=args.quiet,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = build_parser().parse_args(argv)
    settings = settings_from(args)
    if args.seed_only:
        store = Store(settings.data_dir)
        changed = store.ensure_dataset(settings.seed, settings.as_of, settings.persons, settings.enterprises)
        print(f"datahub data {'seeded' if changed else 'already up to date'} in {store.path}")
        return 0
    run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
