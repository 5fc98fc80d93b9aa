"""Which concept pages are another one's name with its maker in front ("Obsidian Sync" is "Sync" made by
"Obsidian") or a name's everyday belonging ("Obsidian app"): the reconcile (compile/concepts.py) and `kbd lint`
ask, to keep no page for a name such a page already is."""

from __future__ import annotations

from collections import defaultdict

from kbd.compile.titled import TITLE_RANK, display_name, is_a_form_of_page, needs_a_title, source_titles
from kbd.engines.base import concept_key, contains_phrase, phrase_tokens
from kbd.engines.commonness import is_common_word
from kbd.state import State


def names_a_maker(name: str) -> bool:
    """Whether a page's first word can be the maker of the rest of its name ("Obsidian Sync", "Git directory"):
    not where a hyphen glues them into one name ("Pytest-django" is a plugin for Django, no Django made by
    pytest), nor before a phrase of two or more lowercase words ("UTC time zone", "Vim help files", "Tmux key
    bindings": a name modifying an everyday phrase, which a page of its own can be about)."""
    first, _, rest = name.partition(" ")
    return "-" not in first and not (" " in rest and rest == rest.lower())


class FullNames:
    """Which concepts with a page are another one's name with its maker in front ("Obsidian Sync" is
    "Sync" made by "Obsidian"), kept current as a reconcile pass creates and retires pages, so the
    check costs a dictionary look-up and not a scan of every page."""

    def __init__(self, state: State) -> None:
        self.pages: set[str] = set()
        self.makers_of: dict[str, set[str]] = defaultdict(set)  # "sync" → {"obsidian"}
        self.made: dict[str, set[str]] = defaultdict(set)  # "obsidian" → {"sync", "publish"}
        for key, name in state.db.execute("SELECT key, COALESCE(form_name, note_name) FROM concepts"):
            self.created(key, name)

    def _add(self, key: str, name: str) -> None:
        maker, _, rest = key.partition(" ")
        if rest and rest != maker and names_a_maker(name):  # "Bora Bora" is no "Bora" made by "Bora"
            self.makers_of[rest].add(maker)
            self.made[maker].add(rest)

    def created(self, key: str, name: str) -> None:
        """`name`: the page's spelling (`form_name`), which says whether its first word is a maker's."""
        self.pages.add(key)
        self._add(key, name)

    def retired(self, key: str) -> None:
        self.pages.discard(key)
        maker, _, rest = key.partition(" ")
        if rest:
            self.makers_of[rest].discard(maker)
            self.made[maker].discard(rest)

    def named_by_its_maker(self, key: str) -> bool:
        """"Sync" when "Obsidian Sync" and "Obsidian" both have pages. Two names that make each other
        ("Obsidian Sync" and "Sync Obsidian") are neither's maker: no cycle, so the pages never depend
        on the order a pass looks at the names."""
        return any(maker in self.pages and key not in self.makers_of.get(maker, ())
                   for maker in self.makers_of.get(key, ()))

    def belongs_to_a_page(self, state: State, key: str, name: str) -> bool:
        """"Obsidian app", "Anki release", "Remote vault data": a name with a page ("Obsidian", "Remote
        vault") and one everyday word after it, lowercase, that no source title names. An everyday word
        is no such name: "Knowledge graph" is not Knowledge's. `name` is the key's `display_name`."""
        prefix, _, _ = key.rpartition(" ")
        if prefix and prefix not in self.pages:
            prefix = concept_key(prefix)  # "git ls files command" is "git ls file"'s: a key singularises its last word
        if not prefix or prefix not in self.pages:
            return False
        if " " not in prefix and needs_a_title(display_name(state, prefix)):
            return False  # an everyday word is no such name: "Knowledge graph" is not Knowledge's
        if is_a_form_of_page(state, name, prefix):
            # "Git log command", "Tmux session": the page's own thing, whatever a title or a rank says (the engine
            # folds such a phrase into the name only where one source makes that sure); the page lists its
            # sources (compile/titled.py).
            return True
        last = name.rpartition(" ")[2]
        if state.db.execute("SELECT 1 FROM source_concepts WHERE key=? AND rank=0", (key,)).fetchone():
            return False  # "Docker container": the first concept of a source is a thing of its own
        if not (last.isalpha() and last.islower() and is_common_word(last)):
            return False
        needle = phrase_tokens(name)
        return not any(contains_phrase(phrase_tokens(title), needle) for title in source_titles(state, key, TITLE_RANK))

    def made_by(self, maker: str) -> list[str]:
        """The shorter names a maker's page decides: "sync" for "obsidian"."""
        return sorted(self.made.get(maker, ()))
