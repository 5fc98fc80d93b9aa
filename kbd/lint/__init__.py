"""Lint: deterministic and model checks over the whole vault, a dated report note with a checkbox
per safe fix, and the fixes the user ticked (see /work/notes/lint-api.md for the plug-in API)."""
