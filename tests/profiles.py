"""How hard the property tests and fuzzers try, chosen by HYPOTHESIS_PROFILE:

- ``dev``: the default on a developer's machine, a quarter of the examples;
- ``ci``: the default when CI is set (``.ci/run`` sets CI=true), the full counts;
- ``thorough``: four times the full counts, for a nightly run or after changing a parser.

Every test keeps running under every profile: only the number of generated examples changes.
Counts in the tests are written as ``examples(<full count>)``; tests without one take
Hypothesis's default of 100, scaled the same way through the loaded profile."""

import os

from hypothesis import settings

SCALES = {"dev": 0.25, "ci": 1.0, "thorough": 4.0}
_ci = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _ci else "dev")
if PROFILE not in SCALES:
    raise ValueError(f"HYPOTHESIS_PROFILE={PROFILE!r}: one of {', '.join(SCALES)}")


def examples(full: int) -> int:
    """The number of examples for a test that generates ``full`` under the ci profile."""
    return max(2, round(full * SCALES[PROFILE]))


for _name, _scale in SCALES.items():
    settings.register_profile(_name, max_examples=max(2, round(100 * _scale)))
settings.load_profile(PROFILE)
