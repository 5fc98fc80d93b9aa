"""The vault: where things live, how notes are parsed, linked, sanitised and written.

Seams other packages use:
- Lookup: `layout.VaultLayout` (every folder and note path, from the config) and
  `layout.enclosing_vault(path)`, the one way to find the vault a path is in (commands run from
  inside `raw/`, `kbd adopt NOTE`, `kbd init` refusing a vault inside a vault).
- Reading: `note.read_raw_note` / `parse_raw_note`, `fsread.read_optional`, `markdown` (mistune with Obsidian syntax;
  `dialects.wikilink_plugin` teaches another mistune parser wikilinks), `links.LinkResolver`.
- Writing: `write.VaultWriter`, the only code that changes files in the vault (its region half is
  `regionwrite.py`); `sanitize` for text that goes into notes.
"""
