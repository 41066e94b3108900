"""Fine-tuning the local model on a workspace's own code (LoRA adapters through ``peft``).

The stages, one module each: ``examples`` (files, train/held-out split by file, training and
evaluation examples cut at syntax-node boundaries), ``train`` (the LoRA loop with its budget,
progress and clean Ctrl-C), ``evaluate`` (held-out perplexity, next-line exact match),
``store`` (adapters on disk next to the model cache, with their metadata), ``adapters``
(switching an adapter on a loaded LocalProvider), ``session`` (the whole command: before,
train, after).
"""
