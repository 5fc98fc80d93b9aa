"""The schema of `.kbd/state.db` (kbd/state.py): numbered migrations, applied in order and recorded
in `PRAGMA user_version`. Never edit a shipped migration; append a new one.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: file ledger, outputs ledger, sources and concepts, render queue, jobs, log, runs
    """
    CREATE TABLE files (
        path TEXT PRIMARY KEY,          -- vault-relative raw path
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        sha256 TEXT,                    -- NULL for files rejected before they were read
        status TEXT NOT NULL,           -- ok | rejected | ignored
        reason TEXT
    );
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        raw_path TEXT NOT NULL UNIQUE,
        sha256 TEXT NOT NULL,
        note_name TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        result TEXT NOT NULL,           -- the SourceSummary + metadata, JSON
        engine TEXT NOT NULL,
        generated TEXT NOT NULL,
        warnings TEXT NOT NULL DEFAULT '[]',
        related TEXT                    -- related-sources list as last rendered, JSON
    );
    CREATE TABLE source_concepts (
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        name TEXT NOT NULL,
        score REAL NOT NULL,
        sentence TEXT NOT NULL,
        rank INTEGER NOT NULL,
        PRIMARY KEY (source_id, key)
    );
    CREATE INDEX source_concepts_by_key ON source_concepts(key);
    CREATE TABLE concepts (
        key TEXT PRIMARY KEY,
        note_name TEXT NOT NULL UNIQUE,
        source_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE outputs (
        path TEXT PRIMARY KEY,          -- vault-relative path of a file kbd wrote
        sha256 TEXT,
        pending_sha256 TEXT,            -- set just before a replace, so a crash is not a user edit
        size INTEGER,
        mtime_ns INTEGER,
        user_edited INTEGER NOT NULL DEFAULT 0
    );
    -- source:<id> | related:<id> | concept:<key> | index | log | status | orphans
    CREATE TABLE dirty (note TEXT PRIMARY KEY);
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        dedupe_key TEXT NOT NULL UNIQUE,
        payload TEXT NOT NULL,
        state TEXT NOT NULL,            -- pending | running | done | failed
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE INDEX jobs_by_state ON jobs(state);
    CREATE TABLE log_entries (
        id INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        source_id INTEGER,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT,
        summary TEXT
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: when each scheduled trigger last ran, so a restart neither repeats nor skips it
    """
    CREATE TABLE trigger_runs (
        name TEXT PRIMARY KEY,
        last_run TEXT NOT NULL,         -- ISO timestamp with UTC offset
        outcome TEXT NOT NULL DEFAULT ''
    );
    """,
    # 3: every model call with its usage and cost, and the answers cached by content hash
    """
    CREATE TABLE llm_calls (
        id INTEGER PRIMARY KEY,
        time TEXT NOT NULL,             -- ISO, UTC
        day TEXT NOT NULL,              -- YYYY-MM-DD (UTC), for the daily cap
        run TEXT NOT NULL,              -- the compile or job run it belongs to
        job TEXT NOT NULL,
        skill TEXT NOT NULL,
        role TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cached_tokens INTEGER NOT NULL DEFAULT 0,
        requests INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0,
        latency_ms INTEGER NOT NULL DEFAULT 0,
        outcome TEXT NOT NULL           -- ok | cached | refused: budget | error: ...
    );
    CREATE INDEX llm_calls_by_day ON llm_calls(day);
    CREATE INDEX llm_calls_by_run ON llm_calls(run);
    CREATE TABLE llm_cache (
        key TEXT PRIMARY KEY,
        result TEXT NOT NULL,
        created TEXT NOT NULL
    );
    """,
    # 4: Status.md lists unverified summaries and sources with warnings on every run; without
    # these it parsed every stored result
    """
    CREATE INDEX sources_unverified ON sources(note_name) WHERE json_extract(result, '$.summary.verified') = 0;
    CREATE INDEX sources_with_warnings ON sources(raw_path) WHERE warnings <> '[]';
    """,
    # 5: log.md only grows; each entry's markdown is kept with the summary link it was made
    # for, so a run re-renders only the entries whose summary was renamed or removed since
    """
    ALTER TABLE log_entries ADD COLUMN rendered TEXT;
    ALTER TABLE log_entries ADD COLUMN rendered_for TEXT;
    """,
    # 6: sub-pages a note owns (index.md's per-letter notes, a concept's further sources), and
    # duplicate clippings: a copy (same URL or same normalised text) joins its source's note
    """
    CREATE TABLE pages (
        path TEXT PRIMARY KEY,          -- vault-relative path of the sub-page
        owner TEXT NOT NULL             -- index | log | concept:<key>
    );
    CREATE INDEX pages_by_owner ON pages(owner);
    ALTER TABLE sources ADD COLUMN url_key TEXT;
    ALTER TABLE sources ADD COLUMN text_key TEXT;
    CREATE INDEX sources_by_url_key ON sources(url_key);
    CREATE INDEX sources_by_text_key ON sources(text_key);
    CREATE TABLE copies (
        raw_path TEXT PRIMARY KEY,      -- the duplicate clipping
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL,
        why TEXT NOT NULL               -- same URL | same text
    );
    CREATE INDEX copies_by_source ON copies(source_id);
    """,
    # 7: concepts count distinct articles, not files (`article`: a hash of the main text, else the
    # URL); a name a source defines as another's abbreviation or synonym ("WAL" for "write-ahead
    # log") makes every source's mention of either meet in one article
    """
    ALTER TABLE sources ADD COLUMN article TEXT;
    CREATE TABLE concept_aliases (
        alias TEXT PRIMARY KEY,         -- concept key of the alias
        key TEXT NOT NULL,              -- concept key of the name it stands for
        name TEXT NOT NULL              -- the alias as the defining source writes it
    );
    CREATE INDEX concept_aliases_by_key ON concept_aliases(key);
    """,
    # what made each source summary (engine, model, skill version, verifier, constraints hash;
    # engines/provenance.py), so that a change of engine is noticed; summaries made before this
    # by the offline engine get its record, model-made ones stay unknown (out of date)
    """
    ALTER TABLE sources ADD COLUMN made_by TEXT;
    UPDATE sources SET made_by = '{"constraints": "", "engine": "offline", "skill": "extractive v1", "verifier": ""}'
        WHERE engine = 'offline';
    """,
    # batch backfills (`kbd compile --batch`): each batch sent to a provider's batch interface and
    # what each of its requests is for, so that a later run, after a restart too, collects it
    """
    CREATE TABLE batches (
        id TEXT PRIMARY KEY,            -- the provider's batch id
        role TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        state TEXT NOT NULL,            -- submitted | collected | abandoned
        status TEXT NOT NULL DEFAULT '',-- the provider's last word on it
        submitted TEXT NOT NULL,        -- ISO, UTC
        finished TEXT,
        requests INTEGER NOT NULL,
        reserved_usd REAL NOT NULL,     -- held against the spending caps until collected
        run TEXT NOT NULL               -- the run that sent it
    );
    CREATE TABLE batch_requests (
        batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
        custom_id TEXT NOT NULL,
        cache_key TEXT NOT NULL,        -- where its result goes in llm_cache
        skill TEXT NOT NULL,
        job TEXT NOT NULL,              -- the ingest job (dedupe key) waiting for it
        PRIMARY KEY (batch_id, custom_id)
    );
    CREATE INDEX batch_requests_by_job ON batch_requests(job);
    """,
    # lint: every fix a report offered (its checkbox carries only the id; kind and arguments stay
    # here, so nothing typed into a report becomes a fix's input) and what each run counted
    """
    CREATE TABLE lint_fixes (
        id TEXT PRIMARY KEY,            -- Fix.fix_id, the block id `^kbd-fix-<id>` on the report line
        kind TEXT NOT NULL,
        args TEXT NOT NULL,             -- JSON list of [name, value]
        label TEXT NOT NULL,
        offered TEXT NOT NULL,          -- the report that last offered it
        state TEXT NOT NULL,            -- offered | applied | failed
        done TEXT,                      -- ISO time it was applied or failed
        record TEXT                     -- what was done, or why not
    );
    CREATE TABLE lint_runs (
        id INTEGER PRIMARY KEY,
        time TEXT NOT NULL,             -- ISO, UTC
        report TEXT NOT NULL,           -- the report note written ('' if none)
        counts TEXT NOT NULL            -- JSON {check name: findings}
    );
    """,
    # web monitors (kbd/monitor/): per monitor, the last version of its page (in .kbd/, never in the
    # vault), the validators for a conditional request, when it was last checked and what came of it,
    # and the clipping `ingest: true` keeps under raw/ with the hash kbd wrote there
    """
    CREATE TABLE monitors (
        name TEXT PRIMARY KEY,          -- the trigger's name
        url TEXT NOT NULL,              -- the configured URL the snapshot belongs to
        final_url TEXT,                 -- where the page was found, after redirects
        etag TEXT,
        last_modified TEXT,
        checked TEXT,                   -- local time of the last check, YYYY-MM-DDTHH:MM:SS
        changed TEXT,                   -- local time the page last changed
        outcome TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        content_type TEXT NOT NULL DEFAULT '',
        snapshot TEXT,                  -- the page's main text, JSON list of blocks
        snapshot_hash TEXT,
        versions TEXT,                  -- JSON list of the content hashes of recent versions
        raw_path TEXT,                  -- the clipping kept for `ingest: true`
        raw_sha256 TEXT,                -- what kbd last wrote there
        raw_content_hash TEXT           -- the version of the page it holds
    );
    """,
    # answers filed back by `kbd ask` (kbd/ask/file.py): one per normalised question, with the
    # content hash of every note it cites (for stale tracking) and the concepts it draws on (their
    # notes list it under "Questions answered here")
    """
    CREATE TABLE answers (
        id INTEGER PRIMARY KEY,
        question_key TEXT NOT NULL UNIQUE,  -- the normalised question (kbd.ask.file.question_key)
        question TEXT NOT NULL,             -- as last asked
        note_name TEXT NOT NULL UNIQUE,     -- file name under wiki/answers/, without .md
        asked TEXT NOT NULL,                -- ISO timestamp of the answer
        engine TEXT NOT NULL,
        verified INTEGER NOT NULL,
        result TEXT NOT NULL                -- the Answer, JSON
    );
    CREATE TABLE answer_sources (
        answer_id INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
        path TEXT NOT NULL,                 -- vault-relative path of a note the answer cites
        sha256 TEXT NOT NULL,               -- "sha256:<hex>" of that note's bytes when the answer was made
        PRIMARY KEY (answer_id, path)
    );
    CREATE INDEX answer_sources_by_path ON answer_sources(path);
    CREATE TABLE answer_concepts (
        answer_id INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
        key TEXT NOT NULL,                  -- concept key
        PRIMARY KEY (answer_id, key)
    );
    CREATE INDEX answer_concepts_by_key ON answer_concepts(key);
    """,
    # Marp decks (kbd/ask/slides.py): each with what it is made from (its spec: query, concept or
    # answer, and max_slides), the engine that made it, the Deck itself (rendered from here), and
    # the content hash of every note it drew from: a deck from the config is made again when one of
    # them changes, and only then
    """
    CREATE TABLE decks (
        id INTEGER PRIMARY KEY,
        deck_key TEXT NOT NULL UNIQUE,      -- the normalised title: the same title is the same deck
        note_name TEXT NOT NULL UNIQUE,     -- file name under wiki/slides/, without .md
        spec TEXT NOT NULL,                 -- JSON: title, query, concept, answer, max_slides
        made_by TEXT NOT NULL,              -- the slide maker (engine, model, skill versions)
        deck TEXT NOT NULL,                 -- the Deck, JSON (kbd.engines.decks)
        generated TEXT NOT NULL
    );
    CREATE TABLE deck_inputs (
        deck_id INTEGER NOT NULL REFERENCES decks(id) ON DELETE CASCADE,
        path TEXT NOT NULL,                 -- a note the deck drew from
        sha256 TEXT NOT NULL,               -- "sha256:<hex>" of its bytes when the deck was made
        PRIMARY KEY (deck_id, path)
    );
    CREATE INDEX deck_inputs_by_path ON deck_inputs(path);
    """,
    # managed regions in notes the user owns (kbd/vault/write.py: the region's hash as kbd wrote it,
    # and the whole note's, so kbd knows its own echo and a crash mid-write), and question notes
    # in kbd/questions/ with the hash of the question each was last answered for (kbd/ask/questions.py)
    """
    CREATE TABLE regions (
        path TEXT NOT NULL,             -- vault-relative path of the user's note
        name TEXT NOT NULL,             -- the region: %% kbd:begin <name> %%
        sha256 TEXT,                    -- the region's content as kbd last wrote it
        pending_sha256 TEXT,
        note_sha256 TEXT,               -- the whole note just after kbd's last write
        pending_note_sha256 TEXT,       -- the whole note kbd is writing now
        base_note_sha256 TEXT,          -- the whole note kbd's pending write replaces
        user_edited INTEGER NOT NULL DEFAULT 0,
        reason TEXT,                    -- why kbd stopped updating it
        PRIMARY KEY (path, name)
    );
    CREATE TABLE questions (
        path TEXT PRIMARY KEY,          -- the question note
        question_sha256 TEXT NOT NULL,  -- its text without kbd's region, when it was last answered
        answer TEXT,                    -- vault path of the answer note or deck
        asked TEXT NOT NULL,
        outcome TEXT NOT NULL DEFAULT ''
    );
    -- cited notes' content hashes (kbd.vault.note.content_sha256) as of a size and mtime, so that
    -- an unchanged note is not read again (kbd/compile/stale.py)
    CREATE TABLE cited_notes (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,      -- kbd.vault.fsread.change_stamp: the later of mtime and ctime
        sha256 TEXT NOT NULL
    );
    -- answers whose cited notes changed since they were made (kbd/compile/stale.py)
    CREATE TABLE answer_stale (
        answer_id INTEGER PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE,
        changed TEXT NOT NULL,          -- JSON list of [path, "changed" | "removed"]
        since TEXT NOT NULL
    );
    """,
    # self-improving rules: each distinct occurrence of a kind of problem the verifier or a lint check
    # found in model output (counted once, however often it is seen again), and the rules adopted
    """
    CREATE TABLE recurring_findings (
        kind TEXT NOT NULL,             -- e.g. invented-number, unsupported-claim
        key TEXT NOT NULL,              -- identity of the occurrence (hash of where and what)
        origin TEXT NOT NULL,           -- verifier | lint
        example TEXT NOT NULL,          -- one line, for the report
        first_seen TEXT NOT NULL,       -- ISO
        PRIMARY KEY (kind, key)
    );
    CREATE TABLE adopted_rules (
        kind TEXT PRIMARY KEY,
        rule TEXT NOT NULL,
        adopted TEXT NOT NULL           -- ISO; only occurrences after it count towards a new proposal
    );
    """,
    # isolate (issue 18): per-note work that failed (kbd/isolation.py), one row per unit of work until
    # it succeeds or goes; Status.md and `kbd status` name the note and the reason
    """
    CREATE TABLE note_failures (
        key TEXT PRIMARY KEY,           -- the unit of work: <stage>:<what>, e.g. render:answer:3
        stage TEXT NOT NULL,            -- summarise | render | index | lint
        note TEXT NOT NULL,             -- vault-relative path of the note it was for
        reason TEXT NOT NULL,           -- one line: what went wrong
        since TEXT NOT NULL,            -- ISO, when it first failed
        attempts INTEGER NOT NULL DEFAULT 1
    );
    """,
    # localmodels: the structured-output mode `structured: auto` found per endpoint and model
    # (kbd/engines/structured.py), so later runs skip the probe; `kbd doctor` shows it and why
    """
    CREATE TABLE structured_modes (
        endpoint TEXT PRIMARY KEY,      -- "provider base_url model"
        mode TEXT NOT NULL,             -- json_schema | json_object | ollama | prompt
        reason TEXT NOT NULL,           -- what was refused before it, in the server's words
        decided TEXT NOT NULL           -- ISO
    );
    """,
    # title listings (issue 23, kbd/compile/titled.py): the next compile looks at every source once, so a
    # vault compiled before lists each source on the pages its title names
    """
    INSERT OR IGNORE INTO dirty(note) SELECT 'source:' || id FROM sources;
    """,
    # marked names (issue 23, kbd/compile/concepts.py): whether the source links, emphasises or heads a section
    # with the concept; a name of everyday words ("Web page", "File name") needs one source that does. Rows of
    # summaries made before count as marked, as before, until their engine redoes them.
    """
    ALTER TABLE source_concepts ADD COLUMN marked INTEGER NOT NULL DEFAULT 1;
    """,
    # names said once (issue 23, kbd/compile/concepts.py): whether the source mentions the concept in that one
    # sentence only; sources whose one mention is a sentence other sources say word for word (a docs site's
    # boilerplate) count once together. Rows of summaries made before count as said more often, as before.
    """
    ALTER TABLE source_concepts ADD COLUMN once INTEGER NOT NULL DEFAULT 0;
    """,
    # names a source itself marks (issue 23, kbd/compile/concepts.py): `marked` takes every name of a page that
    # links or emphasises too few for marked; `shown` is only what the source links, emphasises, writes in its
    # description or a heading. A phrase of everyday words every source says once, none of them shows, is an
    # aside with no page. Rows of summaries made before count as shown, as before, until their engine redoes them.
    """
    ALTER TABLE source_concepts ADD COLUMN shown INTEGER NOT NULL DEFAULT 1;
    """,
    # the spelling a page's forms are judged by (issue 23, kbd/compile/titled.py `form_name`): "Env file" is no
    # form of *ENV*, but is one of *Env*; the page keeps its file name, but this follows how its sources spell it
    # now, so notes compiled in stages make the pages one compile makes. NULL: the page's name, as before.
    """
    ALTER TABLE concepts ADD COLUMN form_name TEXT;
    """,
]
