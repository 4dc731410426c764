"""adoption: a dated snapshot of how much a model is used, from the registry that serves it.

Hugging Face Hub repositories: the Hub API's downloads (last 30 days) and likes (``HF_ENDPOINT`` is
honoured). PyPI packages and wheels: pypistats.org's downloads over the last month. Data files:
no registry counts their downloads, so the result says so. Counts change daily: they are timings of
a kind (``machine``), always shown with their date and source, never compared between runs.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

from scoring import reasons
from scoring.check import Check, Context, Outcome, Unavailable, machine
from scoring.entries import Entry, HubSource, PyPISource, WheelsSource
from scoring.registry import register

PYPISTATS_ENV = "UNFRAGILE_PYPISTATS_URL"
PYPISTATS = "https://pypistats.org/api"


def _get_json(url: str, timeout: float = 20.0) -> dict:
    request = urllib.request.Request(url, headers={"User-Agent": "unfragile-adoption"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read(1 << 20))
    except urllib.error.HTTPError as err:
        raise Unavailable("http-error", url=url, status=err.code) from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise Unavailable("url-unreachable", url=url, error=reasons.error_name(getattr(err, "reason", err))) from None


def hub_snapshot(source: HubSource) -> tuple[dict, dict]:
    from huggingface_hub import HfApi

    try:
        info = HfApi().model_info(source.repo, expand=["downloads", "likes"])
    except Exception as err:  # network errors come from several libraries
        raise Unavailable("hub-api-unreachable", repo=source.repo, error=reasons.error_name(err)) from None
    metrics = {k: int(v) for k, v in (("downloads", info.downloads), ("likes", info.likes)) if v is not None}
    return metrics, {"source": f"Hugging Face Hub API, model {source.repo}", "period": "downloads in the last 30 days"}


def pypi_snapshot(package: str) -> tuple[dict, dict]:
    base = os.environ.get(PYPISTATS_ENV, PYPISTATS).rstrip("/")
    data = _get_json(f"{base}/packages/{package.lower()}/recent")
    last_month = (data.get("data") or {}).get("last_month")
    if not isinstance(last_month, int):
        raise Unavailable("no-download-count", package=package)
    return {"downloads": last_month}, {"source": f"pypistats.org, package {package}",
                                       "period": "downloads in the last month"}


@register
class Adoption(Check):
    name = "adoption"
    version = "1"
    metrics = {
        "downloads": machine("Downloads", "count", None, "as the registry counts them, over the period it states"),
        "likes": machine("Likes", "count", None, "Hugging Face likes at the time of the snapshot"),
    }

    def run(self, entry: Entry, args, ctx: Context) -> Outcome:
        source = entry.source
        if isinstance(source, HubSource):
            metrics, details = hub_snapshot(source)
        elif isinstance(source, PyPISource):
            metrics, details = pypi_snapshot(source.package)
        elif isinstance(source, WheelsSource):
            metrics, details = pypi_snapshot(source.wheels[0].package)
        else:
            raise Unavailable("no-registry", source=source.type)
        return Outcome(metrics=metrics, details={**details, "note": "a dated snapshot; the date is the result's"},
                       model=source.pins())
