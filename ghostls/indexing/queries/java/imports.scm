; A statement with a wildcard match keeps only that match (see symbols.py).
(import_declaration (scoped_identifier) @import.module (asterisk) @import.wildcard) @import
(import_declaration (scoped_identifier scope: (_) @import.module name: (identifier) @import.name)) @import
