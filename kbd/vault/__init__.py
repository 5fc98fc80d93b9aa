"""The vault: where things live, how notes are parsed, linked, sanitised and written."""
