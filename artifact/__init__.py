"""OEC reproducibility artifact: shared pipeline code (tasks, runtime, agent, policies, grading, evaluation, CLI)."""
