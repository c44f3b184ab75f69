"""Writing a failure-mode result: <out>/failure_modes.{json,md,png}."""

from __future__ import annotations

from pathlib import Path

from artifact.agent.trajectory import write_json_atomic

STEM = "failure_modes"


def _table(result: dict, buckets: list[str], key: str) -> list[str]:
    runs = result["runs"]
    lines = ["| bucket | " + " | ".join(runs) + " |", "|---|" + "---:|" * len(runs)]
    for bucket in buckets:
        cells = []
        for entry in runs.values():
            n, total = entry[key].get(bucket, 0), entry["unresolved"]
            cells.append(f"{n} ({100 * n / total:.0f}%)" if total else "0")
        lines.append(f"| {bucket} | " + " | ".join(cells) + " |")
    lines.append("| **unresolved** | " + " | ".join(str(e["unresolved"]) for e in runs.values())
                 + " |")
    return lines


def failure_markdown(result: dict) -> str:
    runs = result["runs"]
    lines = ["# Failure modes of unresolved trajectories", "",
             "Deterministic buckets, first matching rule in this order: "
             + ", ".join(result["buckets"]) + " (rules: artifact/analysis/failures.py).", ""]
    lines += ["| run | trajectories | resolved | unresolved | ungraded |",
              "|---|---:|---:|---:|---:|"]
    lines += [f"| {name} | {e['trajectories']} | {e['resolved']} | {e['unresolved']} | "
              f"{e['ungraded']} |" for name, e in runs.items()]
    for name, why in result.get("not_analysed", {}).items():
        lines += ["", f"Not analysed: **{name}**, no trained student to evaluate ({why})."]
    lines += ["", "## Deterministic buckets", ""] + _table(result, result["buckets"], "counts")
    judge = result.get("judge")
    if judge:
        invalid = sum(not item["judge"]["valid"] for e in runs.values() for item in e["items"])
        lines += ["", f"## LLM judge ({judge.get('model')}, last {judge.get('last_steps')} steps)",
                  "", f"Replies naming no single bucket (counted as `other`): {invalid}.", ""]
        lines += _table(result, judge["buckets"], "judge_counts")
    return "\n".join(lines) + "\n"


def plot_failures(result: dict, path: str | Path, key: str = "counts") -> None:
    """Grouped bars: one group per run (model), one bar per bucket, height = share of the run's
    unresolved trajectories (runs with different failure counts stay comparable)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on the machines this runs on
    import matplotlib.pyplot as plt

    runs = result["runs"]
    buckets = result["buckets"] if key == "counts" else result["judge"]["buckets"]
    width = 0.8 / len(buckets)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 + 0.35 * len(buckets) * len(runs)), 4.5))
    cmap = plt.get_cmap("tab10")
    for j, bucket in enumerate(buckets):
        xs, shares = [], []
        for i, entry in enumerate(runs.values()):
            total = entry["unresolved"]
            xs.append(i - 0.4 + (j + 0.5) * width)
            shares.append(entry[key].get(bucket, 0) / total if total else 0.0)
        ax.bar(xs, shares, width, label=bucket, color=cmap(j % 10))
    ax.set_xticks(range(len(runs)),
                  [f"{name}\n(n={e['unresolved']})" for name, e in runs.items()])
    ax.set_ylabel("share of unresolved trajectories")
    ax.set_ylim(0, 1)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left")
    ax.set_title("Failure modes" + (" (LLM judge)" if key != "counts" else ""))
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_failure_report(result: dict, out_dir: str | Path) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {ext: out / f"{STEM}.{ext}" for ext in ("json", "md", "png")}
    write_json_atomic(paths["json"], result, indent=1)
    paths["md"].write_text(failure_markdown(result), encoding="utf-8")
    plot_failures(result, paths["png"])
    if result.get("judge"):
        paths["judge_png"] = out / f"{STEM}_judge.png"
        plot_failures(result, paths["judge_png"], key="judge_counts")
    return paths
