"""Constituents a sentence can lose: tokens, and the spans that shallow rules propose for deletion
(an aside in brackets or dashes, a phrase between two commas, an opening adverbial or connective,
a trailing clause or attribution, a time expression, a trailing prepositional phrase, an adverb,
an "X said" that opens the sentence).

The rules say what may go, never what goes (the tagger in `summarizer.compress` decides). They keep
a sentence's claim intact: no cut inside a quotation, no hedge or degree word, no source of a
report, a forecast or an unnamed or interested speaker, no condition, time limit or correction
word ("until", "if", "initially"), no superlative's domain, no cut that leaves no main clause or
splits a number or name from its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

# ---- tokens --------------------------------------------------------------

_TOKEN = re.compile(r"\w+(?:[-'’.,&/]\w+)*|['’](?:s|re|ve|ll|d|m|t)\b|--+|``|''|[^\w\s]")
QUOTES = {'"', "“", "”", "``", "''", "‘", "’", "'"}
DASHES = {"--", "---", "—", "–", "-"}
END = {".", "!", "?"}


@dataclass
class Token:
    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum() or self.text[0] == "_"


def tokenize(sentence: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(sentence)]


_W = lambda s: frozenset(s.split())  # noqa: E731
LEAD_START = _W("""after before despite during following since although though while amid in on at earlier last this
speaking according when as with without for from by under unlike like because if once until having now yesterday today
meanwhile however but and so yet still also instead indeed moreover furthermore additionally separately elsewhere
overall ultimately eventually finally currently recently previously initially then later monday tuesday wednesday
thursday friday saturday sunday""")
CONNECTIVES = _W("but and however meanwhile still yet so also now then instead indeed moreover furthermore "
                 "additionally separately plus")
TAIL_START = _W("""who which whose while as after before because saying including when where despite amid with adding
following but although though according leaving making prompting sparking causing bringing allowing forcing meaning
putting so until since than""")  # not "and"/"or": "a misguided, and often cynical, attempt" is no clause
SAY = _W("said says say told added reported according announced claimed explained insisted stated confirmed revealed "
         "warned admitted wrote writes")
TIME_NOUNS = _W("week month year weekend morning afternoon evening night day decade season summer winter spring autumn "
                "fall century")
WEEKDAYS = _W("monday tuesday wednesday thursday friday saturday sunday")
MONTHS = _W("january february march april may june july august september october november december jan feb mar apr "
            "jun jul aug sep sept oct nov dec")
PREPOSITIONS = _W("in at on near outside inside during from after for with across around over since before amid "
                  "following under into through throughout within")
ADVERBS = _W("also now still already currently recently actually really officially finally eventually then even again")
# Hedges and degree words carry meaning: without "allegedly" an accusation reads as fact, without
# "hardly" a claim turns round. They are never deleted.
NOT_ADVERBS = _W("reportedly allegedly apparently supposedly purportedly seemingly possibly probably hardly barely "
                 "rarely scarcely mostly partly nearly largely mainly merely solely roughly approximately exactly "
                 "only family early likely daily weekly monthly yearly friendly lovely elderly deadly costly lonely "
                 "assembly ally belly bully rally jelly tally holy ugly fly rely reply apply supply july italy sally "
                 "billy molly polly holly emily kelly lily oily silly hilly curly burly usually generally typically "
                 "normally frequently occasionally sometimes successfully unsuccessfully narrowly slightly "
                 "significantly partially fully entirely completely virtually almost falsely wrongly mistakenly "
                 "wrongfully illegally unlawfully legally secretly unanimously overwhelmingly publicly privately "
                 "temporarily permanently briefly accidentally deliberately intentionally voluntarily jointly "
                 "indirectly directly formally informally previously initially originally formerly essentially "
                 "effectively technically nominally arguably potentially practically theoretically ostensibly")
# A span holding one of these bounds the claim (when, on what condition, since when it no longer
# holds): "Until recently, he was barred", "-- if the details can be worked out". It never goes.
BOUNDING = _W("until unless if except provided previously initially originally")
# ... nor does a clause that opens with one of these ("..., before his radicalization")
BOUNDING_START = BOUNDING | _W("before since than without")
# ... nor an opening phrase that says from when, under what or on which figures the claim holds: "From
# this Saturday, phones must ...", "Under the new rules, drivers must ...", "Excluding one-off items,
# earnings were ...", "With 99% of ballots counted, X held a lead" (with a number only: "With the win,
# Chelsea went top" is no bound)
BOUNDING_LEAD = _W("from under excluding including except barring given assuming")
# A claim found in animals, cells or some group holds for them only: "a study [in mice]"
STUDY_GROUPS = _W("mice mouse rats rat animals animal cells cell monkeys primates dogs pigs patients volunteers "
                  "participants adults children women men teenagers infants babies smokers")
# The phrase after a change says what changed: "a 9.7% increase [in the national living wage]"
CHANGE_NOUNS = _W("increase increases rise rises fall falls drop drops jump jumps cut cuts decline declines growth "
                  "reduction reductions gain gains loss losses surge hike hikes slump")
# A phrase after these nouns says whose spokesman, the name for what: "a spokesman for the CDC"
ROLE_NOUNS = _W("spokesman spokeswoman spokesperson director professor officer analyst ambassador chief head member "
                "president minister secretary chairman chairwoman chair executive manager leader commander lawyer "
                "attorney counsel editor correspondent official officials representative candidate founder author "
                "name part sequel cause spokesmen researcher researchers expert experts governor mayor")
# A lead that names where the claim was made sets its scope: "In a CNN special that aired Tuesday, ..."
SCOPE_NOUNS = _W("special interview statement letter speech documentary book column op-ed filing lawsuit complaint "
                 "ruling analysis memo essay studies piece article post editorial tweet video podcast episode")
SUBORDINATORS = _W("although though while if when because as since after before unless until whereas once")
IRREGULAR_PARTICIPLES = _W("made built held known shown seen born set put found given taken brought sent kept left "
                           "paid sold won lost hit cut run written")
AUXILIARIES = _W("have has had been was were is are be being will would")
# built once: the rules below test every token against them
_SUPERLATIVE = re.compile(r"\b(?:most|least|first|only|record|ever|best|worst|\w{3,}est)\b")
_NOT_SUPERLATIVE = _W("interest interests protest protests forest request requests arrest arrests suggest honest "
                      "contest west guest chest quest harvest invest digest modest manifest earnest test tests rest "
                      "priest inquest conquest unrest behest midwest southwest northwest latest")
INNER_START = _W("who which whose where when while although though however including like unlike despite aged "
                  "according now also")
DETERMINERS = _W("a an the his her their its our")
VERBISH = _W("that who which whose is are was were be been has have had will would can could should may might must "
             "do does did saying") | SAY
# An attribution to a report or the media, or of a claim that hedges or predicts, stays: without it
# the reporter would state a newspaper's rumour, a forecast or an opinion as fact.
MEDIA = _W("report reports reported reporting media newspaper newspapers paper tabloid magazine website "
           "broadcaster sources source documents study studies survey surveys poll polls anonymity unnamed familiar "
           "wrote writes experts expert analysts analyst panel research researchers")
MODALS = _W("would could may might should must")
BE = _W("is are was were be been being remain remains remained seem seems seemed become becomes became")
LEAD_REST_BAD = _W("who which whose that and or but nor")  # what cannot start the main clause after a lead
PRONOUNS = _W("it he she they this that these those")

DANGLING = _W("and or but nor the a an of to for with from in on at by than as into onto between his her their its "
               "until till since during after before within through over our my your this that these those")

SPAN_KINDS = ("paren", "dash", "inner", "lead", "connective", "tail", "attribution", "time", "pp_tail", "adverb")


@dataclass(frozen=True)
class Span:
    start: int  # token index, inclusive
    end: int  # token index, exclusive
    kind: str


def _core_end(toks: list[Token]) -> int:
    """Index just past the last token that is not end punctuation (or a closing quote after it)."""
    e = len(toks)
    while e > 0 and (toks[e - 1].text in END or (toks[e - 1].text in QUOTES and e >= 2 and toks[e - 2].text in END)):
        e -= 1
    return e


def _balanced(toks: list[Token], a: int, b: int) -> bool:
    """No half quotation and no half bracket inside toks[a:b]."""
    w = [t.text for t in toks[a:b]]
    return (w.count('"') % 2 == 0 and w.count("'") % 2 == 0 and w.count("“") == w.count("”")
            and w.count("‘") == w.count("’") and w.count("``") == w.count("''")
            and w.count("(") + w.count("[") == w.count(")") + w.count("]"))


def _is_ly(word: str) -> bool:
    w = word.lower()
    return word.islower() and len(w) >= 6 and w.endswith("ly") and w not in NOT_ADVERBS


# Openers that go without a comma after them; not "Instead of ...", "However much ...", "Plus one ...",
# nor "But for ..." ("except for": without "But" the sentence says the opposite).
SAFE_CONNECTIVES = _W("but and meanwhile moreover furthermore additionally separately")
CONNECTIVE_KEEPERS = _W("for of much many long one")


# Verbs whose meaning needs the phrase after them ("must contend [with high winds]", "relies [on donors]");
# base and -s forms (an -ed or -ing form already counts as one that the phrase completes).
PREPOSITIONAL_VERBS = _W("""contend contends rely relies depend depends deal deals comply complies focus focuses
result results lead leads consist consists cope copes live lives stay stays belong belongs look looks apply applies
agree agrees participate participates engage engages invest invests succeed succeeds respond responds refer refers
resort resorts compete competes coincide coincides interfere interferes intervene intervenes persist persists
recover recovers suffer suffers work works wait waits vote votes talk talks arrive arrives come comes go goes
move moves return returns travel travels fly flies sit sits stand stands take takes put puts keep keeps bring
brings turn turns end ends begin begins start starts serve serves operate operates open opens
happen happens occur occurs fall falls rise rises""")
_BARE_VERB_BEFORE = MODALS | _W("will can cannot to not n't do does did 'll")


def _completes(toks: list[Token], i: int) -> bool:
    """Does the phrase from toks[i] complete the word before it? After "played", "turning", "been",
    "said" or "spokesman" a closing prepositional phrase is their complement ("played by X"), not an
    extra; so after a verb that takes one ("contend with", "relies on"), or any bare verb after a
    modal or "to" ("will open in a suburb")."""
    word = toks[i - 1]
    w = word.text.lower()
    verb = w in PREPOSITIONAL_VERBS or (i >= 2 and toks[i - 2].text.lower() in _BARE_VERB_BEFORE)
    return (w in BE or w in SAY or w in IRREGULAR_PARTICIPLES or w in ROLE_NOUNS or w in CHANGE_NOUNS
            or (word.text.islower() and verb)
            or (word.text.islower() and w.endswith(("ed", "ing")) and len(w) > 4))


def _lead_leaves_a_clause(toks: list[Token], low: list[str], comma: int) -> bool:
    """Cutting an opening adverbial up to `comma` must leave a main clause: not "who led the study,
    ...", "21, managed ...", "Missouri, Bush ..." (a comma inside "Kansas City, Missouri"), or an
    "it" whose antecedent was in the cut ("While the report notes ..., it also ..."). Nor is a
    connective before a name a lead: in "But Oliver Letwin, for the Tories, attacked ..." the name
    is the subject; and what is left must not open on a phrase ("for the Tories, attacked",
    "meanwhile, rose", "where the price ...")."""
    r = comma + 1
    if r >= len(toks):
        return False
    first = toks[r].text
    if low[r] in LEAD_REST_BAD or first[:1].isdigit() or low[r] in QUOTES:
        return False
    if first.islower() and (low[r].endswith(("ed", "ing")) or low[r] in _NO_CLAUSE_START):
        return False
    if low[0] in CONNECTIVES and comma > 1 and all(toks[k].text[:1].isupper() for k in range(1, comma)):
        return False
    if first[:1].isupper() and low[r] not in PRONOUNS:
        nxt = next((k for k in range(r + 1, min(len(toks), r + 5)) if low[k] == ","), None)
        if nxt is not None and all(toks[k].text[:1].isupper() for k in range(r, nxt)):
            return False  # "in Kansas City, Missouri, Bush ...", "one of his influences, Graham Norton, Corden"
    return not (low[r] in PRONOUNS and set(low[1:comma]) & DETERMINERS)


def _time_spans(low: list[str]) -> list[tuple[int, int]]:
    out = []
    n = len(low)
    for i, w in enumerate(low):
        nxt = low[i + 1] if i + 1 < n else ""
        nxt2 = low[i + 2] if i + 2 < n else ""
        if w in ("yesterday", "today", "tonight"):
            j = i + 1 + (nxt in ("morning", "afternoon", "evening", "night"))
            out.append((i, j))
        elif w == "on" and nxt in WEEKDAYS:
            out.append((i, i + 2 + (nxt2 in ("morning", "afternoon", "evening", "night"))))
        elif w in ("last", "this", "next", "earlier", "later") and (nxt in TIME_NOUNS or nxt in WEEKDAYS):
            out.append((i, i + 2))
        elif w in ("earlier", "later") and nxt == "this" and nxt2 in TIME_NOUNS:
            out.append((i, i + 3))
        elif w in ("on", "in") and nxt in MONTHS and nxt != "may":
            j = i + 2
            while j < n and (low[j].isdigit() or low[j] in (",", "th", "st", "nd", "rd")) and j < i + 5:
                j += 1
            while j > i + 2 and low[j - 1] == ",":
                j -= 1
            out.append((i, j))
        elif w == "at" and nxt == "the" and nxt2 == "weekend":
            out.append((i, i + 3))
    return out


def _quoted(toks: list[Token]) -> list[bool]:
    """Which tokens stand inside a quotation (double marks only: a single one may be an apostrophe)."""
    out, inside = [], False
    for t in toks:
        if t.text == '"':
            inside = not inside
        elif t.text in ("“", "``"):
            inside = True
        elif t.text in ("”", "''"):
            inside = False
        out.append(inside and t.text not in ('"', "“", "``"))
    return out


_PLAIN = _W("the a an of to in on at for by and or with from that this his her their its who he she they it was "
            "were is are has have had be been said says told mr mrs ms dr")
# Sets the rules test tokens against, built once rather than per token.
_NOT_SPEAKER = _PLAIN | SAY | WEEKDAYS | MONTHS | TIME_NOUNS  # words that name no speaker
_SCOPE = SCOPE_NOUNS | MEDIA
_DAY_NOUNS = TIME_NOUNS | WEEKDAYS
_PHRASE_START = PREPOSITIONS | {"of"}
_AFTER_PARTICIPLE = PREPOSITIONS | _W("as by of to")
_ADVERB_HEADS = PREPOSITIONS | _W("as so how than until by of very more most less least")  # "as [recently] as"
_AFTER_SAY = PREPOSITIONS | _W("to this last yesterday today tonight earlier later as")  # "said on Monday"
_NO_CLAUSE_START = PREPOSITIONS | CONNECTIVES | ADVERBS | _W("of to by as where when")
_BEFORE_TITLE = DETERMINERS | ROLE_NOUNS  # "[then] a candidate", "[now] chairman"
_ACRONYM = re.compile(r"[A-Z][A-Z0-9&]{1,7}s?")
_PARTICLES = PREPOSITIONS | _W("up down off out away back along about by")  # "... lives on.": a verb's, not a phrase


_TITLES = _W("mr mrs ms miss dr sir dame prof professor lord lady")
_SAY_CLAUSE = _W("said says say added insisted stated")  # verbs a clause follows without "that"


def _attribution_stays(toks: list[Token], attribution: range, claim: Sequence[str]) -> bool:
    """Keep an explicit source ("according to prosecutors": what follows is their claim, not a
    fact), an attribution to a report, an outlet or an unnamed source ("people familiar with the
    matter said"), one whose claim hedges or predicts ("could", "would"), one whose speaker is
    a party to the claim ("..., the group said" of what the group did: its own account, not a fact),
    and one to a person by title (", Mr Law said": a campaigner's view would read as fact)."""
    words = {toks[k].text.lower() for k in attribution}
    speaker = {w for w in words if w.isalpha() and len(w) > 2 and w not in _NOT_SPEAKER}
    return bool("according" in words or words & MEDIA or words & _TITLES or set(claim) & MODALS or "anonymity" in claim
                or speaker & set(claim) or any(toks[k].text == "The" for k in attribution[1:]))


_NEGATIONS = _W("not no none never nothing nobody n't neither nor")


def _lead_bounds(words: list[str], first: str) -> bool:
    """An opening that says where the claim was made ("In a CNN special", "at 3 a.m."), or from
    when, under what or on which figures it holds ("From Monday", "As of May", "With 99% counted")."""
    return bool(set(words) & _SCOPE or first in BOUNDING_LEAD or words[:2] == ["as", "of"]
                or (first == "at" and len(words) > 1 and words[1][:1].isdigit())
                or (first == "with" and any(w[:1].isdigit() for w in words)))


def _bounds_the_claim(low: list[str], a: int, b: int, kind: str) -> bool:
    """Would cutting low[a:b] make the claim false or over-broad? A condition or time limit ("until
    the report comes out", "-- if the talks succeed"), a concession that denies ("although none was
    found"), a lead that says where the claim was made, or the domain of a superlative ("the
    smoothest debut [in recent memory]")."""
    words = low[a:b]
    first = next((w for w in words if w[:1].isalnum()), "")
    if set(words) & BOUNDING or (kind == "lead" and _lead_bounds(words, first)):
        return True
    if (first in ("in", "among") and set(words) & STUDY_GROUPS) or (
            kind == "pp_tail" and set(low[max(0, a - 3):a]) & STUDY_GROUPS):  # "in patients [with heart failure]"
        return True
    if kind != "lead" and first in BOUNDING_START:
        return True
    if first in ("although", "though", "but", "while", "whereas") and set(words) & _NEGATIONS:
        return True
    return kind == "pp_tail" and any(_SUPERLATIVE.fullmatch(w) and w not in _NOT_SUPERLATIVE
                                     for w in low[max(0, a - 8):a])


def names_a_source(toks: list[Token], span: Span) -> bool:
    """Does the span say who said it (", the ministry said", "police told CNN")?"""
    return any(toks[k].text.lower() in SAY for k in range(span.start, span.end))


def candidate_spans(toks: list[Token]) -> list[Span]:
    """Constituents that may be deleted (see the module docstring); duplicates removed."""
    n = len(toks)
    if not n:
        return []
    low = [t.text.lower() for t in toks]
    core = _core_end(toks)
    quoted = _quoted(toks)
    spans: list[Span] = []

    def add(a: int, b: int, kind: str) -> None:
        # never leave a dangling function word ("fell 12ft and ." or "the ,") in front of the gap,
        # and never cut inside a quotation (that would misquote)
        dangles = a > 0 and low[a - 1] in DANGLING and (b >= n or not toks[b].is_word)
        if 0 <= a < b <= core and b - a < core and _balanced(toks, a, b) and not dangles and not quoted[a] \
                and not _bounds_the_claim(low, a, b, kind):
            spans.append(Span(a, b, kind))

    # asides in brackets and dashes ("[...]" is an editor's stand-in for words: it stays)
    for i, w in enumerate(low):
        if w == "(":
            j = next((k for k in range(i + 1, min(n, i + 30)) if low[k] == ")"), None)
            if j is not None and not (j == i + 2 and _ACRONYM.fullmatch(toks[i + 1].text)) \
                    and low[j - 1] not in ("'s", "’s"):  # "( the club 's ) captain": the noun's own words
                add(i, j + 1, "paren")  # "(FIH)" stays: it defines the short name the report goes on to use
    dashes = [i for i in range(core) if low[i] in DASHES and (low[i] != "-" or toks[i].start > 0)]
    for k in range(0, len(dashes), 2):  # dashes pair up: "-- an aside --"; a last odd one runs to the end
        a = dashes[k]
        add(a, dashes[k + 1] + 1 if k + 1 < len(dashes) else core, "dash")
    # commas that bound phrases (not the one in "March 1, 1965")
    commas = [i for i in range(core) if low[i] in (",", ";") and not (
        0 < i < core - 1 and low[i - 1].isdigit() and len(low[i + 1]) == 4 and low[i + 1].isdigit())]
    # phrases between two commas that read as an aside: a relative clause, an appositive, an age,
    # a participle phrase, a short attribution (", police said ,")
    opens_with_lead = bool(commas) and (low[0] in LEAD_START or _is_ly(low[0]) or low[0].endswith("ing"))
    if low[0] in ("this", "last", "next") and (n < 3 or low[1] not in _DAY_NOUNS or low[2] == "'s"):
        opens_with_lead = False  # "This year's No. 5 airport, Tokyo International, climbed": a subject
    def looks_aside(a: int, b: int, beside: bool = False) -> bool:
        """The words between two commas read as an aside; `beside`: as one next to another, where a
        phrase ("from Leeds", "described as ...") also counts, though it is not offered alone."""
        seg = low[a + 1:b]
        return bool(seg) and (seg[0] in INNER_START or seg[0].endswith("ing") or toks[a + 1].text[:1].isdigit()
                              or (seg[0] in DETERMINERS and not set(seg) & VERBISH)
                              or (seg[-1] in SAY and len(seg) <= 5)
                              or (beside and (seg[0] in _PHRASE_START or toks[a + 1].text[:1].isupper())
                                  and not set(seg) & VERBISH)
                              or (beside and seg[0].endswith("ed") and len(seg) > 1
                                  and seg[1] in _AFTER_PARTICIPLE))

    def in_a_list(a: int, b: int) -> bool:
        """ "sectors 18, 38A, 50, 49 and 41", "the Bee Gees, the Beach Boys, America and the Eagles":
        items between commas, not an aside (an "and" soon after the second comma, no verb before it)."""
        if toks[a + 1].text[:1].isdigit() and (low[a - 1][:1].isdigit() or (b + 1 < n and low[b + 1][:1].isdigit())):
            return True
        nxt = next((k for k in range(b + 1, min(core, b + 6)) if low[k] in (",", "and", "or")), None)
        return nxt is not None and low[nxt] in ("and", "or") and not set(low[b + 1:nxt]) & VERBISH

    def attribution_after(b: int) -> bool:
        """", a WII spokesman said." follows: the comma before it is the attribution's own."""
        seg = low[b + 1:core]
        say = next((k for k, w in enumerate(seg) if w in SAY), None)
        return say is not None and 0 < say and len(seg) <= 12 and "," not in seg

    def aside_after(b: int) -> bool:  # "Smith, 54, from Leeds, was jailed": another aside follows
        c = next((c for c in commas if c > b), None)
        return c is not None and low[c] == "," and 0 < c - b - 1 <= 30 and looks_aside(b, c, beside=True)

    asides = []
    for a, b in zip(commas, commas[1:]):
        seg = low[a + 1:b]
        if low[a] != "," or low[b] != "," or not 0 < len(seg) <= 20 or (a == commas[0] and opens_with_lead):
            continue  # after "On Tuesday ," comes the subject, not an aside
        if seg[0] in SUBORDINATORS and not any(w in VERBISH or w in BE or w.endswith(("ed", "ing")) for w in seg):
            continue  # "in 2015, while in 2016, it got": the clause's verb comes after the comma
        aside = looks_aside(a, b)
        attributes = seg[-1] in SAY or "according" in seg
        if attributes and _attribution_stays(toks, range(a + 1, b), low[:a] + low[b:core]):
            continue
        if aside and not (set(seg[:-1]) & SAY) and not in_a_list(a, b):
            asides.append((a, b))
    for a, b in asides:  # both commas go; the first only when another aside is next to it, whose comma it is
        beside = aside_after(b) or any(y == a for _, y in asides)
        add(a, b + 1 if b + 1 < core and not beside and not attribution_after(b) else b, "inner")
    # an opening connective (first: "However ," is one, not an adverbial), or adverbial up to the first comma
    if low and low[0] in CONNECTIVES and n > 1 and (low[1] == "," or (low[0] in SAFE_CONNECTIVES
                                                               and low[1] not in CONNECTIVE_KEEPERS)):
        add(0, 2 if low[1] == "," else 1, "connective")
    if opens_with_lead and commas[0] <= 16 and _lead_leaves_a_clause(toks, low, commas[0]):
        if not ("according" in low[:commas[0]]
                and _attribution_stays(toks, range(commas[0]), low[commas[0] + 1:core])):
            add(0, commas[0] + 1, "lead")
    # a trailing clause or attribution after a comma, semicolon or dash
    for c in commas:
        if c + 1 >= core or c < 4:
            continue
        seg = low[c + 1:core]
        say = next((k for k, w in enumerate(seg) if w in SAY), None)
        if say is not None and _attribution_stays(toks, range(c + 1, core), low[:c]):
            continue
        if any(seg[k] == "," and seg[k + 1] in SAY for k in range(len(seg) - 1)):
            continue  # ", who was there , told reporters": the tail would take the speaker's verb
        # an attribution goes whole (", police said"), never from behind its speaker: in
        # '"...," Richard Stickler, head of the agency, said.' the speaker stands before the comma
        last_quote = max((k for k in range(c) if low[k] in ('"', "”", "''")), default=None)
        says = (say is not None and len(seg) <= 12 and "," not in seg[:say]
                and (last_quote is None or bool(set(low[last_quote:c]) & SAY))
                and (say > 0 or (seg[0] in ("said", "says") and len(seg) > 1 and seg[1] not in PREPOSITIONS))
                and not (say > 0 and all(w in AUXILIARIES for w in seg[:say]))  # ", ... have been told": no speaker
                and not (say > 0 and say + 1 < len(seg) and seg[say + 1] not in _AFTER_SAY and seg[say] != "told"
                         and not toks[c + 2 + say].text[:1].isupper()))  # ", locals say the mine will reopen": a clause
        if seg[0] in ("who", "which", "whose") and "," in seg:
            continue  # ", who had not taken a penalty all season, scored the winner": the main verb follows
        if seg[0].endswith("ing") and c >= 2 and low[c - 2] in DETERMINERS:
            continue  # "a real, working robotic arm": the -ing word is the noun's second adjective
        if low[c] == ";" or seg[0] in TAIL_START or seg[0].endswith("ing") or says:
            add(c, core, "tail")
    # "Police said (that) ..." opening the sentence
    for k in range(1, min(8, core)):
        if low[k] in SAY and all(t.is_word for t in toks[:k]) and k + 2 < core and low[0] not in SUBORDINATORS:
            # not "Although his nephew said he'd gone ...": the concession goes with its speaker
            # "X told Y that": deleting "X told" leaves Y as the subject; "X reported" is a source
            if low[k] in ("according", "told", "reported"):
                break
            if low[k] not in _SAY_CLAUSE and low[k + 1] != "that":
                break  # "The government announced a 9.7% increase": its object, no clause, follows
            j = k + 1 + (low[k + 1] == "that")
            if toks[j].is_word and not _attribution_stays(toks, range(k + 1), low[j:core]):
                add(0, j, "attribution")
            break
    for a, b in _time_spans(low):
        if a == 0 or not toks[a].text[:1].isupper():  # "NBC's Today show" names a programme
            add(a, b, "time")
    # a prepositional phrase that ends the sentence
    for i in range(3, core):
        if low[i] in PREPOSITIONS and toks[i].text.islower() and 1 < core - i <= 10 and not _completes(toks, i):
            seg = low[i + 1:core]
            if (all(toks[i + 1 + k].is_word for k in range(len(seg))) and not (set(seg) & VERBISH)
                    and "and" not in seg and not any(w[:1].isdigit() for w in seg)
                    and seg[-1] not in _PARTICLES and not low[i - 2][:1].isdigit()):
                add(i, core, "pp_tail")
    # single adverbs (lower-case: "Really Simple Syndication" is a name)
    for i in range(1, core):
        w = low[i]
        nxt = toks[i + 1].text if i + 1 < n else ""
        if ((w in ADVERBS and toks[i].text.islower()) or _is_ly(toks[i].text)) and \
                low[i - 1] not in ("a", "an", "the", "not", "'s") and \
                low[i - 1] not in _ADVERB_HEADS and \
                not (low[i - 1] == "," and nxt == ",") and \
                not (w in ("then", "now") and (nxt[:1].isupper() or nxt[:1].isdigit() or low[i - 1] == ","
                                               or nxt.lower() in _BEFORE_TITLE)):
            add(i, i + 1, "adverb")  # not "since [then]", "as [recently] as", "[then] President Saleh"
    seen, out = set(), []
    for s in spans:
        if (s.start, s.end) not in seen:
            seen.add((s.start, s.end))
            out.append(s)
    return out
