"""The view models of entries and their results: what templates print. Plain data, no logic beyond counting."""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.charts import Chart
from generator.rank import RankView


@dataclass
class ClaimView:
    statement: str
    claimed: str
    measured: str
    verdict: str  # claimed | verified | contradicted | untested
    basis: str  # why this verdict, including the tolerance used
    origin: str
    source: str | None
    protocol: str | None


@dataclass
class CapabilityView:
    id: str
    title: str
    summary: str
    unique: str
    vs_alternatives: str
    claims: list[ClaimView]


@dataclass
class MetricRow:
    name: str
    display: str
    value: str


@dataclass
class DetailTable:
    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class ResultView:
    entry: str
    id: str
    check: str
    status: str
    reason: str | None
    metrics: list[MetricRow]
    values: dict[str, float | int]
    config: dict
    provenance: dict
    details: dict
    tables: list[DetailTable] = field(default_factory=list)
    stale: str | None = None  # why this result no longer matches its entry or code (shown, never ranked)
    evidence: str = ""  # the result JSON, copied into the site (relative to the site's root)
    examples: str | None = None  # its per-example file, when it has one
    reproduce: str = ""  # shell lines that re-measure and re-verify it
    plain: str = ""  # why there is no number, for readers (the raw reason stays in ``reason``)
    label: str = ""  # e.g. "architecture, random weights"
    eee: str = ""  # its Every Eval Ever record in the site, when it exports one
    how: str = ""  # how to measure it


@dataclass
class NeighbourView:
    id: str
    title: str
    similarity: float
    rank: str
    compare: str | None  # slug of the comparison page, when there is one


@dataclass
class ComparisonLink:
    title: str  # the other entry's title
    slug: str


@dataclass
class EntryView:
    id: str
    title: str
    kind: str
    type: str
    task: str | None
    license: str
    summary: str
    homepage: str | None
    source: str
    source_url: str | None
    capabilities: list[CapabilityView]
    results: list[ResultView]
    verdicts: dict[str, int]
    checks_declared: int
    checks_ok: int
    rank: RankView | None = None
    neighbours: list[NeighbourView] = field(default_factory=list)
    times_matched: int = 0
    charts: list[Chart] = field(default_factory=list)
    comparisons: list[ComparisonLink] = field(default_factory=list)
    ecosystem: str = ""  # formats and runtimes this engine loaded for it
    pricing: str = ""  # from the licence
    adoption: str = ""  # a dated registry snapshot, when the adoption check recorded one
    model_index: str = ""  # a Hugging Face model-index snippet of its measured scores, in the site

    @property
    def claims_tested(self) -> int:
        return self.verdicts["verified"] + self.verdicts["contradicted"]

    @property
    def claims_testable(self) -> int:
        return self.claims_tested + self.verdicts["untested"]
