"""Model introspection views: tokens, attention, positional encodings, "why this suggestion".

Engines here know nothing of LSP: they take text, a tokenizer or model, and a ``locate``
callable (code-point offset -> client position) and return plain JSON-ready dicts.  Each view
also renders as one self-contained HTML page (:mod:`ghostls.views.html`).
"""
