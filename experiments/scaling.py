"""Scaling curves: resolve rate against the number of training trajectories for BC, on-policy and
OEC. Paper (ICLR 2026 review): OEC > BC > fully on-policy along the curves."""

from artifact.pipeline.grid import Claim, DataMix, Experiment, Row

FRACTIONS = (0.25, 0.5, 1.0)
STRATEGIES = (("BC", "bc"), ("on-policy", "on-policy"), ("OEC", "oec"))

ROWS = tuple(
    # On-policy data are the student's own turns: trained on all of them (see main_7b).
    Row(f"{label} x{fraction:g}", (DataMix(strategy),), budget=fraction, group=label,
        masking="all_assistant" if strategy == "on-policy" else "expert_only")
    for label, strategy in STRATEGIES for fraction in FRACTIONS
)

EXPERIMENT = Experiment(
    name="scaling",
    title="Resolve rate vs number of training trajectories",
    paper="scaling figure",
    rows=ROWS,
    claims=(Claim("scaling_order", "ordering", ("OEC x1", "BC x1", "on-policy x1")),),
    setting="32b",
    plot="scaling",
)
