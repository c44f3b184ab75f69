"""tiny-base: this project's own tiny pretrained coder (a Qwen2-architecture causal LM with a
locally trained byte-level BPE and a ChatML template), the tiny scale's analogue of
Qwen2.5-Coder. The committed weights live in `weights/`; `oec tiny-base build` rebuilds them."""

from __future__ import annotations

from pathlib import Path

WEIGHTS_DIR = Path(__file__).parent / "weights"


def load_tiny_base(path: Path | str | None = None):
    """(model, tokenizer) of a tiny-base folder; the committed model by default. The tokenizer
    comes from the project's loader (PreTrainedTokenizerFast), never AutoTokenizer's guess."""
    import torch
    from transformers import Qwen2ForCausalLM

    from artifact.models.tiny_base.tokenizer import load_tokenizer

    folder = Path(path) if path is not None else WEIGHTS_DIR
    if not (folder / "model.safetensors").exists():
        raise FileNotFoundError(f"{folder}: no model.safetensors (build one with `oec tiny-base build`)")
    model = Qwen2ForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
    model.eval()
    return model, load_tokenizer(folder)
