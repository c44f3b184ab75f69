"""The main table, 7B setting: base student vs imitation (BC) vs on-policy vs OEC vs an OEC + BC
mixture, at matched trajectory counts. Paper: +14% relative for OEC over BC (abstract)."""

from artifact.pipeline.grid import Claim, DataMix, Experiment, Row

ROWS = (
    Row("base"),
    # The generating student: the base after the warm-start imitation set.
    Row("warm-start", start="warm"),
    Row("BC", (DataMix("bc"),)),
    # Rejection-sampling fine-tuning on the student's own resolved rollouts: its turns are the
    # targets (with the OEC masking, expert_only, they would carry no loss at all).
    Row("on-policy", (DataMix("on-policy"),), masking="all_assistant"),
    Row("OEC", (DataMix("oec"),)),
    # The paper's later-round 7B student: 3,000 OEC + 1,000 imitation trajectories.
    Row("OEC+BC", (DataMix("oec", 0.75), DataMix("bc", 0.25))),
)

EXPERIMENT = Experiment(
    name="main_7b",
    title="Main results, 7B setting",
    paper="main table (7B student: Qwen2.5-Coder-7B-Instruct, expert SWE-agent-LM-32B)",
    rows=ROWS,
    claims=(
        Claim("oec_vs_bc_7b", "relative_gain", ("OEC", "BC")),
        Claim("swe_oec_7b", "resolve_rate", ("OEC+BC",), scales=("7b",)),
    ),
    setting="7b",
)
