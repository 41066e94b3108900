"""Code intelligence: tree-sitter parsing of open documents and the persistent workspace index.

``languages`` (grammar registry) -> ``symbols`` (queries -> definitions/imports) -> ``worker``
(one file -> rows) -> ``store`` (SQLite) -> ``workspace`` (build, refresh, look-ups) -> ``service``
(the running server's index); ``trees`` keeps open documents' trees incremental.
"""
