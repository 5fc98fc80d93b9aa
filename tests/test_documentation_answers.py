"""Issue 23's twenty-fourth round: documentation as its readers ask it, on whole pages of development halves
(tests/real_pages, README there). A FAQ answers its question in sentences that name nothing the question names
("**Does Obsidian support Single Sign-On (SSO)?** Obsidian does not support SSO."); a help page tells its reader to
subscribe or sign in inside real sentences, which were cut as a site's furniture; a page says what it holds ("This
page explains how to manage Obsidian Publish sites."), and an outliner's page keeps its writers' to-dos."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbd.ask.blocks import note_blocks
from kbd.engines.answer_candidates import _sentences_and_their_question
from kbd.engines.answers import Passage
from kbd.engines.findings import finding_rank, is_signpost, refers_elsewhere
from kbd.engines.offline_answer import OfflineAnswerer
from kbd.engines.prose import prose_sentences
from kbd.engines.question_shapes import definition_patterns
from kbd.engines.text import clean_document, is_boilerplate
from kbd.vault.markdown import parse_markdown
from tests.conftest import Vault

REAL = Path(__file__).parent / "real_pages"
HELP_PAGES = ("Refund policy.md", "2-factor authentication.md", "Security considerations for teams.md",
              "Troubleshoot Obsidian Publish.md", "Manage sites.md", "Audio recorder.md")


@pytest.fixture
def help_docs(vault: Vault) -> Vault:
    vault.no_image_downloads()  # *Security considerations for teams* embeds a Wikimedia image
    for page in HELP_PAGES:
        vault.clip(page, (REAL / page).read_text(encoding="utf-8"))
    vault.compile()
    return vault


def lead(vault: Vault, question: str) -> str:
    answer = vault.kbd("ask", ".", question, "--no-file").stdout
    return next(line[3:] for line in answer.splitlines() if line.startswith("1. "))


def test_a_faq_answer_leads_the_question_it_answers(help_docs: Vault) -> None:
    # Each was led by a sentence of another section ("In most use cases, Obsidian does not require an account…", "Talk
    # to a human…", "The 2-factor authentication setting will once again show an Enable button…") or by the FAQ's
    # own question ("My CSS in my Configuration folder does not work on Publish.").
    assert lead(help_docs, "Does Obsidian support Single Sign-On?") == "Obsidian does not support SSO."
    assert lead(help_docs, "What happens if I refund my service?").startswith(
        "Refunding an Obsidian Sync or Obsidian Publish subscription results in the deletion of any remote vaults")
    assert "Enabling 2FA does not log you out everywhere" in lead(
        help_docs, "Will I be logged out of my devices when I enable 2FA?")
    assert lead(help_docs, "Why does my CSS not work on Publish?") == \
        "Publish does not read from the configuration folder."


def test_an_outlines_nested_blocks_answer_and_a_question_lends_only_what_was_asked(vault: Vault) -> None:
    # Logseq writes every block as a nested list item ("\t- Some resources like images…"); read alone, each was an
    # indented code block, and retrieval had nothing of the page but its top-level questions. Of the page's other
    # questions, "**Advantages of assets alias?**" names assets too, and is not what was asked.
    page = REAL / "logseq" / "Assets alias.md"
    vault.clip(page.name, page.read_text(encoding="utf-8"))
    vault.compile()
    assert lead(vault, "What are assets?").startswith(
        "Some resources like images, audio, PDF documents, etc.")
    # The size Logseq writes after an image is none of the text ("…settings modal. {:height 224, :width 441}").
    answer = vault.kbd("ask", ".", "How do I use an assets alias?", "--no-file").stdout
    summary = (vault.wiki / "sources" / "Assets alias.md").read_text(encoding="utf-8")
    assert "alias" in answer and "{:" not in answer + summary, answer + summary


def test_an_indented_block_after_a_paragraph_is_still_code() -> None:
    # A workflow's steps after "Add this to your workflow:" are a code block, no nested list (a review's case).
    blocks, _ = note_blocks("Add this to your workflow:\n\n    - name: Install deps\n      run: npm ci\n")
    assert [b.text for b in blocks] == ["Add this to your workflow:"]
    # Under a heading at the margin, Logseq's *Global config.edn* nests its blocks (a second review's case: the first
    # of each section was read as code).
    page = (REAL / "logseq" / "Global config.edn.md").read_text(encoding="utf-8")
    texts = [b.text for b in note_blocks(page)[0]]
    assert any(t.startswith("To edit your global config.edn, open the Settings panel") for t in texts), texts
    assert any(t.startswith("Global config.edn applies to all graphs.") for t in texts), texts


def test_a_faq_outline_is_read_and_answered_question_by_question() -> None:
    # Logseq's *Assets alias*, as retrieval reads it: every answer is a nested block (each was indented code before).
    blocks, _ = note_blocks((REAL / "logseq" / "Assets alias.md").read_text(encoding="utf-8"))
    texts = [b.text for b in blocks]
    assert any(t.startswith("Some resources like images, audio, PDF documents") for t in texts), texts
    faq = passage("\n".join(texts))
    claims = [c.text for c in OfflineAnswerer().draft("What are assets in Logseq?", [faq], []).claims]
    # The answer to "What are assets?" leads, before "Files will be stored … to Logseq.", which "Advantages of assets
    # alias?" answers (it lent "assets" in the first version, and the sentence named all that was asked).
    assert claims[0].startswith("Some resources like images"), claims


def passage(text: str) -> Passage:
    return Passage(path="raw/FAQ.md", title="FAQ", note_type="raw", heading=None, block=None, text=text,
                   tokens=len(text) // 4, note_hash="sha256:x", score=1.0, kbd_owned=False)


def test_a_question_lends_its_words_to_its_answer_only() -> None:
    # The Obsidian help's refund FAQ, its answers cut to their first sentence: the sentences after the next questions
    # answer those, and the line's words before its question are quoted as any sentence.
    faq = passage("What happens if I refund my service? Refunding an Obsidian Sync or Obsidian Publish subscription "
                  "results in the deletion of any remote vaults or publish sites.\n"
                  "What if I miss a payment and my subscription expires? Will I lose my remote vault data? No, your "
                  "data is retained in such cases for 30 days. Your local data will remain unaffected. If you do not "
                  "resubscribe within that period, your remote vault or publish site data will be deleted.\n"
                  "I purchased my subscription a few weeks ago and now qualify for a discount. Can I get a partial "
                  "refund? We understand that some may have purchased Sync or Publish without discounts.")
    claims = [c.text for c in OfflineAnswerer().draft("What happens if I refund my service?", [faq], []).claims]
    assert claims[0].startswith("Refunding an Obsidian Sync"), claims
    assert "No, your data is retained in such cases for 30 days." not in claims, claims
    # Two questions in a row are one ("What if I miss a payment…? Will I lose my remote vault data?").
    asked = "Will I lose my remote vault data if my subscription expires?"
    claims = [c.text for c in OfflineAnswerer().draft(asked, [faq], []).claims]
    assert claims[0] == "No, your data is retained in such cases for 30 days.", claims
    claims = [c.text for c in OfflineAnswerer().draft("What happens if I miss a payment and my subscription expires?",
                                                      [faq], []).claims]
    assert claims[0] == "No, your data is retained in such cases for 30 days.", claims
    claims = [c.text for c in OfflineAnswerer().draft("Can I get a partial refund for a discount?", [faq], []).claims]
    assert "I purchased my subscription a few weeks ago and now qualify for a discount." in claims, claims
    # A question lends to the three sentences after it, not to a fourth (here the next answer's, run on).
    run_on = faq.text.replace("will be deleted.\n", "will be deleted. We understand that some may have purchased "
                              "Sync or Publish without discounts.\n")
    lent = list(_sentences_and_their_question(run_on))
    third, fourth = lent[3:5]
    assert third[0].startswith("If you do not resubscribe") and third[1].endswith("Will I lose my remote vault data?")
    assert fourth == ("We understand that some may have purchased Sync or Publish without discounts.", "")


def test_a_question_in_running_prose_is_no_faqs() -> None:
    # D2L's *Hardware* (development half): what follows a rhetorical question is no answer to it.
    hardware = (Path(__file__).parent / "real_pages" / "d2l" / "chapter_computational-performance" / "hardware.md")
    paragraph = next(line for line in hardware.read_text(encoding="utf-8").splitlines()
                     if "what if we added many more cores?" in line)
    claims = [c.text for c in OfflineAnswerer().draft("What if we added many more cores?", [passage(paragraph)],
                                                      []).claims]
    assert not any(c.startswith("In a nutshell") for c in claims), claims


def test_a_call_to_action_inside_a_sentence_is_the_texts_own() -> None:
    # Said by the Obsidian help, Josh Branchaud's Vim notes and Simon Willison's TILs (development halves): each block
    # was cut whole as a site's furniture.
    for text in ("What happens if I refund my service? Refunding an Obsidian Sync or Obsidian Publish subscription "
                 "results in the deletion of any remote vaults or publish sites, which cannot be retrieved even if "
                 "you subscribe again.",
                 "You can jump to the beginning of the previous change with the [ mark by hitting '[ from normal mode.",
                 "There is also the keyword placeholder syntax which can give you more flexibility and make the SQL "
                 "read more clearly.",
                 "I ran vercel login to start the tool running.",
                 "You can obtain those files from this page (Twitter login required).",
                 "Go to community.obsidian.md and sign in with your Obsidian account.",
                 # Hugo's *Host on AWS Amplify* and Branchaud's *Jump From Section To Section* (a menu's words and a
                 # site's "to get" in the first version of the fix)
                 "Step 4 : Log in to your AWS account, navigate to the Amplify Console, then press the Deploy an app "
                 "button.",
                 "While Hugo supports content nested at any level, the top levels (i.e. content/<DIRECTORIES>) are "
                 "special in Hugo and are considered the content type used to determine layouts etc. To read more "
                 "about sections, including how to nest them, see sections.",
                 "There is also [] and ][ to jump to the end of the previous and next section, respectively. Something "
                 "about those combinations doesn't mesh well with my muscle memory though, so I will jump to the "
                 "previous or next section head and then hit k a couple times to get to that section end.",
                 # The Obsidian help's steps, Joplin's and Logseq's changelogs, Zettlr's manual (a second review)
                 "Click Sign in to open your web browser to the Microsoft sign-in page.", "Select Login.",
                 "Improved OneDrive login and possibly fixed rare error", "Refine Logseq Sync login box tips",
                 "If you subscribe to LanguageTool Premium, enter your username and API key here to get more feedback "
                 "on your text."):
        assert not is_boilerplate(text), text
    # A page's own calls to action open their block, a sentence or a menu's item, are asked for, or offer the site's
    # own (NYT Cooking, a magazine's footer; the clippings; a review's cases of news sites' menus and paywalls).
    for text in ("Log in or sign up to save this recipe.", "Sign in", "Join the community ↬ Already have an account?"
                 "Sign in!", "Explore edX's computer science courses and certificates to jump-start your new career "
                 "in tech. Sign up for a free online course today!", "Jump to Membership ↬ For just 1 coffee a month.",
                 "Home · Blog · Pricing · Sign in", "Home Blog About Sign in", "GitHub Sign in",  # TensorFlow's
                 "Please sign in to continue.",
                 "You need to sign in to view this content.", "Members only — sign in to read the full story",
                 "Don't forget to subscribe!", "Enter your email to subscribe", "To continue reading, please log in.",
                 "You need to sign in to view the rest of this post."):
        assert is_boilerplate(text), text
    # A text that asks more than three times is furniture (a hostile note of "a sign in a sign in …" read every clause).
    assert is_boilerplate(("a sign in " * 58).strip())


def test_a_tils_prose_is_its_summary_not_its_pointer(vault: Vault) -> None:
    # "You can jump to…" cut both paragraphs: the summary was "See :h '[ and :h '] for more details."
    page = REAL / "til-jbranchaud" / "beginning-and-end-of-previous-change.md"
    vault.clip(page.name, page.read_text(encoding="utf-8"))
    vault.compile()
    summary = (vault.wiki / "sources" / "Beginning And End Of Previous Change.md").read_text(encoding="utf-8")
    assert "> You can jump to the beginning of the previous change" in summary, summary


def sentences_of(page: Path) -> list:
    return prose_sentences(clean_document(parse_markdown(page.read_text(encoding="utf-8"))))


def test_a_question_a_page_asks_is_never_its_summary(help_docs: Vault) -> None:
    # The refund FAQ's summary and key points were its questions ("Can I get a partial refund?").
    summary = (help_docs.wiki / "sources" / "Refund policy.md").read_text(encoding="utf-8")
    said = [line for line in summary.splitlines() if line.startswith(("> ", "- "))]
    assert said and not any(line.rstrip().endswith("?") for line in said), said
    asked = next(s for s in sentences_of(REAL / "Refund policy.md") if s.text == "Can I get a partial refund?")
    assert not asked.eligible and "refund" in asked.words  # its words still count for the page's concepts


def test_a_page_saying_what_it_holds_states_no_finding() -> None:
    for sentence in ("This page explains how to manage Obsidian Publish sites.",  # *Manage sites*
                     "This guide walks you through a project and task management workflow.",  # SilverBullet
                     "This page describes ways to add, edit and remove date values on tasks"):  # Obsidian Tasks
        assert is_signpost(sentence) and finding_rank(sentence) == 0, sentence
    # An app's section is no page ("This section shows your currently connected remote vault": Obsidian Sync's
    # settings), nor is a page that is served.
    for sentence in ("This section shows your currently connected remote vault", "This page will be served from:"):
        assert not is_signpost(sentence), sentence
    assert refers_elsewhere("See this tutorial for setting up and using sync.")  # Logseq's *Logseq Sync*
    assert refers_elsewhere("See the page Task Dependencies, which explains the dependencies facility.")  # Tasks
    assert refers_elsewhere("See our guide, how to verify Obsidian Sync's end-to-end encryption.")  # the help
    assert refers_elsewhere("See the documentation of isSameOrBefore.")
    assert not refers_elsewhere("See Table 2: the hazard ratio was 0.62")
    assert not refers_elsewhere("See the page title change as you rename the note.")  # a review's case


def test_an_outliners_task_is_no_summary_sentence() -> None:
    # Logseq's *Embed Media* keeps its writers' to-do ("TODO Split this page up and/or create multiple features…
    # #docs"), its tutorial example tasks ("NOW [#A] A dummy tutorial on…"): neither says what the page found.
    said = sentences_of(REAL / "logseq" / "Embed Media - Audio, Photos, Videos.md") + \
        sentences_of(REAL / "logseq" / "tutorial.md")
    tasks = [s for s in said if s.text.startswith(("TODO Split this page", "NOW [#A] A dummy tutorial"))]
    assert len(tasks) == 2 and not any(s.eligible for s in tasks), [(s.text, s.eligible) for s in tasks]
    assert is_signpost("LATER [#C] the lower priority thing")  # the tutorial's task: a priority, then lowercase
    # A sentence about TODO statuses is text, and a heading in capitals is no task.
    assert any(s.eligible and "different TODO statuses" in s.text for s in said)
    assert not is_signpost("NOW PLAYING")


def test_what_a_thing_lets_you_do_and_its_name_without_its_kind_define_it() -> None:
    # Hugo's *Render hooks* (development half) says what they are for only so.
    _, does = definition_patterns("What are render hooks?")
    assert does and does.search("By creating link and image render hooks, you can alter the conversion from Markdown "
                                "to HTML.")
    # "What is the Audio recorder plugin?" is answered "Audio recorder is a core plugin that lets you…" (the
    # Obsidian help), ahead of "With the Audio recorder plugin, you can…".
    defines, does = definition_patterns("What is the Audio recorder plugin?")
    assert defines and defines.search("Audio recorder is a core plugin that lets you record and save audio.")
    assert does and does.search("With the Audio recorder plugin, you can record details from a lecture.")
    # A name is defined without its kind ("Canvas is a core plugin for visual note-taking", the Obsidian help), and
    # two words of the name at least: the help's *Search* says nothing of a search setting.
    defines, _ = definition_patterns("What is the Canvas plugin?")
    assert defines and defines.search("Canvas is a core plugin for visual note-taking.")
    defines, _ = definition_patterns("What is a search setting?")
    assert defines and not defines.search("Search is a core plugin that helps you find data in your Obsidian vault by "
                                          "using search terms and operators to narrow down results.")
    # Retrieval's pattern (X acting) takes it too, and "With no X, you can…" and "you can't" say nothing of X.
    _, acting = definition_patterns("What are render hooks?", acting=True)
    assert acting and acting.search("By creating link and image render hooks, you can alter the conversion.")
    assert not acting.search("With no render hooks, you can still render Markdown.")


def test_the_definition_leads_before_what_the_plugin_lets_you_do(help_docs: Vault) -> None:
    assert lead(help_docs, "What is the Audio recorder plugin?").startswith(
        "Audio recorder is a core plugin that lets you record and save audio in an Obsidian note.")
