"""`kbd ask`: questions answered from the wiki with citations that resolve, filed back as notes.

Modules (each one concern; see /work/notes/ask-api.md and the README's "Ask" section):
- settings.py  the `ask:` section of kbd/config.yaml (imported by kbd.config: keep this package light)
- retrieve.py  search + link walk → passages within a token budget (`RetrievalPlan`)
- answer.py    engine draft → citation check → one repair → drop unsupported → verify gate (`Answer`)
- file.py      record the answer in state.db and queue its note, the concepts, index and log for rendering
- command.py   the whole of `kbd ask` for the CLI and the job table (`AskOptions` → `AskResult`)
- deck.py      the typed `Deck` (slides, charts, the passages they cite) between building and rendering
- slides.py    decks: built from passages (offline or with the make_slides skill), recorded with the notes
               they drew from, kept current (`kbd slides`, `kbd ask --format marp`, `decks:` in the config)
- charts.py    SVG charts of the numbers cited passages state (standard library only)
"""
