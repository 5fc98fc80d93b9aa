"""What a ticked checkbox does: one applier per fix kind, registered with `registry.fixer`.

Each applier checks again, at the moment it runs, that the fix is still safe (the note is still
kbd's, the concept still exists) and raises FixFailed with the reason otherwise. Notes are changed
only through the writer, and concept and summary changes go through the compile machinery, so
state.db and the wiki stay consistent; nothing the user owns is changed.
"""

from __future__ import annotations

import json

from kbd.compile.aliases import define_alias, resolve
from kbd.compile.concepts import why_no_page
from kbd.compile.titled import display_name
from kbd.engines.base import concept_key
from kbd.isolation import note_failures
from kbd.lint.checks import note_link
from kbd.lint.findings import Fix
from kbd.lint.registry import FixContext, FixFailed, fixer
from kbd.vault.fsread import Unreadable, read_optional
from kbd.vault.sanitize import escape_text
from kbd.vault.write import Outcome


def compile_now(ctx: FixContext, only: set[str] | None = None, notes: tuple[str, ...] = ()) -> None:
    """Run the compiler over what the fix queued (state.db's render queue) and the raw notes named.
    `notes`: the notes the fix is about; FixFailed unless each was written (or already right): a fix
    is reported done only when it was done."""
    from kbd.compile.run import Compiler

    report = Compiler(ctx.layout, ctx.config, ctx.state, stop=ctx.stop,
                      only=only if only is not None else set()).run()
    for path in notes:
        if path in report.kept_user_edits:
            raise FixFailed(f"{note_link(path)} was edited by you meanwhile; kbd kept your version "
                            f"(`kbd adopt \"{path}\"` hands it back)")
        if path in report.refused:
            raise FixFailed(f"{escape_text(path)} could not be written: something else is in its place")
        failed = next((f for f in note_failures(ctx.state) if f.note == path and f.stage == "render"), None)
        if failed is not None:
            raise FixFailed(f"{note_link(path)} could not be made: {escape_text(failed.reason)}")


def _owned(ctx: FixContext, path: str) -> bytes:
    record = ctx.state.output(path)
    if record is None or record.user_edited:
        raise FixFailed(f"{note_link(path)} is yours (you created or edited it); kbd does not change it")
    try:
        data = read_optional(ctx.layout.root, path)
    except Unreadable as exc:
        raise FixFailed(f"{escape_text(path)} cannot be read safely ({escape_text(exc.reason)})") from None
    if data is None:
        raise FixFailed(f"{escape_text(path)} no longer exists")
    return data


@fixer("relink")
def relink(ctx: FixContext, fix: Fix) -> str:
    path = fix.arg("note")
    olds, news = json.loads(fix.arg("old")), json.loads(fix.arg("new"))
    text = _owned(ctx, path).decode("utf-8")
    if not any(old in text for old in olds):
        raise FixFailed(f"{note_link(path)} no longer contains the broken link")
    for old, new in zip(olds, news, strict=True):
        text = text.replace(str(old), str(new))
    outcome = ctx.writer.write(path, text)
    if outcome is Outcome.KEPT_USER_EDIT:
        raise FixFailed(f"{note_link(path)} was edited by you meanwhile; kbd left it alone")
    return f"relinked {escape_text(', '.join(map(str, olds)))} to {escape_text(', '.join(map(str, news)))} in " \
           f"{note_link(path)}"


@fixer("recompile")
def recompile(ctx: FixContext, fix: Fix) -> str:
    """Compile one clipping. The clippings whose files are gone are looked at too, so that a note
    the user renamed or moved is recognised as moved, not summarised a second time."""
    raw = fix.arg("raw")
    gone = {str(r[0]) for r in ctx.state.db.execute("SELECT raw_path FROM sources")
            if not ctx.layout.abs(str(r[0])).exists()}
    compile_now(ctx, {raw, *gone})
    row = ctx.state.db.execute(
        "SELECT note_name FROM sources WHERE raw_path=? UNION ALL SELECT s.note_name FROM copies c "
        "JOIN sources s ON s.id=c.source_id WHERE c.raw_path=?", (raw, raw)).fetchone()
    if row is None:
        why = ctx.state.db.execute("SELECT reason FROM files WHERE path=?", (raw,)).fetchone()
        raise FixFailed(f"{note_link(raw)} could not be compiled" + (f": {escape_text(why[0])}" if why and why[0]
                                                                       else ""))
    return f"compiled {note_link(raw)} into {note_link(f'{ctx.layout.sources}/{row[0]}.md')}"


@fixer("merge_concepts")
def merge_concepts(ctx: FixContext, fix: Fix) -> str:
    """The duplicate's name becomes an alias of the concept kept: its sources' mentions move there,
    its page is retired and the kept page lists the alias (Obsidian finds it under either name)."""
    alias, into = fix.arg("alias"), fix.arg("into")
    alias_key = concept_key(alias)
    pages = {r[0]: r[1] for r in ctx.state.db.execute("SELECT key, note_name FROM concepts")}
    if resolve(ctx.state, into) not in pages:
        raise FixFailed(f"the concept to keep ({escape_text(into)}) no longer has a page")
    if alias_key in pages:
        _owned(ctx, f"{ctx.layout.concepts}/{pages[alias_key]}.md")
    with ctx.state.transaction():
        # Concept pages list their related concepts: those sharing a source with the duplicate link
        # to its page and are redone too (after define_alias moves the mentions, nothing points there).
        ctx.state.mark_dirty(f"concept:{r[0]}" for r in ctx.state.db.execute(
            "SELECT DISTINCT b.key FROM source_concepts a JOIN source_concepts b ON a.source_id=b.source_id "
            "JOIN concepts c ON c.key=b.key WHERE a.key=? AND b.key<>?", (alias_key, alias_key)))
        define_alias(ctx.state, alias, into)
    compile_now(ctx, notes=(f"{ctx.layout.concepts}/{pages[resolve(ctx.state, into)]}.md",))
    kept = ctx.state.db.execute("SELECT note_name FROM concepts WHERE key=?", (resolve(ctx.state, into),)).fetchone()
    shown = note_link(f"{ctx.layout.concepts}/{kept[0]}.md") if kept else escape_text(into)
    return f"merged “{escape_text(alias)}” into {shown}, kept as its alias"


@fixer("create_concept")
def create_concept(ctx: FixContext, fix: Fix) -> str:
    """Files the name as a concept of each source whose clipping mentions it; the compiler then
    makes its page like any other (it needs `compile.concept_min_sources` sources). A source that
    is summarised again later keeps the name only if the engine finds it again."""
    name = fix.arg("name")
    raws = [str(r) for r in json.loads(fix.arg("raws"))]
    key = resolve(ctx.state, concept_key(name))
    if not key:
        raise FixFailed(f"“{escape_text(name)}” is not a name kbd can file")
    with ctx.state.transaction():
        ids = [r[0] for raw in raws for r in ctx.state.db.execute("SELECT id FROM sources WHERE raw_path=?", (raw,))]
        for source_id in ids:
            ctx.state.db.execute(
                "INSERT OR IGNORE INTO source_concepts(source_id, key, name, score, sentence, rank) "
                "VALUES(?, ?, ?, 0, '', 1000)", (source_id, key, name))
        ctx.state.mark_dirty([f"concept:{key}", *(f"source:{i}" for i in ids)])
    compile_now(ctx)
    row = ctx.state.db.execute("SELECT note_name FROM concepts WHERE key=?", (key,)).fetchone()
    least = ctx.config.compile.concept_min_sources
    if row is None and len(ids) < least:
        raise FixFailed(f"“{escape_text(name)}” is filed under {len(ids)} sources, fewer than "
                        f"compile.concept_min_sources ({least}); no page made")
    if row is None:
        why = why_no_page(ctx.state, key, display_name(ctx.state, key)) or "the compile's rules for concept pages"
        raise FixFailed(f"“{escape_text(name)}” is filed under {len(ids)} sources, but kbd keeps no page for it "
                        f"({why}; docs/compile.md, under wiki/concepts); no page made")
    return f"created {note_link(f'{ctx.layout.concepts}/{row[0]}.md')} from {len(ids)} sources"


@fixer("reindex")
def reindex(ctx: FixContext, fix: Fix) -> str:
    index = ctx.layout.index_note
    record = ctx.state.output(index)
    if record is not None and record.user_edited:
        raise FixFailed(f"{note_link(index)} is yours (you edited it); `kbd adopt \"{index}\"` hands it back")
    with ctx.state.transaction():
        ctx.state.mark_dirty(["index"])
    compile_now(ctx, notes=(index,))
    return f"regenerated {note_link(index)}"
