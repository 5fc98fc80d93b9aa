"""A labelled corpus for search ranking: notes a person would keep, and queries with the notes a
person would expect on top.

Each note is about one thing; most also mention two other notes' subjects in passing (the way
real notes do), so a query must rank the note that is *about* its subject above notes that only
name it. Notes are of every kind the index holds: raw clippings with Web Clipper frontmatter,
source summaries, concept articles, answers and the user's own notes (inline tags, code, accents,
wikilinks). Used by tests/test_search_ranking.py (a floor on MRR@10) and bench/search.py (the
same figures at 10,000 notes, among generated clippings).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Topic:
    key: str
    kind: str  # raw | source | concept | answer | note
    title: str
    text: str
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    mention: str = ""  # how another note names this subject in passing


_FOLDERS = {"raw": "raw", "source": "wiki/sources", "concept": "wiki/concepts", "answer": "wiki/answers",
            "note": "notes"}

T = Topic
TOPICS: list[Topic] = [
    T("sleep-memory", "raw", "How sleep consolidates memory",
      "During slow-wave sleep the hippocampus replays the day's experiences and the cortex stores them for the "
      "long term. People deprived of sleep after learning remember markedly less a week later. Spindles in "
      "stage 2 sleep predict how much of a word list is retained.",
      ("sleep", "neuroscience"), (), "sleep and memory"),
    T("circadian", "concept", "Circadian rhythm",
      "The circadian rhythm is the roughly 24-hour clock that sets when we feel alert and when we feel sleepy. "
      "Morning light shifts it earlier; bright screens late at night shift it later. The master clock sits in "
      "the suprachiasmatic nucleus.",
      ("sleep", "biology"), ("Body clock",), "the body clock"),
    T("caffeine", "source", "Caffeine blocks adenosine",
      "Caffeine works by blocking adenosine receptors, the signal of accumulated sleep pressure. Its half-life "
      "of five to six hours means an afternoon coffee still occupies receptors at bedtime.",
      ("sleep", "nutrition"), (), "coffee"),
    T("melatonin", "note", "Melatonin dosing notes",
      "Low doses (0.3–0.5 mg) taken a few hours before the target bedtime shift the clock better than the "
      "5 mg tablets sold in shops. #sleep #supplements",
      (), (), "melatonin"),
    T("sourdough", "raw", "Sourdough starter maintenance",
      "A sourdough starter is a culture of wild yeast and lactobacilli. Feed it equal weights of flour and "
      "water; a starter that doubles within six hours is ready to bake with. Rye flour makes a sluggish "
      "starter lively again.",
      ("baking",), ("Levain",), "a sourdough starter"),
    T("maillard", "concept", "Maillard reaction",
      "The Maillard reaction between amino acids and reducing sugars browns bread crusts and seared steak "
      "above about 140 °C. A dry surface browns faster, which is why cooks pat meat dry.",
      ("cooking", "chemistry"), ("Browning reaction",), "browning"),
    T("creme-brulee", "note", "Crème brûlée recipe",
      "Custard of cream, yolks and sugar baked in a water bath at 150 °C, chilled overnight, then a thin "
      "layer of sugar caramelised with a torch. #cooking #dessert",
      (), (), "a torched custard"),
    T("knife", "answer", "How should I sharpen a kitchen knife",
      "Use a whetstone: 1000 grit to set the edge, 6000 grit to polish, holding a constant angle of about "
      "15 degrees per side. A honing steel only realigns the edge between sharpenings.",
      ("cooking",), (), "knife sharpening"),
    T("wal", "concept", "Write-ahead log",
      "A write-ahead log records every change before the data pages are modified, so that after a crash the "
      "database can replay it and lose nothing that was committed. Group commit makes one fsync cover many "
      "transactions.",
      ("databases",), ("WAL", "Redo log"), "the write-ahead log"),
    T("btree", "source", "Why B-trees stay shallow",
      "A B-tree node holds hundreds of keys, so the fan-out is large and even a billion rows fit in a tree of "
      "depth four. Each lookup costs one disk read per level.",
      ("databases",), (), "a B-tree"),
    T("mvcc", "raw", "Multi-version concurrency control explained",
      "Under MVCC each transaction reads a snapshot, and writers create new row versions instead of "
      "overwriting. Readers never block writers; vacuum later removes versions nobody can see.",
      ("databases", "concurrency"), ("MVCC",), "snapshot isolation"),
    T("raft", "concept", "Raft consensus",
      "Raft elects a leader that appends entries to a replicated log; an entry is committed once a majority "
      "of servers store it. Terms and randomised election timeouts prevent split votes.",
      ("distributed",), ("Raft",), "Raft"),
    T("vector-clock", "source", "Vector clocks and causality",
      "A vector clock keeps one counter per node; comparing two vectors tells whether one event happened "
      "before another or whether they are concurrent, which is when replicas must reconcile a conflict.",
      ("distributed",), (), "vector clocks"),
    T("crdt", "note", "CRDT notes",
      "Conflict-free replicated data types merge concurrent edits without coordination: a grow-only counter, "
      "an observed-remove set, sequence CRDTs for collaborative text. #distributed #local-first",
      (), ("CRDTs",), "CRDTs"),
    T("bloom", "concept", "Bloom filter",
      "A Bloom filter answers 'definitely not present' or 'probably present' using a bit array and k hash "
      "functions. With 10 bits per key the false-positive rate is about one percent.",
      ("data-structures",), (), "a Bloom filter"),
    T("attention", "raw", "Attention is a soft dictionary lookup",
      "Self-attention compares each token's query vector with every key vector, turns the scores into weights "
      "with a softmax, and returns the weighted sum of the value vectors. Cost grows with the square of the "
      "sequence length.",
      ("ml", "transformers"), (), "self-attention"),
    T("lr-warmup", "note", "Learning rate warmup",
      "Start training with a tiny learning rate and raise it linearly over the first few thousand steps; "
      "without warmup, Adam's early updates blow up large transformers. #ml",
      (), (), "warmup"),
    T("overfitting", "concept", "Overfitting",
      "A model overfits when it memorises the training set: training loss keeps falling while validation loss "
      "rises. Remedies: more data, weight decay, dropout, early stopping.",
      ("ml",), (), "overfitting"),
    T("embedding", "source", "Word embeddings capture analogies",
      "Word2vec trains vectors so that words in similar contexts end up close; the famous king − man + woman "
      "≈ queen analogy falls out of the geometry.",
      ("ml", "nlp"), (), "word vectors"),
    T("csp", "concept", "Content Security Policy",
      "A Content-Security-Policy header tells the browser which sources may load scripts, styles and images; "
      "forbidding inline script turns most cross-site scripting bugs into harmless text.",
      ("security", "web"), ("CSP",), "a content security policy"),
    T("password-hashing", "raw", "Storing passwords safely",
      "Hash passwords with a slow, salted function such as Argon2id or bcrypt, never with plain SHA-256; a "
      "unique salt per user defeats rainbow tables.",
      ("security",), (), "password hashing"),
    T("phishing", "answer", "How do I recognise a phishing email",
      "Check the sender's real domain, hover over links before clicking, distrust urgency, and never enter a "
      "password on a page reached from an email. Hardware keys stop most credential phishing.",
      ("security",), (), "phishing"),
    T("elasticity", "concept", "Price elasticity of demand",
      "Elasticity measures how much the quantity demanded changes when the price changes; demand for salt is "
      "inelastic, demand for one brand of cereal is elastic.",
      ("economics",), (), "elasticity"),
    T("network-effects", "source", "Network effects and winner-take-all markets",
      "When each new user makes a product more valuable to the others, the largest network attracts the "
      "next users, and markets tip towards one winner.",
      ("economics", "strategy"), (), "network effects"),
    T("compound-interest", "note", "Compound interest rule of 72",
      "Divide 72 by the yearly interest rate to estimate how many years money takes to double: at 6 % it "
      "doubles in about 12 years. #finance",
      (), (), "compounding"),
    T("index-funds", "raw", "Why index funds beat most active managers",
      "After fees, most actively managed funds underperform a low-cost fund that simply holds the whole market "
      "index, and last decade's winners rarely repeat.",
      ("finance", "investing"), (), "index funds"),
    T("stoicism", "concept", "Stoicism",
      "The Stoics — Zeno, Seneca, Epictetus, Marcus Aurelius — taught that we should distinguish what is in our "
      "control from what is not, and that virtue is the only true good.",
      ("philosophy",), (), "the Stoics"),
    T("meditations", "source", "Marcus Aurelius, Meditations",
      "Private notes the emperor wrote to himself on campaign: reminders to accept what happens, to work for "
      "the common good, and that every life is brief.",
      ("philosophy", "books"), (), "Meditations"),
    T("roman-roads", "raw", "How the Romans built roads",
      "Roman roads were layered: a foundation of large stones, gravel and sand, then fitted paving slabs with "
      "a camber so rain ran off into ditches. Milestones marked every thousand paces.",
      ("history", "engineering"), (), "Roman roads"),
    T("printing-press", "concept", "Printing press",
      "Gutenberg's movable type press, around 1450, made books cheap enough to spread the Reformation and "
      "the scientific revolution across Europe.",
      ("history",), ("Gutenberg press",), "the printing press"),
    T("black-death", "source", "The Black Death and European wages",
      "The plague of 1347–1351 killed perhaps a third of Europe; with labour scarce, surviving peasants "
      "bargained for higher wages and serfdom weakened in the west.",
      ("history", "economics"), (), "the plague"),
    T("photosynthesis", "concept", "Photosynthesis",
      "Plants capture light in chlorophyll and use its energy to turn carbon dioxide and water into glucose, "
      "releasing oxygen. The Calvin cycle fixes the carbon.",
      ("biology",), (), "photosynthesis"),
    T("mitochondria", "raw", "Mitochondria are ancient bacteria",
      "Mitochondria carry their own small circular genome, a trace of the free-living bacterium an ancestral "
      "cell engulfed; they make most of the cell's ATP.",
      ("biology",), (), "mitochondria"),
    T("crispr", "source", "CRISPR gene editing",
      "Cas9, guided by a short RNA, cuts DNA at a chosen sequence; the cell's repair of the cut lets "
      "researchers disable or rewrite a gene.",
      ("biology", "genetics"), ("Cas9",), "gene editing"),
    T("vo2max", "note", "VO2 max training log",
      "Four intervals of four minutes at 90 % of maximum heart rate, twice a week, raised my VO2 max from 44 "
      "to 48 in ten weeks. #running #fitness",
      (), (), "interval training"),
    T("zone2", "concept", "Zone 2 training",
      "Long, easy endurance sessions at a pace where you can still hold a conversation build mitochondrial "
      "density and fat oxidation; most of an endurance athlete's volume is zone 2.",
      ("fitness",), (), "easy endurance running"),
    T("marathon-taper", "answer", "How long should a marathon taper be",
      "Cut weekly volume by 40–60 % over the last two to three weeks while keeping some race-pace running; "
      "fitness does not fade that fast, fatigue does.",
      ("running",), (), "a taper"),
    T("spaced-repetition", "concept", "Spaced repetition",
      "Reviewing a fact just before you would forget it, at growing intervals, makes it stick with the fewest "
      "reviews; Anki schedules cards this way.",
      ("learning",), ("SRS",), "spaced repetition"),
    T("zettelkasten", "note", "Zettelkasten method",
      "One idea per note, written in your own words, linked to related notes; the links, not the folders, "
      "are the structure. See [[Spaced repetition]] for remembering, this is for thinking. #pkm",
      (), ("Slip box",), "a slip box"),
    T("pomodoro", "raw", "The Pomodoro technique",
      "Work for 25 minutes on one task, then take a five-minute break; after four rounds take a longer break. "
      "The timer makes starting easier.",
      ("productivity",), (), "work sprints"),
    T("git-rebase", "note", "git rebase cheat sheet",
      "Interactive rebase rewrites local history:\n\n"
      "```bash\ngit rebase -i HEAD~3\ngit push --force-with-lease\n```\n\n"
      "Never rebase commits others have pulled. #git",
      (), (), "rebasing"),
    T("python-gil", "concept", "Global interpreter lock",
      "CPython's GIL lets only one thread execute bytecode at a time, so CPU-bound threads do not run in "
      "parallel; use processes or release the lock in C extensions.",
      ("python",), ("GIL",), "the GIL"),
    T("asyncio", "note", "asyncio gather vs TaskGroup",
      "```python\nasync with asyncio.TaskGroup() as tg:\n    tg.create_task(fetch_page(url))\n```\n\nTaskGroup "
      "cancels the siblings when one task fails; gather does not. #python",
      (), (), "asyncio"),
    T("rust-borrow", "source", "Rust's borrow checker",
      "Rust enforces at compile time that a value has either one mutable reference or any number of shared "
      "ones, which rules out data races without a garbage collector.",
      ("rust", "programming"), (), "ownership rules"),
    T("regex-backtracking", "raw", "Catastrophic regex backtracking",
      "A pattern like (a+)+b takes exponential time on a long run of a's with no b, because the engine tries "
      "every way to split the run; this is how a ReDoS takes a server down.",
      ("security", "programming"), ("ReDoS",), "regex backtracking"),
    T("docker-layers", "note", "Docker layer caching",
      "Copy the lockfile and install dependencies before copying the source, so that code edits do not "
      "invalidate the dependency layer. #docker",
      (), (), "layer caching"),
    T("tls-handshake", "concept", "TLS handshake",
      "Client and server agree on a cipher suite and exchange key shares; TLS 1.3 needs one round trip, and "
      "the certificate proves the server's identity.",
      ("security", "networking"), (), "the handshake"),
    T("dns", "source", "How DNS resolution works",
      "A resolver asks a root server, then the top-level-domain server, then the domain's authoritative "
      "server, caching each answer for its TTL.",
      ("networking",), (), "DNS lookups"),
    T("cap-theorem", "concept", "CAP theorem",
      "During a network partition a replicated store must choose between consistency and availability; "
      "without a partition it can have both.",
      ("distributed",), (), "the CAP trade-off"),
    T("coral-bleaching", "raw", "Why corals bleach",
      "When water stays a degree or two above the summer maximum, corals expel the algae living in their "
      "tissue and turn white; without the algae they starve.",
      ("climate", "oceans"), (), "bleaching"),
    T("heat-pump", "answer", "Is a heat pump worth it in a cold climate",
      "Modern air-source heat pumps keep a coefficient of performance above 2 down to about −15 °C, so they "
      "heat with half the energy of resistive heaters even in cold winters.",
      ("energy", "home"), (), "heat pumps"),
    T("solar-duck", "concept", "Duck curve",
      "With lots of solar, net demand on the grid sags at midday and ramps steeply at sunset, tracing the "
      "outline of a duck; storage and flexible demand flatten it.",
      ("energy",), (), "the evening ramp"),
    T("beethoven", "source", "Beethoven's late string quartets",
      "Written when he was almost completely deaf, the late quartets break classical form: Opus 131 has "
      "seven movements played without a pause.",
      ("music",), (), "the late quartets"),
    T("jazz-modes", "note", "Modes for jazz improvisation",
      "Dorian over minor seventh chords, Mixolydian over dominants, Lydian for a bright major sound; Miles "
      "Davis's So What sits on D Dorian. #music",
      (), (), "modal jazz"),
    T("cafe-culture", "raw", "Vienna's café culture",
      "Viennese coffee houses served one Melange for hours alongside newspapers; the café was a public "
      "living room for writers and chess players.",
      ("history", "coffee"), ("Kaffeehaus",), "Viennese cafés"),
    T("kintsugi", "concept", "Kintsugi",
      "The Japanese art of mending broken pottery with lacquer dusted with gold, making the repair part of "
      "the object's history rather than hiding it.",
      ("art", "japan"), (), "gold repair"),
]
del T


def topic_path(topic: Topic) -> str:
    return f"{_FOLDERS[topic.kind]}/{topic.title}.md"


# (query, keys of the notes a person expects on top). Every kind of query a person types:
# words from the subject in other forms, questions, phrases, tags, types, prefixes, aliases,
# accents left off, code identifiers, and misspellings.
QUERIES: list[tuple[str, tuple[str, ...]]] = [
    ("sleep memory", ("sleep-memory",)),
    ("does sleeping help you remember", ("sleep-memory",)),
    ("hippocampus replay", ("sleep-memory",)),
    ("circadian", ("circadian",)),
    ("body clock light", ("circadian",)),
    ("suprachiasmatic", ("circadian",)),
    ("caffeine half-life", ("caffeine",)),
    ("adenosine", ("caffeine",)),
    ("melatonin dose", ("melatonin",)),
    ("sourdough", ("sourdough",)),
    ("feeding a starter", ("sourdough",)),
    ("levain", ("sourdough",)),
    ("browning meat", ("maillard",)),
    ("maillard", ("maillard",)),
    ("creme brulee", ("creme-brulee",)),
    ("sharpen knife whetstone", ("knife",)),
    ("write-ahead log crash recovery", ("wal",)),
    ("WAL", ("wal",)),
    ("btree depth fan-out", ("btree",)),
    ("MVCC snapshot", ("mvcc",)),
    ("readers never block writers", ("mvcc",)),
    ("raft leader election", ("raft",)),
    ("vector clocks concurrent events", ("vector-clock",)),
    ("crdt", ("crdt",)),
    ("conflict-free replicated data types", ("crdt",)),
    ("bloom filter false positive", ("bloom",)),
    ("self-attention softmax", ("attention",)),
    ("learning rate warmup", ("lr-warmup",)),
    ("overfit validation loss", ("overfitting",)),
    ("word2vec analogy", ("embedding",)),
    ("CSP inline script", ("csp",)),
    ("argon2 bcrypt salt", ("password-hashing",)),
    ("how to spot phishing", ("phishing",)),
    ("price elasticity", ("elasticity",)),
    ("network effects", ("network-effects",)),
    ("rule of 72", ("compound-interest",)),
    ("index funds fees", ("index-funds",)),
    ("stoic philosophy", ("stoicism", "meditations")),
    ("marcus aurelius", ("meditations",)),
    ("roman road construction", ("roman-roads",)),
    ("gutenberg", ("printing-press",)),
    ("plague wages", ("black-death",)),
    ("chlorophyll glucose", ("photosynthesis",)),
    ("mitochondrial genome", ("mitochondria",)),
    ("cas9", ("crispr",)),
    ("vo2max intervals", ("vo2max",)),
    ("zone 2 endurance", ("zone2",)),
    ("marathon taper", ("marathon-taper",)),
    ("spaced repetition anki", ("spaced-repetition",)),
    ("slip box", ("zettelkasten",)),
    ("pomodoro", ("pomodoro",)),
    ("force-with-lease", ("git-rebase",)),
    ("GIL threads", ("python-gil",)),
    ("TaskGroup", ("asyncio",)),
    ("borrow checker", ("rust-borrow",)),
    ("ReDoS", ("regex-backtracking",)),
    ("docker layer cache", ("docker-layers",)),
    ("tls handshake round trip", ("tls-handshake",)),
    ("dns resolver", ("dns",)),
    ("cap theorem partition", ("cap-theorem",)),
    ("coral bleaching", ("coral-bleaching",)),
    ("heat pump cold", ("heat-pump",)),
    ("duck curve", ("solar-duck",)),
    ("beethoven quartet", ("beethoven",)),
    ("dorian mode", ("jazz-modes",)),
    ("cafe vienna", ("cafe-culture",)),
    ("kintsugi", ("kintsugi",)),
    # other forms of the note's words: inflections and accents
    ("browned crusts", ("maillard",)),
    ("cafés newspapers", ("cafe-culture",)),
    ("replicas reconciling conflicts", ("vector-clock",)),
    ("elected leaders majority", ("raft",)),
    ("sharpening angles", ("knife",)),
    ("caramelized custard torch", ("creme-brulee",)),
    ("crème brûlée", ("creme-brulee",)),
    ("money doubling years", ("compound-interest",)),
    ("corals expelling algae", ("coral-bleaching",)),
    ("mended pottery", ("kintsugi",)),
    # syntax: phrases, fields, prefixes, types, misspellings
    ('"replicated log"', ("raft",)),
    ('"one idea per note"', ("zettelkasten",)),
    ("tag:pkm", ("zettelkasten",)),
    ("tag:supplements", ("melatonin",)),
    ("type:answer taper", ("marathon-taper",)),
    ("circad*", ("circadian",)),
    ("photosynth*", ("photosynthesis",)),
    ("mitocondria", ("mitochondria",)),
    ("kintsgui", ("kintsugi",)),
]
assert len(QUERIES) >= 50


def _note_text(topic: Topic, mentions: list[Topic]) -> str:
    passing = " ".join(f"This is not the same as {m.mention}, which has its own note." if i % 2 else
                       f"Compare {m.mention}." for i, m in enumerate(mentions))
    body = f"{topic.text}\n\n{passing}\n"
    if topic.kind == "raw":
        tags = "".join(f"  - {t}\n" for t in ("clippings", *topic.tags))
        aliases = f"aliases: [{', '.join(topic.aliases)}]\n" if topic.aliases else ""
        return (f'---\ntitle: "{topic.title}"\nsource: "https://example.org/{topic.key}"\n'
                f'author:\n  - "[[Ada Example]]"\npublished: 2025-03-14\n{aliases}tags:\n{tags}---\n{body}')
    if topic.kind == "note":
        aliases = f"---\naliases: [{', '.join(topic.aliases)}]\n---\n" if topic.aliases else ""
        return f"{aliases}# {topic.title}\n\n{body}"
    tags = ", ".join(f'"{t}"' for t in (f"kbd/{topic.kind}", *topic.tags))
    aliases = ", ".join(f'"{a}"' for a in topic.aliases)
    related = "\n".join(f"- [[{topic_path(m)[:-3]}|{m.title}]]" for m in mentions)
    return (f'---\ntitle: "{topic.title}"\naliases: [{aliases}]\ntype: "{topic.kind}"\ntags: [{tags}]\n---\n\n'
            f"# {topic.title}\n\n> [!summary]\n> {topic.text}\n\n## Related\n{related}\n\n{passing}\n")


def write_corpus(root: Path, seed: int = 3) -> dict[str, str]:
    """Write every topic note under `root` (an initialised vault); returns key → vault path."""
    rng = random.Random(seed)
    paths = {}
    for topic in TOPICS:
        others = [t for t in TOPICS if t.key != topic.key]
        path = root / topic_path(topic)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_note_text(topic, rng.sample(others, 2)), encoding="utf-8")
        paths[topic.key] = topic_path(topic)
    return paths


def rank_metrics(ranked: list[list[str]], expected: list[set[str]], k: int = 10) -> tuple[float, float]:
    """MRR@k (reciprocal rank of the first expected note) and recall@k (share of expected notes in
    the top k), averaged over queries."""
    mrr = recall = 0.0
    for got, want in zip(ranked, expected, strict=True):
        top = got[:k]
        first = next((i for i, p in enumerate(top) if p in want), None)
        mrr += 0.0 if first is None else 1.0 / (first + 1)
        recall += len(want & set(top)) / len(want)
    return mrr / len(ranked), recall / len(ranked)
