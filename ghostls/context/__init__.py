"""Cross-file context for prompts: sources, ranking and packing in the model's own tokens.

The stages, one module each: ``tokens`` (identifier tokens), ``windows`` (code windows of files),
``similarity`` (BM25 and Jaccard over windows), ``recent`` (recently edited ranges), ``sources``
(the context sources, each a small unit), ``rank`` (rank fusion, de-duplication, packing),
``engine`` (runs the sources with their deadlines; the completion pipeline's ``context_source``),
``prompt_view`` (the exact prompt at a position, for ``ghostls.showPrompt``).
"""
