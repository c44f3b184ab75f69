"""Training data: filter generated trajectories, build loss-masked chat examples, tokenize them.

filters.py  - which trajectories are kept (resolved, repetition, size)
examples.py - what the model saw at a turn, and which messages get loss
build.py    - read sources, filter, mix (DIR:N), write JSONL + manifest
tokenize.py - chat-template tokenization with exact per-message labels
"""
