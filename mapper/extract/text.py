"""Segmentation: an article's text as tokens, sentences and parts (headline, dateline, captions).

tokenize(text)           -> Tokens (parallel lists of offsets, words and lowercase words)
split_sentences(text)    -> list[(start, end)] character spans
Layout.of(text, title)   -> the sentences with their part of the article

One regular-expression pass makes the tokens; everything after works on token indices, so the
cost of reading an article grows with its length and nothing else. Sentences and clauses are
capped (:data:`MAX_SENTENCE_TOKENS`): a text with no punctuation is read in bounded pieces.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

__all__ = ["Tokens", "tokenize", "split_sentences", "Layout", "Sentence", "normalise", "MAX_SENTENCE_TOKENS"]

#: a sentence longer than this is cut into pieces of this many tokens (keeps reading linear)
MAX_SENTENCE_TOKENS = 160

_TOKEN = re.compile(
    r"[^\W\d_][^\W_]*(?:['’ʼ][^\W\d_][^\W_]*)*"  # a word, with inner apostrophes (Qa'im, Shu'ayfah)
    r"|\d+(?:[.,:/]\d+)*(?:st|nd|rd|th|s)?"  # a number, an ordinal, a time
    r"|[^\w\s]"  # one punctuation mark
)
_POSSESSIVE_TAIL = ("'s", "’s", "ʼs")
_GLUED = re.compile(r"(?<=[a-z]{3})[a-z](?=[A-Z][a-z]{2})")
_UPPER_START = re.compile(r"[\"“‘'(\[]?[A-Z0-9\u00C0-\u00DE]")

_ABBREV = frozenset({
    "mr", "mrs", "ms", "dr", "gen", "lt", "col", "maj", "capt", "sgt", "st", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "jr", "sr", "u.s", "u.n",
    "u.k", "e.g", "i.e", "vs", "approx", "brig", "adm", "gov", "sen", "rep", "prof", "corp", "inc",
    "co", "ltd", "mt", "ft", "km", "u", "s", "n", "k", "a.m", "p.m", "am", "pm", "var",
})


def normalise(text: str) -> str:
    """Text as the extractor reads it: NFC, NUL and lone surrogates removed, CR LF as LF.

    Offsets into the normalised text are what reports carry in ``span``.
    """
    if not text:
        return ""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


class Tokens:
    """The tokens of a text as parallel lists (cheap to build, cheap to index)."""

    __slots__ = ("text", "starts", "ends", "words", "lows", "n")

    def __init__(self, text: str):
        self.text = text
        # the words, and their offsets from the lengths of the words and of the gaps between
        # them (two C-level passes instead of a match object per token)
        words = _TOKEN.findall(text)
        n = len(words)
        lengths = [0] * (2 * n + 1)
        lengths[0::2] = map(len, _TOKEN.split(text))
        lengths[1::2] = map(len, words)
        offsets = list(accumulate(lengths))
        starts = offsets[0:2 * n:2]
        ends = offsets[1::2]
        # the few tokens to split: "capitalBaghdad" (two words run together), a possessive "'s"
        odd = [k for k, w in enumerate(words) if len(w) > 3 and (
            w[-2:] in _POSSESSIVE_TAIL or len(w) > 6 and w[0].islower() and _GLUED.search(w) is not None)]
        if odd:  # rebuilt in one pass (splicing each would be quadratic in a long text)
            ws, ss, es = words, starts, ends
            words, starts, ends = [], [], []
            prev = 0
            for k in odd:
                words += ws[prev:k]
                starts += ss[prev:k]
                ends += es[prev:k]
                prev = k + 1
                w, s, e = ws[k], ss[k], es[k]
                if len(w) > 6 and w[0].islower():
                    cut = _GLUED.search(w)
                    if cut is not None:  # "capitalBaghdad": two words run together
                        starts.append(s)
                        ends.append(s + cut.start() + 1)
                        words.append(w[:cut.start() + 1])
                        s, w = s + cut.start() + 1, w[cut.start() + 1:]
                if len(w) > 3 and w[-2:] in _POSSESSIVE_TAIL:
                    starts.append(s)
                    ends.append(e - 2)
                    words.append(w[:-2])
                    s, w = e - 2, w[-2:]
                starts.append(s)
                ends.append(e)
                words.append(w)
            words += ws[prev:]
            starts += ss[prev:]
            ends += es[prev:]
        self.starts = starts
        self.ends = ends
        self.words = words
        self.lows = [w.lower() for w in words]
        self.n = len(words)

    def glued(self, i: int) -> bool:
        """Token ``i`` follows token ``i - 1`` with no space between."""
        return i > 0 and self.starts[i] == self.ends[i - 1]

    def span_text(self, i: int, j: int) -> str:
        """The text of tokens ``i`` to ``j - 1``."""
        return self.text[self.starts[i]:self.ends[j - 1]] if j > i else ""

    def index_at(self, char: int) -> int:
        """The index of the first token starting at or after character ``char``."""
        return bisect_right(self.ends, char)

    def __len__(self) -> int:
        return self.n


def tokenize(text: str) -> Tokens:
    """The :class:`Tokens` of ``text``."""
    return Tokens(text)


_ENDERS = frozenset({".", "!", "?", "\"", "”", "’", "'", ")"})


def _sentence_bounds(tk: Tokens) -> list[tuple[int, int]]:
    """Token ranges of the sentences of ``tk``: a line break always ends one."""
    text, starts, ends, words, lows = tk.text, tk.starts, tk.ends, tk.words, tk.lows
    n = tk.n
    out: list[tuple[int, int]] = []
    begin = 0
    # a sentence can end only after a stop, a closing quote or bracket, a line break or the
    # last token: only those tokens are looked at
    at = {i for i, w in enumerate(words) if w in _ENDERS}
    pos = text.find("\n")
    while pos >= 0:
        i = bisect_right(ends, pos) - 1  # the token before the line break
        if i >= 0:
            at.add(i)
        pos = text.find("\n", pos + 1)
    if n:
        at.add(n - 1)
    for i in sorted(at):
        cut = False
        if i + 1 < n:
            gap = text[ends[i]:starts[i + 1]]
            if "\n" in gap:
                cut = True
            elif words[i] in (".", "!", "?") and gap:
                prev = lows[i - 1] if i > 0 else ""
                if not (words[i] == "." and (prev in _ABBREV or (len(prev) == 1 and prev.isalpha()))):
                    cut = bool(_UPPER_START.match(words[i + 1]))
            elif words[i] in ("\"", "”", "’", "'", ")") and i > 0 and words[i - 1] in (".", "!", "?") and gap:
                cut = bool(_UPPER_START.match(words[i + 1]))
        else:
            cut = True
        if cut:
            j = i + 1
            while j - begin > MAX_SENTENCE_TOKENS:
                out.append((begin, begin + MAX_SENTENCE_TOKENS))
                begin += MAX_SENTENCE_TOKENS
            if j > begin:
                out.append((begin, j))
            begin = j
    return out


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text`` (line breaks always end a sentence).

    Abbreviations ("Nov.", "Gen.", "U.S.") and initials do not end a sentence.
    """
    tk = tokenize(text)
    return [(tk.starts[i], tk.ends[j - 1]) for i, j in _sentence_bounds(tk)]


# ------------------------------------------------------------------------------ layout

#: lines that describe a picture or credit one: never the lead, never evidence of a claim
_CAPTION = re.compile(
    r"\(Photos?\b|\bPhotos?\s*(?::|by\b)|\bPhoto\s*/|\bREUTERS/|\bAFP(?:\s+PHOTO|/)|\bFile\s+Photo\b|\[caption\b"
    r"|\[(?:AFP|Reuters|Getty|AP|EPA)\]|\bGetty\s+Images\b|/\s*(?:AP|AFP|EPA)\b|\bpic\.twitter\.com\b"
    r"|\bImage\s*(?::|credit)|\bCredit\s*:|/\s*TRT\s+World\b|\bPhoto\s+credit\b|\(AP\s+Photo",
    re.IGNORECASE,
)
#: byline, timestamps and site furniture
_META = re.compile(
    r"^\s*(?:By\s+(?!(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b|(?:Jan|Febr)uary\b|March\b|April\b|May\b"
    r"|June\b|July\b|August\b|(?:Septem|Octo|Novem|Decem)ber\b|Then\b|Now\b|Late\b|Early\b|Mid\b|Dawn\b"
    r"|Nightfall\b|Noon\b|Midday\b|Evening\b|Morning\b|Afternoon\b|Tonight\b|Last\b|This\b|Next\b|End\b"
    r")[A-Z]|Posted\b|Published\b|PUBLISHED\b|UPDATED?\b|Updated\b|Last\s+updated\b|First\s+published\b"
    r"|Date\s*:|Category\s*:|Source\s*:|SOURCE\s*:|Share\b|Email\b|Print\b|Comments?\b|Related\b|RELATED\b|Tags?\s*:"
    r"|Read\s+more\b|READ\s+MORE\b|Advertisement\b|Home\s*>|Views\s*:|Story\s+Code\b|Leave\s+a\s+Reply\b)",
)
#: "BEIRUT (AP) —", "London, June 13 :", "KIRKUK, Iraq (AP) —", "DAMASCUS - "
_DATELINE = re.compile(
    r"^\s*(?P<head>[A-Z\u00C0-\u00DE\u0130][^\n]{0,90}?)\s*"
    r"(?:\((?P<agency>[^()\n]{1,60})\)\s*(?:[-–—:]{1,2}\s*)?|\s[-–—:]{1,2}\s|(?:[–—]{1,2}|--|-(?=\s))(?=\s*[A-Z\"“]))"
)
#: a line that is only a date and a time ("3 Mar 2021", "Friday 8 July 2016 - 09:40")
_DATE_ONLY = re.compile(
    r"^\s*(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?(?:\d{1,2}\s+[A-Z][a-z]{2,8}\.?,?\s+\d{4}|[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s+\d{4}|\d{4}-\d{2}-\d{2})"
    r"(?:[\sT,\-–|:]*\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:[AaPp]\.?[Mm]\.?|GMT|UTC|AMT|EDT|EST|[+-]\d{2}:?\d{2}))?)?\s*$"
)
#: a line that is only a place and a date ("Baghdad, 13 November 2016", "ERBIL, Iraq, June 3, 2015"):
#: a dateline standing alone
_PLACE_DATE_ONLY = re.compile(
    r"^\s*[A-Z\u00C0-\u00DE\u0130][\w'’.\-]*(?:[ ,]+[A-Z\u00C0-\u00DE\u0130][\w'’.\-]*){0,3}\s*[,:–—-]\s*"
    r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?(?:\d{1,2}\s+[A-Z][a-z]{2,8}\.?,?\s+\d{4}|[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s+\d{4})\s*$"
)
#: what any dateline above must contain: a parenthesis, a long dash, "--", or a dash or a
#: colon beside a space (a quick search before the slow pattern)
_DATELINE_GATE = re.compile(r"[(–—]|--|\s[-:]|-\s")
_ALLCAPS_LEAD = re.compile(r"^\s*((?:[A-Z\u00C0-\u00DE\u0130][A-Z\u00C0-\u00DE\u0130'’.\-]{2,}\s*,?\s*)+)(?=[A-Z][a-z])")


@dataclass
class Sentence:
    """A sentence: token range ``[i, j)`` and its part of the article."""

    i: int
    j: int
    part: str  # "headline", "body", "caption", "meta"
    line: int
    body_start: int  # first token index after a dateline (== i when none)


class Layout:
    """The parts of an article: which sentences are the headline, captions, meta lines, body."""

    __slots__ = ("tokens", "sentences", "lead", "dateline_spans")

    def __init__(self, tokens: Tokens, sentences: list[Sentence], lead: int | None, dateline_spans: list[tuple[int, int]]):
        self.tokens = tokens
        self.sentences = sentences
        self.lead = lead
        self.dateline_spans = dateline_spans

    @classmethod
    def of(cls, tokens: Tokens, title: str = "") -> Layout:
        """Segment ``tokens`` (of an article's text); ``title`` is its headline if known."""
        text = tokens.text
        bounds = _sentence_bounds(tokens)
        line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        title_key = _key(title)
        title_head = title_key.split(" ", 1)[0]
        sentences: list[Sentence] = []
        lead = None
        datelines: list[tuple[int, int]] = []
        seen_body = 0
        caption_line: dict[int, bool] = {}
        for (i, j) in bounds:
            s_char, e_char = tokens.starts[i], tokens.ends[j - 1]
            line_no = bisect_right(line_starts, s_char) - 1
            seg = text[s_char:e_char]
            part = "body"
            if line_no not in caption_line:
                caption_line[line_no] = _is_caption(_line(text, line_starts[line_no], s_char))
            if caption_line[line_no]:
                part = "caption"
            elif _META.match(seg) or _DATE_ONLY.match(seg):
                part = "meta"
            elif _PLACE_DATE_ONLY.match(seg):
                part = "meta"
                datelines.append((i, j))
            elif title_key and _same_key(seg, title_key, title_head) \
                    or seen_body == 0 and _looks_like_headline(seg, _line(text, line_starts[line_no], s_char)):
                part = "headline"
            body_start = i
            if part == "body":
                k = _dateline_end(tokens, i, j, seg)
                if k > i:
                    datelines.append((i, k))
                    body_start = k
                if lead is None and j - body_start >= 8:
                    lead = len(sentences)
                seen_body += 1
            sentences.append(Sentence(i, j, part, line_no, body_start))
        return cls(tokens, sentences, lead, datelines)

    def headline_indices(self) -> list[int]:
        return [k for k, s in enumerate(self.sentences) if s.part == "headline"]


#: every alternative of :data:`_CAPTION` contains one of these (lowercase); an ASCII line with
#: none of them is not a caption, without running the regular expression
_CAPTION_NEEDS = ("photo", "afp", "[", "/", "getty", "pic.twitter.com", "image", "credit")


#: the only characters that IGNORECASE matches to an ASCII letter besides the letters
#: themselves (a text without them can be screened on its lowercase form)
ASCII_CASE_TWINS = ("\u0130", "\u0131", "\u017f", "\u212a")


def _is_caption(line: str) -> bool:
    if line.isascii() or not any(c in line for c in ASCII_CASE_TWINS):
        low = line.lower()
        if not any(w in low for w in _CAPTION_NEEDS):
            return False
    m = _CAPTION.search(line)
    if m is None:
        return False
    d = _DATELINE.match(line) if _DATELINE_GATE.search(line) else None
    # "Beirut (Kabar Nusantara/AFP-KN) - ...": an agency credit in a dateline is no caption
    return not (d is not None and d.group("agency") and d.start("agency") <= m.start() < d.end("agency"))


_NOT_WORD = re.compile(r"[\W_]+")


def _line(text: str, start: int, at: int) -> str:
    """The line that starts at ``start``, up to the line break after ``at``."""
    end = text.find("\n", at)
    return text[start:end if end >= 0 else len(text)]


def _key(s: str) -> str:
    return _NOT_WORD.sub(" ", s).strip().lower()


_FIRST_WORD = re.compile(r"[\W_]*([^\W_]*)")


def _same_key(seg: str, key: str, head: str) -> bool:
    """``_key(seg) == key``, where ``head`` is the first word of ``key``: a first word that
    differs settles it without making the key (an ASCII word lowercases the same alone)."""
    w = _FIRST_WORD.match(seg).group(1)
    if w.isascii() and w.lower() != head:
        return False
    return _key(seg) == key


def _looks_like_headline(seg: str, line: str) -> bool:
    """A short line at the top with no closing full stop: a headline or a standfirst."""
    s = seg.strip()
    if len(s) > 160 or len(s) < 12 or s.endswith((".", "\"", "”")) and len(s) > 110:
        return False
    if line.strip() != s:
        return False
    return not s.endswith((".", "!", "?"))


def _dateline_end(tk: Tokens, i: int, j: int, seg: str) -> int:
    """Index of the first token after a dateline opening the sentence (``i`` when none)."""
    m = _DATELINE.match(seg) if _DATELINE_GATE.search(seg) else None
    base = tk.starts[i]
    if m and m.end() < len(seg) - 10:
        head = m.group("head")
        words = head.replace(",", " ").split()
        dashed = bool(re.search(r"[-–—:]\s*$", seg[:m.end()]))
        has_date = bool(re.search(r"\d", head)) or head.isupper() or words and words[0].isupper() and len(words[0]) > 2
        if not (dashed or has_date):
            return i  # "Kurdish-led Syrian Democratic Forces (SDF) have ...": a subject, not a dateline
        # a dateline names a place (and maybe a date): few words, each capitalised or a date
        if 1 <= len(words) <= 9 and all(w[:1].isupper() or w[:1].isdigit() or w.lower() in _DATE_WORDS for w in words):
            return max(i, tk.index_at(base + m.end() - 1) if seg[m.end() - 1:m.end()].isspace() else tk.index_at(base + m.end()))
    m = _ALLCAPS_LEAD.match(seg)
    if m and len(m.group(1).split()) <= 3:
        return tk.index_at(base + m.end(1) - 1) if seg[m.end(1) - 1].isspace() else tk.index_at(base + m.end(1))
    return i


_DATE_WORDS = frozenset({"of", "and", "st", "nd", "rd", "th", "/", "-", "the"})
