"""How an experiment declares its grid: rows of (data mix, masking, filter, budget), and the claims
its rows test. Plain data; `artifact.pipeline.run` turns it into stages."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class DataMix:
    """One source of a row's training data: trajectories of a strategy, a share of the budget."""
    strategy: str  # bc | on-policy | oec | dagger
    share: float = 1.0
    # OEC's k ~ U{lo..hi}; None: the scale's range (`pipeline.switch_range`; paper and default:
    # 0..30)
    switch_range: tuple[int, int] | None = None
    beta: float = 0.5  # DAgger's per-step expert probability

    @property
    def pool_key(self) -> tuple:
        """Rows with the same key draw from the same rollouts."""
        return (self.strategy,
                self.switch_range if self.strategy == "oec" else None,
                self.beta if self.strategy == "dagger" else None)

    @property
    def label(self) -> str:
        if self.strategy == "oec" and self.switch_range is not None:
            return f"oec{self.switch_range[0]}-{self.switch_range[1]}"
        if self.strategy == "dagger":
            return f"dagger{self.beta:g}"
        return self.strategy


@dataclass(frozen=True)
class Row:
    """One trained (or untrained) student, evaluated on the eval split.

    `data` empty: the student is evaluated as it is (`start` = "base" or "warm"). `budget`: the
    row's trajectory count as a fraction of the experiment's matched budget."""
    name: str
    data: tuple[DataMix, ...] = ()
    masking: str = "expert_only"
    repetition_filter: bool = True
    budget: float = 1.0
    start: str = "base"  # untrained rows: "base" (the pretrained model) or "warm" (warm-start)
    group: str = ""  # rows sharing a group form one curve in a plot (e.g. a strategy's scaling)

    def __post_init__(self) -> None:
        if self.masking == "expert_only" and any(m.strategy == "on-policy" for m in self.data):
            # On-policy trajectories have no expert turn: under expert_only nothing is trained.
            raise ValueError(f"row {self.name!r}: on-policy data need masking='all_assistant' "
                             "(expert_only leaves them no loss tokens)")

    @property
    def trained(self) -> bool:
        return bool(self.data)


@dataclass(frozen=True)
class Claim:
    """A statement of the paper this experiment tests, with the id of its reported number in
    results/reported/paper.json.

    kind "relative_gain": rows[0] over rows[1]; kind "ordering": rows from best to worst;
    kind "resolve_rate": rows[0]'s absolute rate (only comparable at the paper's own scale);
    kind "trend": the covariate shift of each row's student grows with turn depth."""
    reported_id: str
    kind: str
    rows: tuple[str, ...]
    scales: tuple[str, ...] = ()  # scales at which the number is comparable; empty: all


@dataclass(frozen=True)
class Experiment:
    """`kind` "grid": train and evaluate every row (artifact.pipeline.run). Other kinds are the
    analyses of artifact.pipeline.analyses ("covariate_shift", "failure_modes", "iterated_oec"):
    they walk the same grid for the rows in `extra["rows"]` (same stages, so nothing is trained
    twice) and analyse those students; `extra` holds their settings."""
    name: str
    title: str
    paper: str  # which table or figure of the paper, or "beyond the paper"
    rows: tuple[Row, ...]
    claims: tuple[Claim, ...] = ()
    setting: str = "7b"  # which warm-start recipe of the scale config ("7b" or "32b")
    plot: str = "bars"  # bars | scaling
    notes: str = ""
    extra: dict = field(default_factory=dict)
    kind: str = "grid"  # grid | covariate_shift | failure_modes | iterated_oec

    def subset(self, names: list[str]) -> Experiment:
        """Only the named rows (in declared order) and the claims they can test, under a name of
        its own so that its results do not replace the full table's. A ValueError names an
        unknown row."""
        if self.kind != "grid":
            raise ValueError(f"{self.name} is an analysis, not a table: it takes no --rows")
        declared = [r.name for r in self.rows]
        unknown = [n for n in names if n not in declared]
        if unknown:
            raise ValueError(f"{self.name} has no row {unknown[0]!r}; its rows: "
                             + ", ".join(declared))
        rows = tuple(r for r in self.rows if r.name in names)
        kept = {r.name for r in rows}
        return replace(self, name=self.name + "-" + "-".join(r.name for r in rows), rows=rows,
                       claims=tuple(c for c in self.claims if set(c.rows) <= kept))
