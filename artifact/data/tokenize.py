"""Tokenize a loss-flagged chat example with the model's chat template; labels by our own code.

How spans are found: the chat template renders the whole conversation to text once. For each
message i we also render the prefix messages[:i+1]; it must be a character prefix of the full
rendering (otherwise the template rewrites history - e.g. drops earlier reasoning - and per-message
masks would be wrong, so we raise TemplateRewritesHistory). For a loss message the span starts
after the rendering of messages[:i] with add_generation_prompt=True (so the role header
"<|im_start|>assistant\n", which the model is given at inference and never generates, gets no
loss) and ends right after the last end-of-turn marker (default "<|im_end|>") in the message's
rendering.

Label convention: loss on the reply's content tokens and its <|im_end|> token (the stop token
the model must learn to emit); NOT on the newline the ChatML template writes after <|im_end|>
(never generated at inference), and not on the role header.

The full text is tokenized once with offsets; a token is labelled when its character span lies
inside a loss span. A token straddling a span boundary (a BPE merge across the boundary) raises
SpanBoundaryError rather than being silently half-labelled. With ChatML the span ends next to the
<|im_end|> special token, so only the start can straddle: a reply that begins with a newline merges
with the header's "\n" under Qwen's pre-tokenizer ("\n\n" is one token). Callers drop and count
such examples (none occur in the current runs/); a reply starting with a space is fine.
"""

from __future__ import annotations

import bisect

IGNORE_INDEX = -100
END_OF_TURN = "<|im_end|>"


class TokenizeError(ValueError):
    """An example cannot be tokenized with exact labels."""


class TemplateRewritesHistory(TokenizeError):
    pass


class SpanBoundaryError(TokenizeError):
    pass


class NoLossTokens(TokenizeError):
    """No token of the example carries loss (so it would silently train on nothing)."""


class ExampleTooLong(TokenizeError):
    """More tokens than max_length: the caller drops the example (max_tokens filter)."""


def _render(tokenizer, messages: list[dict], generation_prompt: bool = False) -> str:
    chat = [{"role": m["role"], "content": m["content"]} for m in messages]
    return tokenizer.apply_chat_template(chat, tokenize=False,
                                         add_generation_prompt=generation_prompt)


def loss_char_spans(messages: list[dict], tokenizer,
                    end_of_turn: str = END_OF_TURN) -> tuple[str, list[tuple[int, int]]]:
    """The full rendering and the [start, end) character spans that get loss."""
    full = _render(tokenizer, messages)
    spans = []
    for i, message in enumerate(messages):
        if not message.get("loss"):
            continue
        if i == 0:
            raise TokenizeError("a loss message cannot be the first message (no prompt)")
        header = _render(tokenizer, messages[:i], generation_prompt=True)
        through = _render(tokenizer, messages[: i + 1])
        for prefix in (header, through):
            if not full.startswith(prefix):
                raise TemplateRewritesHistory(
                    f"rendering of the first {i} messages is not a prefix of the full rendering: "
                    "the chat template rewrites history; per-message loss masks are impossible")
        marker = through.rfind(end_of_turn, len(header))
        if marker < 0:
            raise TokenizeError(f"message {i}: no {end_of_turn!r} in its rendering")
        spans.append((len(header), marker + len(end_of_turn)))
    return full, spans


def tokenize_example(messages: list[dict], tokenizer, max_length: int | None = None,
                     end_of_turn: str = END_OF_TURN) -> dict[str, list[int]]:
    """input_ids, labels (-100 outside loss spans) and attention_mask for one example.

    Raises NoLossTokens when no token gets loss and ExampleTooLong when len > max_length."""
    full, spans = loss_char_spans(messages, tokenizer, end_of_turn)
    encoding = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids: list[int] = list(encoding["input_ids"])
    offsets = encoding["offset_mapping"]
    starts = [s for s, _ in spans]
    labels = [IGNORE_INDEX] * len(ids)
    for j, (begin, end) in enumerate(offsets):
        k = bisect.bisect_right(starts, begin) - 1  # last span starting at or before the token
        inside = k >= 0 and begin < spans[k][1]
        if inside and end > spans[k][1]:
            raise SpanBoundaryError(f"token {j} crosses the end of a loss span")
        following = k + 1 < len(spans) and begin < spans[k + 1][0] < end
        if following:
            raise SpanBoundaryError(f"token {j} crosses the start of a loss span")
        if inside:
            labels[j] = ids[j]
    if spans and all(label == IGNORE_INDEX for label in labels):
        raise NoLossTokens("no token carries loss although messages are flagged")
    if not spans:
        raise NoLossTokens("no message of the example carries loss")
    if max_length is not None and len(ids) > max_length:
        raise ExampleTooLong(f"{len(ids)} tokens > max_length {max_length}")
    return {"input_ids": ids, "labels": labels, "attention_mask": [1] * len(ids)}
