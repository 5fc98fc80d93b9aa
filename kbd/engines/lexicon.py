"""A small built-in English lexicon for finding noun phrases without a tagger.

Why not a library: the runtime dependencies are fixed (DESIGN.md §1.6) and the candidates only
need a coarse answer per word — "can this end a noun phrase, start one, or neither". Closed-class
words (determiners, pronouns, prepositions, auxiliaries) are listed in full; open-class words by
the few hundred verbs, adjectives and nouns that produce the fragments a curator would never
keep ("B-tree keeps", "Following code", "Significant difference", "Included studies").
"""

from __future__ import annotations

import re

from kbd.engines.base import singular


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words and other words that never belong inside a concept name: they end a run.
STOPWORDS = _words("""
a about above across after afterwards again against ago all almost alone along already also although always am
among amongst an and another any anybody anyone anything anyway anywhere are aren't around as at be became
because become becomes becoming been before beforehand behind being below beside besides between beyond both
but by can can't cannot could couldn't did didn't do does doesn't doing don't done down during each either
else elsewhere enough etc even ever every everybody everyone everything everywhere except few for former
formerly from further furthermore get gets getting got had hadn't has hasn't have haven't having he he'd
he'll he's hence her here here's hereby herein hers herself him himself his how how's however i i'd i'll
i'm i've if in indeed inside instead into is isn't it it's its itself just lest let let's like likewise
may maybe me meanwhile might mine more moreover most mostly much must mustn't my myself namely neither
never nevertheless next no nobody none noone nor not nothing now nowhere of off often on once one ones only
onto or other others otherwise ought our ours ourselves out outside over own per perhaps please quite
rather really same say says said see seen seem seemed seems shall shan't she she'd she'll she's should
shouldn't since so some somebody someone something sometime sometimes somewhat somewhere soon still such
than that that's the their theirs them themselves then thence there there's thereafter thereby therefore
therein these they they'd they'll they're they've this those though through throughout thru thus to
together too toward towards under unless unlike until up upon us very via was wasn't we we'd we'll we're
we've well were weren't what what's whatever when when's whence whenever where where's whereas whereby
wherever whether which while whilst who who's whoever whole whom whose why why's will with within without
won't would wouldn't yet you you'd you'll you're you've your yours yourself yourselves i.e e.g vs versus
here's yes ok okay oh also just simply actually basically especially particularly usually generally
typically roughly nearly almost approximately far downwards upwards forwards backwards afterwards apart away
aside alike ahead zero two three four five six seven eight nine ten eleven twelve
fifteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands million millions
billion billions dozen dozens half quarter twice thrice percent
""")
# Every stopword as a regex alternation, the longest first (so "another" is tried before "an").
STOPWORD_ALTERNATION = "|".join(sorted((re.escape(w) for w in STOPWORDS), key=len, reverse=True))

# Vague or evaluative modifiers: a curator drops them from the front of a name ("Important
# results" → not a concept, "Recent work" → not a concept).
GENERIC_MODIFIERS = _words("""
able additional adequate default healthy unhealthy inactive active middle-aged cheap expensive fast slow quick
safe unsafe costly efficient inefficient stable unstable ready unlikely unable
aforementioned all appropriate available bad basic best better big certain clear
close common complete considerable constant current different difficult direct due early easy effective
enough entire equal essential exact existing extra false few fewer final fine first following former free
full further general given good great greater greatest hard high higher highest huge important
increasing individual initial key large larger largest last late later latest least less likely little
long longer low lower lowest main major many minor modern more most much multiple necessary new next nice
normal novel numerous old older only original other overall own particular past possible potential
present previous primary prior proper real recent related relevant remaining respective right same second
separate serious several short significant similar simple small smaller so-called specific
standard strong stronger such sufficient third top total true typical unique unknown upper useful usual
various vast whole wide wider worse worst wrong young
""")

# Nouns too general to be a concept on their own (they may still head a longer name).
GENERIC_NOUNS = _words("""
adult patient child children man men woman women household installer price demand hour minute second decade
century morning evening afternoon tonne euro dollar pound people customer company firm government country
error request installation deployment operation cycle
ability access account action activity addition advantage age aim amount analysis answer approach area
argument article aspect attempt author average basis beginning behavior behaviour benefit bit body book
case cause center chance change chapter characteristic choice claim class comparison component concern
condition conclusion consequence context control cost couple course criterion data day deal decision
degree detail development difference difficulty direction discussion distribution domain effect effort
element end evidence example experience explanation extent fact factor feature field figure finding
focus form framework function goal group growth guide half hand help hour idea impact importance
increase information input insight instance interest issue item kind knowledge lack level line list lot
manner material matter meaning means measure measurement method minute mode moment month need note
number object observation occasion option order outcome output overview page paper part participant
people percent percentage period person perspective phase piece place plan point portion position
possibility post practice presence problem procedure process product program progress project property
proportion purpose quality quantity question range rate reason record reduction region relation
relationship report research researcher respect response rest result review risk role rule sample scale
scenario score section sense series set share side sign situation size solution source space stage
standard start state statement status step story strategy structure study subject success summary
support survey system table talk task team term test text theory thing thought time tip today tool topic
total trend type understanding unit use user value variable variety version view way week while word
work world year years
""")

# Statistical and publishing boilerplate: never a concept, whatever the corpus says.
BOILERPLATE_CONCEPTS = _words("""
ci cis smd md sd se sem iqr or ors rr rrs hr hrs ame aor ahr wmd ref refs fig figs doi pmid pmcid pmc isbn
issn et al p n df vs eq eqs url pdf html http https www com org edu gov inc ltd llc co usa uk eu am pm
copyright cookie cookies newsletter subscribe subscription login signup privacy advertisement ad ads
email e-mail share tweet facebook twitter linkedin instagram youtube whatsapp reddit pinterest tiktok
pubmed medline crossref scopus embase cochrane google scholar abstract introduction background method
methods results discussion conclusion conclusions references reference bibliography acknowledgement
acknowledgements supplementary appendix figure table caption image photo photograph video podcast
download viewer menu navigation homepage home search account editor editors journal issue volume
""")

# Multi-word boilerplate, matched on the normalised key (see engines/base.concept_key).
BOILERPLATE_PHRASES = frozenset("""
confidence interval|95 ci|standardised mean difference|standardized mean difference|mean difference
|odds ratio|risk ratio|hazard ratio|relative risk|standard deviation|standard error|interquartile range
|included study|significant difference|statistically significant difference|statistical significance
|significant effect|significant association|p value|high-res image|download high-res image|figure viewer
|open in figure viewer|full text|full-text article|google scholar|web of science|creative common
|creative commons licence|creative commons license|open access|open access article|privacy policy|cookie policy
|cookie setting|terms of use|terms of service|all rights reserved|corresponding author|author information
|author affiliation|article information|competing interest|conflict of interest|funding source
|supplementary material|supplementary information|data availability|data availability statement
|related article|related content|read more|sign up|sign in|log in|share article|share this article
|skip to content|skip to main content|main content|new window|new tab|press release|editor note
|study design|search strategy|risk of bias|quality assessment|inclusion criterion|exclusion criterion
|eligibility criterion|sensitivity analysis|subgroup analysis|data extraction|data collection
|statistical analysis|primary outcome|secondary outcome|baseline characteristic|present study|current study
|previous study|recent study|further research|future research|future study|original article
|research article|review article|journal article|study participant|control group|et al
""".replace("\n", "").split("|"))

# Research-method vocabulary: a fine concept to read about, but sharing it says nothing about how
# two sources relate, so it never justifies a "related source".
METHOD_CONCEPTS = frozenset("""
meta-analysis|meta analysis|systematic review|randomized controlled trial|randomised controlled trial
|randomized trial|randomised trial|rct|cohort study|cross-sectional study|case-control study|observational study
|pilot study|clinical trial|narrative review|scoping review|network meta-analysis|pubmed|regression analysis
|logistic regression|linear regression|prospective cohort|longitudinal study|survey
""".replace("\n", "").split("|"))

# Verbs. The base forms generate their -s/-ed/-ing forms; irregular forms are listed.
_VERB_BASES = _words("""
accept achieve acquire act add adjust admit adopt advise affect agree aim allow alter analyse analyze
announce answer appear apply argue arise arrange arrive ask assess assign assume attach attempt attend
attract avoid become begin believe belong bring build call care carry catch cause change check choose
claim close collect combine come compare compete complain complete compute concern conclude conduct
confirm connect consider consist contain continue contribute convert convince copy correct count cover
create cross cut deal decide declare decline decrease define deliver demand demonstrate deny depend
derive describe deserve design determine develop die differ discover discuss display distinguish divide
do draw drive drop earn ease eat emerge emphasise emphasize employ enable encourage end engage enhance
ensure enter establish estimate evaluate examine exceed exist expand expect experience explain explore
express extend face fail fall feel fight fill find finish fit fix focus follow force forget form gain
gather generate get give go grow handle happen hate head hear help hide hit hold hope identify ignore
illustrate imagine implement imply improve include increase indicate influence inform insist install
intend introduce investigate involve join judge jump keep kill know lack last lead learn leave lend let
lie lift like limit link listen live look lose love maintain make manage mark matter mean measure meet
mention mind miss move need note notice observe obtain occur offer open operate order outline own pass
pay perform permit pick place plan play point prefer prepare present preserve prevent produce promise
promote propose protect prove provide publish pull push put raise reach read realise realize receive
recognise recognize recommend reduce refer reflect refuse regard reject relate release rely remain
remember remove repeat replace reply report represent require resolve respond rest result retain
return reveal rise run save say search see seek select sell send serve set settle shape share shift
show sign sit solve sound speak spend stand start state stay stop store stress study submit succeed
suffer suggest suit supply support suppose survive take talk target teach tell tend test thank think
throw touch track train transfer transform treat trigger try turn understand undergo use vary view
visit wait walk want warn watch wear win wish wonder work worry write yield
flush sustain favour favor outperform outweigh overwrite rewrite reuse replay recycle reclaim reload restart
retry scan split spread sleep wake shrink stretch sink slip slide swing merge sort fetch cache buffer append
prepend insert delete update drop fire launch ship deploy host compile parse render load unload encode decode
encrypt decrypt compress decompress serialise serialize hash sign verify validate enforce guarantee ensure
accelerate slow speed boost cut trim lower raise lift drag pull push rank score beat lag trail lead outpace
handle tolerate survive recover crash fail stall block lock unlock wrap unwrap bind attach detach mount
control configure disable tune migrate debug scale rotate monitor uninstall specify override inherit expose
invoke instantiate initialise initialize iterate modify navigate notify persist poll populate redirect resume
retrieve revert schedule suspend throttle toggle upload
""")
_IRREGULAR = _words("""
am is are was were been being has had having does did done doing goes went gone made makes took taken
gave given got gotten saw seen said says told thought found knew known brought bought caught taught
became began begun came felt held kept left lost meant met paid ran sat sent set spent stood understood
won wrote written drew drawn drove driven fell fallen grew grown hid hidden led lay laid rose risen shown
showed spoke spoken threw thrown wore worn chose chosen ate eaten forgot forgotten
""")

# Words that look like verb forms but are, in a concept name, nouns: "sleep", "exercise",
# "machine learning", "write-ahead logging". A phrase may end in these and start with them.
NOUNISH = _words("""
account aim answer attempt call care change claim close concern control cost count cover cut deal decline
decrease demand design diet drink drive drop end experience face fall fight focus form gain head help hope
increase influence lack lead limit link lie look love mark matter measure mind move need note offer order
outline pay place plan play point present promise rest result return rise run search share shift sign
sound stand start state stay stop store stress study supply support talk target test track train
transfer trigger turn use view visit wait walk watch wear work yield exercise sleep index log cache query
block model process record review screen report sample script build fix release view update upgrade
write read sort merge buffer hash lock scan split update insert delete crash lag score rank host fire launch ship
load swing sink slip slide wrap mount sign boost cut lift drag pull push trail lead speed spread flush append fetch
compile render parse replay restart wake
learning training processing programming computing logging caching sleeping eating drinking smoking
screening testing modeling modelling reasoning writing reading engineering marketing planning scheduling
indexing sharding hashing fasting dreaming napping mapping rendering loading streaming routing tracing
profiling pricing funding lending banking housing spending saving parenting nursing counseling counselling
building running swimming cycling walking lifting meeting setting timing understanding thinking feeling
being well-being wellbeing offering opening finding findings ending warming spacing tuning boosting
""")

_ADVERB_LY_NOUNS = _words("""
family supply italy july assembly reply anomaly monopoly butterfly ally rally belly jelly bully apply
fly only early daily weekly monthly quarterly yearly likely friendly lonely elderly holy silly ugly
costly deadly lovely oily jolly rely
""")


def _verb_forms() -> frozenset[str]:
    forms: set[str] = set(_IRREGULAR)
    for base in _VERB_BASES:
        forms.add(base)
        stem = base[:-1] if base.endswith("e") else base
        if base.endswith("y") and base[-2:-1] not in "aeiou":
            forms.update({base[:-1] + "ies", base[:-1] + "ied", base + "ing"})
        else:
            forms.update({base + ("es" if base.endswith(("s", "sh", "ch", "x", "z", "o")) else "s"),
                          stem + "ed", stem + "ing"})
            if len(base) <= 4 and base[-1] not in "aeiouwxy" and base[-2:-1] in "aeiou" \
                    and base[-3:-2] not in "aeiou":
                forms.update({base + base[-1] + "ed", base + base[-1] + "ing"})  # stop → stopped
    return frozenset(forms)


VERB_FORMS = _verb_forms()


def is_verb(word: str) -> bool:
    """A lowercase word that is a verb form and not, in a concept name, plausibly a noun."""
    return word in VERB_FORMS and word not in NOUNISH


def is_adverb(word: str) -> bool:
    return len(word) > 4 and word.endswith("ly") and word not in _ADVERB_LY_NOUNS


# Words after a name that say what the named thing is, or what runs on it: "Git log command" is the git log,
# "Fly application" an app on Fly (compile/concepts.py gives their sources to the name's page). Singular only:
# "Git commands" are git's many things.
WHAT_IT_IS = _words("command tool utility program app application")
# The form a named thing takes or what holds it ("Python code", "CSV files", "SQLite database", "IRB session").
# Not "plugin", "extension", "library", "API", "image", "console": a Datasette plugin is no Datasette, the Rails
# console a thing of its own.
_FORMS = _words("""
    code script file document database repository repo repos docs documentation session syntax server website
    site account version installation project
""")


# What one writes in a named thing's language or for it to run ("SQL query", "GraphQL query", "GitHub Actions
# workflow"): a form of the name after it, but alone a topic a page can be about (Obsidian Tasks' and
# SilverBullet's *Query*), not a form every note writes. Not "test": the Turing test is no Turing's.
_WRITTEN_FOR = _words("query workflow")


def is_a_form_word(word: str) -> bool:
    """Whether a word after a name says what the named thing is or the form it takes (`WHAT_IT_IS` singular,
    `_FORMS` and `_WRITTEN_FOR` either number; not "codes": "ZIP codes", "ANSI codes" are things of their own)."""
    return is_a_bare_form_word(word) or word in _WRITTEN_FOR or singular(word) in _WRITTEN_FOR


def is_a_bare_form_word(word: str) -> bool:
    """Whether a word alone is only the form a named thing takes ("File", "Code", "Docs"), which notes of every
    kind write (`is_a_form_word` less `_WRITTEN_FOR`)."""
    return word in WHAT_IT_IS or word in _FORMS or (word != "codes" and singular(word) in _FORMS)
