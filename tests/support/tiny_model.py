"""Real, small transformer models for tests: a BPE tokenizer trained in under a second on real
Python code (CPython's standard library) and a randomly initialised causal LM built from a real
architecture's config.  Nothing is mocked: these load through the same ``from_pretrained`` path
as any user model.
"""

from __future__ import annotations

import os
from pathlib import Path

SPECIAL_TOKENS = ["<|endoftext|>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>",
                  "<repo_name>", "<|im_start|>", "<|im_end|>"]

CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
                 "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def training_corpus(max_bytes: int = 600_000) -> list[str]:
    """Real Python source from the running interpreter's standard library."""
    lib = Path(os.__file__).parent
    texts: list[str] = []
    total = 0
    for path in sorted(lib.glob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        texts.append(text)
        total += len(text)
        if total >= max_bytes:
            break
    return texts


def build_tokenizer(vocab_size: int = 1200, special_tokens: list[str] | None = None):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    specials = special_tokens if special_tokens is not None else SPECIAL_TOKENS
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(training_corpus(), vocab_size=vocab_size, min_frequency=2, special_tokens=specials,
                            show_progress=False)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=specials[0] if specials else None,
                                        pad_token=specials[0] if specials else None)
    if "<|im_start|>" in specials:
        tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_tiny_model(out_dir: Path, *, arch: str = "llama", vocab_size: int = 1200, layers: int = 2,
                     hidden: int = 64, heads: int = 4, kv_heads: int = 2, max_positions: int = 2048,
                     special_tokens: list[str] | None = None, seed: int = 0) -> Path:
    """Save a random-weight model and its trained tokenizer in ``out_dir``; returns ``out_dir``."""
    import torch
    from transformers import AutoModelForCausalLM, GPT2Config, LlamaConfig

    tokenizer = build_tokenizer(vocab_size, special_tokens)
    torch.manual_seed(seed)
    if arch == "llama":
        config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=hidden * 2,
                             num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv_heads,
                             max_position_embeddings=max_positions, tie_word_embeddings=True,
                             eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.eos_token_id)
    elif arch == "gpt2":
        config = GPT2Config(vocab_size=len(tokenizer), n_embd=hidden, n_layer=layers, n_head=heads,
                            n_positions=max_positions, eos_token_id=tokenizer.eos_token_id,
                            bos_token_id=tokenizer.eos_token_id)
    else:
        raise ValueError(arch)
    model = AutoModelForCausalLM.from_config(config)
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir
