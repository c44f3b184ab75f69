"""Run an experiment's grid at a scale: per seed, expert demonstrations -> warm-start student ->
its on-policy / OEC / DAgger rollouts -> one dataset and one trained student per row -> evaluation.
Every step is a cached stage (artifact.pipeline.stages), so rows and experiments share work."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

from artifact.generation.runner import load_finished
from artifact.pipeline.grid import DataMix, Experiment, Row
from artifact.pipeline.stages import Pipeline, console

PAPER_SWITCH_RANGE = (0, 30)  # OEC's k ~ U{0..30} (paper-facts.md)


@dataclass(frozen=True)
class ScalePlan:
    """The budgets of one scale and setting (from the `[pipeline]` and `[setting.*]` sections)."""
    base_model: str
    gen_tasks: int | None  # train tasks rolled out per strategy (None: all)
    eval_tasks: int | None  # eval tasks (None: all)
    budget: int  # trajectories per trained row before matching
    warm_start: int  # BC trajectories of the generating student (0: the base model generates)
    switch_range: tuple[int, int] = PAPER_SWITCH_RANGE  # OEC rows that name no range of their own

    @classmethod
    def from_config(cls, config: dict, setting: str, base_model: str) -> ScalePlan:
        p, s = config["pipeline"], config.get("setting", {}).get(setting, {})
        try:
            lo, hi = (int(k) for k in p.get("switch_range", PAPER_SWITCH_RANGE))
        except (TypeError, ValueError):
            raise ValueError("pipeline.switch_range must be [lo, hi], got "
                             f"{p.get('switch_range')!r}") from None
        return cls(base_model, p.get("gen_tasks"), p.get("eval_tasks"),
                   int(s.get("budget", p["budget"])), int(s.get("warm_start", 0)),
                   (lo, hi))

    def switch_range_of(self, mix: DataMix) -> tuple[int, int]:
        return mix.switch_range or self.switch_range

    def resolve(self, row: Row) -> Row:
        """The row with OEC ranges equal to the scale's written as the default: the same data
        gets the same label, so the same stages (a row naming 0..30 at 7B is the OEC row)."""
        data = tuple(replace(m, switch_range=None) if m.switch_range == self.switch_range else m
                     for m in row.data)
        return replace(row, data=data)


# The warm-start student's data: imitation trajectories, as in a BC row.
WARM_START_DATA = Row("warm-start", (DataMix("bc"),))


def eval_outcomes(eval_dir: Path) -> dict[str, int]:
    """instance_id -> 1/0 from an evaluation folder's graded trajectories (fails closed)."""
    outcomes = {}
    for path in sorted((eval_dir / "trajectories").glob("*.json")):
        record = load_finished(path)
        if record is not None:
            outcomes[record.instance_id] = int(bool(record.resolved))
    return outcomes


def run_seed(exp: Experiment, plan: ScalePlan, pipe: Pipeline, seed: int,
             quiet: bool = False, only: Collection[str] | None = None) -> dict[str, dict]:
    """One replicate of the grid; returns row name -> {outcomes, trajectories, ...}. `only`:
    train and evaluate these rows alone (matched counts still come from every row, so they get
    the very stages of the full grid: the analyses reuse a grid's students this way)."""
    train_file, eval_file = pipe.tiny_suite()
    bc_pool = pipe.rollouts("bc", train_file, seed, limit=plan.gen_tasks)
    generator = plan.base_model
    if plan.warm_start:
        # Named by content, as a BC row of that size would be: a BC row with the same count is the
        # very same dataset, model and evaluation (trained and evaluated once, not twice).
        tag = f"{_row_tag(WARM_START_DATA, {'bc': plan.warm_start})}-s{seed}"
        warm_data = pipe.dataset(tag, [(bc_pool, plan.warm_start)], seed=seed)
        generator = str(pipe.trained(tag, plan.base_model, warm_data, seed=seed))

    pools: dict[tuple, Path] = {}

    def pool(mix: DataMix) -> Path:
        if mix.pool_key not in pools:
            pools[mix.pool_key] = bc_pool if mix.strategy == "bc" else pipe.rollouts(
                mix.strategy, train_file, seed, limit=plan.gen_tasks, student=generator,
                switch_range=plan.switch_range_of(mix), beta=mix.beta)
        return pools[mix.pool_key]

    # Matched counts: every trained row gets the same number of trajectories (times its budget
    # fraction), capped by what the scarcest expert-involving pool yields after filtering. On-policy
    # pools are left out of the cap: a weak student's rejection sampling yields few trajectories,
    # and matching every row to that would starve the comparison the paper makes (OEC vs BC);
    # an on-policy row short of the budget says so in its `note`.
    survivors: dict[tuple, int] = {}

    def surviving(mix: DataMix, row: Row) -> int:
        key = (mix.pool_key, row.masking, row.repetition_filter)
        if key not in survivors:
            survivors[key] = pipe.survivors(pool(mix), row.masking, row.repetition_filter)
        return survivors[key]

    rows = [plan.resolve(row) for row in exp.rows]
    available = [int(surviving(m, row) / (m.share * row.budget))
                 for row in rows for m in row.data if m.strategy != "on-policy"]
    matched = min([plan.budget, *available])
    if not quiet:
        console.print(f"[bold]{exp.name}[/] seed {seed}: {matched} trajectories per full-budget row")

    results: dict[str, dict] = {}
    for row in sorted(rows, key=_on_policy_last):
        if only is not None and row.name not in only:
            continue
        start = time.time()
        note = ""
        if not row.trained:
            model = plan.base_model if row.start == "base" else generator
            # a warm-start row is the generator: trained on the warm-start imitation set
            counts = {"bc": plan.warm_start} if model != plan.base_model else {}
        else:
            wanted = {m.label: max(1, round(matched * row.budget * m.share)) for m in row.data}
            counts = {m.label: min(wanted[m.label], surviving(m, row)) for m in row.data}
            short = [f"{k}: {counts[k]} of {wanted[k]} survived" for k in wanted
                     if counts[k] < wanted[k]]
            note = "; ".join(short)
            if not all(counts.values()):
                results[row.name] = {"model": None, "trajectories": counts, "outcomes": {},
                                     "note": note + " (not trained: counts as unresolved)",
                                     "report": {"resolve_rate": 0.0, "ci95": [0.0, 0.0],
                                                "n_tasks": 0, "exit_status_counts": {}},
                                     "seconds": 0.0, "eval_dir": ""}
                continue
            sources = [(pool(m), counts[m.label]) for m in row.data]
            tag = _row_tag(row, counts)
            data = pipe.dataset(f"{tag}-s{seed}", sources, row.masking, row.repetition_filter,
                                seed=seed)
            model = str(pipe.trained(f"{tag}-s{seed}", plan.base_model, data, seed=seed))
        report, eval_dir = pipe.evaluation(Path(model).name, model, eval_file, limit=plan.eval_tasks)
        results[row.name] = {"model": model, "trajectories": counts,
                             "outcomes": eval_outcomes(eval_dir),
                             "report": {k: report[k] for k in ("resolve_rate", "ci95", "n_tasks",
                                                               "exit_status_counts")},
                             "seconds": round(time.time() - start, 1), "eval_dir": str(eval_dir),
                             "note": note}
    return {row.name: results[row.name] for row in exp.rows if row.name in results}


def _on_policy_last(row: Row) -> bool:
    """Rows that need the on-policy pool run last (stable otherwise): a weak student's rollouts
    are the slowest stage, and an interrupted run should already hold the rows the paper compares
    (OEC vs BC). Results keep the declared order."""
    return any(m.strategy == "on-policy" for m in row.data)


def _row_tag(row: Row, counts: dict[str, int]) -> str:
    # "oec94", but "oec0-30_94" and "dagger0.5_94": a count never runs into a label's digits
    mix = "+".join(f"{label}{'_' if label[-1].isdigit() else ''}{n}" for label, n in counts.items())
    flags = ("" if row.masking == "expert_only" else "-nomask") + \
        ("" if row.repetition_filter else "-norep")
    return mix + flags
