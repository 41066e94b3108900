"""Explain and transform selected code (the right-click actions).

The stages, one module each: ``selection`` (what was selected, checked: empty, binary, whole
lines), ``gather`` (enclosing scopes, the file's imports and the definitions of the names the
selection uses, through the context engine's definition source and the workspace index),
``prompt`` (chat messages packed into the model's context budget), ``actions`` (the edit
actions and each language's documentation convention), ``extract`` (the replacement code out of
the model's reply, re-indented and parse-checked with tree-sitter), ``engine`` (runs a provider:
``explain`` streams Markdown, ``propose_edit`` returns a checked replacement).  Nothing here
knows about LSP.
"""
