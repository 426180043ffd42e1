"""Run the prefill plugins for one applicant and one merged form (申请表格预填).

The data hub is a convenience, never a gate: if it cannot be reached, the citizen gets an
empty form and a notice, and the application goes on. A plugin that hits a hub error
contributes nothing; after a connection failure or timeout the remaining plugins are
skipped, so an unreachable hub costs at most one client timeout (settings.DATAHUB_TIMEOUT).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from onething.apply.prefill import plugins as _plugins  # noqa: F401  (registers the plugins)
from onething.apply.prefill.base import PrefillContext, PrefillPlugin, registry
from onething.identity.datahub import DatahubError, DatahubUnavailable, datahub_client

if TYPE_CHECKING:
    from onething.accounts.models import User
    from onething.apply.form import MergedForm
    from onething.notice.engine import NoticeMaterial
    from services.datahub.client import DatahubClient

logger = logging.getLogger(__name__)

UNAVAILABLE_NOTICE = "政府数据暂时无法获取，请手工填写；您的申请不受影响。"
UNAVAILABLE_NOTICE_EN = (
    "Government data cannot be fetched right now: please fill in the form yourself. Your application is not affected."
)


@dataclass
class PrefillOutcome:
    """What prefill found for a form: values and their sources by data-element key, the
    e-licences attached in place of materials (by material key), and whether the hub failed."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    materials: dict[str, dict[str, Any]] = field(default_factory=dict)
    unavailable: bool = False
    notice: str = ""
    notice_en: str = ""
    failed: list[str] = field(default_factory=list)  # names of plugins that hit a hub error
    identities: dict[str, str] = field(default_factory=dict)  # party -> ID number or credit code
    looked_up: list[str] = field(default_factory=list)  # holders whose e-licences were fetched

    @property
    def count(self) -> int:
        """Number of prefilled fields."""
        return len(self.values)


def run_prefill(
    *,
    applicant: User | None,
    form: MergedForm,
    materials: Iterable[NoticeMaterial],
    client: DatahubClient | None = None,
    plugins: Iterable[PrefillPlugin] | None = None,
) -> PrefillOutcome:
    """Run every registered plugin in order (or ``plugins``); never raises for hub problems.

    Without ``client`` one is made from settings (DATAHUB_URL, DATAHUB_TIMEOUT) and closed
    afterwards.
    """
    own_client = client is None
    hub = datahub_client() if client is None else client
    # records a plugin reads several of are fetched at once, each pool thread with its own
    # client: only with this thread's own client (a caller's client, a test's, is used alone)
    ctx = PrefillContext(applicant=applicant, form=form, materials=list(materials), client=hub, parallel=own_client)
    outcome = PrefillOutcome()
    try:
        for plugin in registry if plugins is None else plugins:
            try:
                result = plugin.prefill(ctx)
            except DatahubUnavailable as exc:
                logger.warning("prefill %s: data hub unavailable, skipping the rest: %s", plugin.name, exc)
                outcome.failed.append(plugin.name)
                break
            except DatahubError as exc:
                logger.warning("prefill %s: data hub refused a request: %s", plugin.name, exc)
                outcome.failed.append(plugin.name)
                continue
            ctx.found.merge(result)
    finally:
        if own_client:
            hub.close()
    outcome.values = {key: value for key, value in ctx.found.values.items() if key in ctx.fields}
    outcome.sources = {key: ctx.found.sources[key] for key in outcome.values}
    outcome.materials = dict(ctx.found.materials)
    outcome.identities = dict(ctx.found.identities)
    outcome.looked_up = sorted(key[1] for key in ctx.cache if key[0] == "elicences")
    if outcome.failed:
        outcome.unavailable = True
        outcome.notice, outcome.notice_en = UNAVAILABLE_NOTICE, UNAVAILABLE_NOTICE_EN
    return outcome
