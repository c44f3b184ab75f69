import os
from pathlib import Path

import pytest

# Nothing may be fetched from a model hub during tests.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_suite(tmp_path_factory) -> Path:
    """The tiny task suite, built once per test session with the real sandbox."""
    from artifact.tasks.tiny_suite.build import build_suite

    out = tmp_path_factory.mktemp("suite")
    build_suite(out, seed=0, workers=2)
    return out
