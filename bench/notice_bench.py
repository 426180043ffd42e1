"""Benchmark: the one-time notice for every situation of the largest demo bundle.

Target (issue 2): under 5 ms per notice on a 2-core machine. Prints the time per notice
for the engine alone and for what a request does (check answers, build, serialise).

    .venv/bin/python bench/notice_bench.py [--repeat 5]
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.settings")

import django  # noqa: E402

django.setup()

from onething.catalog import situations  # noqa: E402
from onething.catalog.definition.validation import validate_document  # noqa: E402
from onething.notice.engine import build_notice, compile_definition  # noqa: E402
from onething.notice.selectors import notice_as_dict  # noqa: E402

TARGET_MS = 5.0


def largest_bundle() -> tuple[str, dict]:
    """The demo bundle with the most (situations × items)."""
    best = None
    for path in sorted((ROOT / "demo" / "bundles").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        version = document["bundle"]["version"]
        size = situations.count_situations(version["questions"]) * len(version["items"])
        if best is None or size > best[0]:
            best = (size, path.name, document)
    if best is None:
        raise SystemExit("no demo bundles found in demo/bundles")
    return best[1], best[2]


def time_per_call(fn, calls: list, repeat: int) -> list[float]:
    """Milliseconds per call, one figure per repetition over all calls."""
    figures = []
    for _ in range(repeat):
        start = time.perf_counter()
        for args in calls:
            fn(*args)
        figures.append((time.perf_counter() - start) * 1000 / len(calls))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    name, document = largest_bundle()
    assert validate_document(document) == [], "demo bundle must be valid"
    compiled = compile_definition(document)
    all_answers = list(situations.enumerate_situations(compiled.questions))

    def engine(answers):
        build_notice(compiled, answers)

    def request_path(answers):
        checked, errors = situations.check_answers(compiled.questions, answers)
        assert not errors
        notice_as_dict(build_notice(compiled, checked))

    engine_ms = time_per_call(engine, [(a,) for a in all_answers], args.repeat)
    request_ms = time_per_call(request_path, [(a,) for a in all_answers], args.repeat)
    print(f"bundle: {name} ({len(compiled.bundle_items)} items, {len(all_answers)} situations)")
    print(
        f"engine (build_notice):              median {statistics.median(engine_ms):.3f} ms/notice, "
        f"best {min(engine_ms):.3f}"
    )
    print(
        f"request path (check+build+to JSON): median {statistics.median(request_ms):.3f} ms/notice, "
        f"best {min(request_ms):.3f}"
    )
    verdict = "met" if statistics.median(request_ms) < TARGET_MS else "MISSED"
    print(f"target < {TARGET_MS} ms per notice: {verdict}")


if __name__ == "__main__":
    main()
