"""Beyond the paper: other switch ranges for OEC, and per-step DAgger(beta) mixing instead of one
switch. The paper's range is k ~ U{0..30}; a scale may set its own (`pipeline.switch_range`: tiny
uses 0..8, its expert's trajectories being 4-9 calls long)."""

from artifact.pipeline.grid import DataMix, Experiment, Row

ROWS = (
    Row("OEC, the scale's range", (DataMix("oec"),)),
    Row("OEC k in 0..30 (paper)", (DataMix("oec", switch_range=(0, 30)),)),
    Row("OEC k in 0..10", (DataMix("oec", switch_range=(0, 10)),)),
    Row("OEC k in 10..30", (DataMix("oec", switch_range=(10, 30)),)),
    Row("DAgger beta 0.5", (DataMix("dagger", beta=0.5),)),
    Row("DAgger beta 0.8", (DataMix("dagger", beta=0.8),)),
)

EXPERIMENT = Experiment(
    name="ablation_switch",
    title="Switch ranges and DAgger mixing",
    paper="beyond the paper",
    rows=ROWS,
    setting="32b",
)
