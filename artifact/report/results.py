"""results/<scale>/<experiment>.{json,md,png}: every row with its CI, the config, seeds,
versions and wall time, and a verdict per claim of the paper."""

from __future__ import annotations

import json
from pathlib import Path

from artifact.agent.trajectory import write_json_atomic
from artifact.generation.provenance import provenance
from artifact.pipeline.grid import Experiment
from artifact.report import aggregate
from artifact.report.verdicts import judge, reported_claims


def build_result(exp: Experiment, scale: str, per_seed: list[dict], seeds: list[int], config: dict,
                 wall_seconds: float) -> dict:
    names = [r.name for r in exp.rows]
    summary = aggregate.summarize_rows(per_seed, names)
    boot, m = summary.pop("_boot"), summary.pop("_matrix")
    reported = reported_claims()
    rows = []
    for row in exp.rows:
        s = summary["rows"][row.name]
        rows.append({"row": row.name, "group": row.group, **s,
                     "trajectories": [seed[row.name]["trajectories"] for seed in per_seed],
                     "models": [seed[row.name]["model"] for seed in per_seed],
                     "exit_status_counts": [seed[row.name]["report"]["exit_status_counts"]
                                            for seed in per_seed],
                     "masking": row.masking, "repetition_filter": row.repetition_filter,
                     "notes": [n for seed in per_seed if (n := seed[row.name].get("note"))]})
    return {"experiment": exp.name, "title": exp.title, "paper": exp.paper, "scale": scale,
            "seeds": seeds, "rows": rows,
            "claims": [judge(c, exp, scale, boot, m, reported) for c in exp.claims],
            "config": config, "wall_seconds": round(wall_seconds, 1), "provenance": provenance(),
            "notes": exp.notes}


def markdown(result: dict) -> str:
    lines = [f"# {result['title']} ({result['experiment']}, scale `{result['scale']}`)", "",
             (f"Paper: {result['paper']}. Seeds: {result['seeds']}. Wall time: "
             f"{result['wall_seconds'] / 60:.1f} min."), "",
             "| row | resolve rate | 95% CI | per seed | tasks | training trajectories |",
             "|---|---:|---|---|---:|---|"]
    for r in result["rows"]:
        counts = [", ".join(f"{k} {v}" for k, v in t.items()) or "none (not trained)"
                  for t in r["trajectories"]]
        traj = counts[0] if len(set(counts)) == 1 else "; ".join(counts)  # per seed if they differ
        per_seed = ", ".join(f"{x:.1%}" for x in r["per_seed"])
        lines.append(f"| {r['row']} | {r['resolve_rate']:.1%} | {r['ci95'][0]:.1%} – {r['ci95'][1]:.1%} "
                     f"| {per_seed} | {r['n_tasks']} | {traj} |")
    if result["claims"]:
        lines += ["", "| claim | reported | measured | verdict |", "|---|---|---|---|"]
        lines += [f"| {c['what'] or c['claim']} | {c['reported']} | {c['measured']} | **{c['verdict']}** |"
                  for c in result["claims"]]
    notes = [f"- {r['row']}: {n}" for r in result["rows"] for n in r.get("notes", [])]
    if notes:
        lines += ["", "Rows short of their budget:", *notes]
    if result.get("notes"):
        lines += ["", result["notes"]]
    if result.get("stage_seconds"):
        lines += ["", "Stages computed by this run (cached ones are not listed):", "",
                  "| stage | minutes |", "|---|---:|"]
        lines += [f"| {t['stage']} | {t['seconds'] / 60:.1f} |" for t in result["stage_seconds"]]
    return "\n".join(lines) + "\n"


def plot(result: dict, path: Path, kind: str = "bars") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    rows = result["rows"]
    if kind == "scaling":
        groups: dict[str, list[dict]] = {}
        for r in rows:
            if r["group"]:
                groups.setdefault(r["group"], []).append(r)
        for group, members in groups.items():
            xs = [_total(m["trajectories"][0]) for m in members]
            ys = [m["resolve_rate"] for m in members]
            lo = [m["resolve_rate"] - m["ci95"][0] for m in members]
            hi = [m["ci95"][1] - m["resolve_rate"] for m in members]
            ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=3, label=group)
        ax.set_xlabel("training trajectories")
        ax.legend()
    else:
        names = [r["row"] for r in rows]
        ys = [r["resolve_rate"] for r in rows]
        err = [[y - r["ci95"][0] for y, r in zip(ys, rows, strict=True)],
               [r["ci95"][1] - y for y, r in zip(ys, rows, strict=True)]]
        ax.bar(names, ys, yerr=err, capsize=4, color="#4c72b0")
        ax.tick_params(axis="x", rotation=20)
    ax.set_ylabel("resolve rate (eval split)")
    ax.set_title(f"{result['experiment']} — scale {result['scale']}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _total(counts: dict) -> int:
    return sum(counts.values())


def write_result(result: dict, results_dir: Path, plot_kind: str = "bars") -> Path:
    folder = Path(results_dir) / result["scale"]
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / result["experiment"]
    write_json_atomic(stem.with_suffix(".json"), result, indent=1)
    stem.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    plot(result, stem.with_suffix(".png"), plot_kind)
    return stem.with_suffix(".json")


def load_results(results_dir: Path, scale: str | None = None) -> list[dict]:
    folders = [Path(results_dir) / scale] if scale else sorted(
        p for p in Path(results_dir).iterdir() if p.is_dir() and p.name != "reported")
    out = []
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            try:
                out.append(json.loads(path.read_text()))
            except ValueError:
                continue
    return out
