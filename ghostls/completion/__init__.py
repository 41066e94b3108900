"""The inline-completion pipeline: small, named stages that know nothing of LSP."""
