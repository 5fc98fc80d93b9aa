"""`kbd ask`: questions answered from the wiki with citations that resolve, filed back as notes.

Modules (each one concern; see /work/notes/ask-api.md and the README's "Ask" section):
- settings.py  the `ask:` section of kbd/config.yaml, registered with kbd/configbase.py
- decksettings.py  the `decks:` section, and the triggers that keep those decks current
- retrieve.py  search + link walk → passages within a token budget (`RetrievalPlan`)
- compiled.py  what the compile recorded about a clipping (its title), read from state.db without writing
- answer.py    engine draft → citation check → one repair → drop unsupported → verify gate (`Answer`)
- file.py      record the answer in state.db and queue its note, the concepts, index and log for rendering
- command.py   the whole of `kbd ask` for the CLI and the job table (`AskOptions` → `AskResult`)
- slides.py    decks: built from passages (offline or with the make_slides skill), recorded with the notes
               they drew from, kept current (`kbd slides`, `kbd ask --format marp`, `decks:` in the config)
- cli.py       `kbd ask` and `kbd slides` on the command line (parsing and printing)
The typed `Deck` is kbd/engines/decks.py; the charts are drawn by kbd/render/charts.py and the
deck pages written by kbd/compile/decks.py: the wiki model renders them, and it sits below this
package (docs/ARCHITECTURE.md).
"""
