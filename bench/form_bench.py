"""Benchmark: build and validate the merged form (一表申请) for the largest demo bundle.

Target (issue 3): under 10 ms per validation on a 2-core machine. For every situation
of the bundle with the most form fields, fills every field with a valid value and times
(a) building the form from scratch (cache cleared), (b) validating the data (what every
save and submit does).

    .venv/bin/python bench/form_bench.py [--repeat 5]
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

from onething.apply import form as merged  # noqa: E402
from onething.catalog import situations  # noqa: E402
from onething.notice.engine import compile_definition  # noqa: E402

TARGET_MS = 10.0


def largest_bundle():
    best = None
    for path in sorted((ROOT / "demo" / "bundles").glob("*.json")):
        compiled = compile_definition(json.loads(path.read_text(encoding="utf-8")))
        size = max(
            len(merged.build_merged_form(compiled=compiled, answers=a).fields)
            for a in situations.enumerate_situations(compiled.questions)
        )
        if best is None or size > best[0]:
            best = (size, path.name, compiled)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    size, name, compiled = largest_bundle()
    all_answers = list(situations.enumerate_situations(compiled.questions))
    build_ms, validate_ms = [], []
    for _ in range(args.repeat):
        merged._build_cached.cache_clear()
        merged._schema_validator.cache_clear()
        start = time.perf_counter()
        forms = [merged.build_merged_form(compiled=compiled, answers=a) for a in all_answers]
        build_ms.append((time.perf_counter() - start) * 1000 / len(forms))
        data = [{f.key: f.example() for f in form.fields} for form in forms]
        start = time.perf_counter()
        for form, values in zip(forms, data, strict=True):
            _, errors = merged.validate(form, values)
            assert not errors, errors
        validate_ms.append((time.perf_counter() - start) * 1000 / len(forms))
    print(f"bundle: {name} (up to {size} fields, {len(all_answers)} situations)")
    print(f"build merged form (cold): median {statistics.median(build_ms):.3f} ms")
    print(f"validate merged data:     median {statistics.median(validate_ms):.3f} ms, best {min(validate_ms):.3f}")
    print(
        f"target < {TARGET_MS} ms per validation: {'met' if statistics.median(validate_ms) < TARGET_MS else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
