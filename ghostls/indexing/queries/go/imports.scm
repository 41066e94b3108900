(import_spec name: (_)? @import.alias path: (_) @import.module) @import
