"""Extraction time grows linearly with the input (issue 16, "extraction stays linear").

Three inputs were quadratic well below the 1 MB article limit: text without sentence
punctuation, a sentence of many dated clauses, and one sentence listing many places. Each
test requires that doubling the input take at most 2.5 times as long, in this process (a
growth ratio, not a wall-clock limit). Each input is timed at one, two and four times its size, the sizes in turn, best of
five runs each; the growth per doubling is the square root of the four-to-one ratio, measured
over two doublings so that one noisy run on a busy machine does not decide it.

Run them alone with ``python -m pytest -m linear``. The ``Extractor`` (``mapper/extract/``)
caps sentence length at 160 tokens, finds lists once per article, compares a claim only with
the last claims about its place, and weighs distinct places rather than mentions.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
import warnings

import pytest

from mapper.articles import Article

pytestmark = [pytest.mark.linear]

MAX_RATIO = 2.5
_PLACES = ["Rawa", "Anah", "Hit", "Haditha", "Al Qaim", "Rutba", "Mayadin", "Hajin", "Raqqa", "Manbij",
           "Tabqa", "Palmyra"]


def _no_punctuation(n: int) -> str:
    words = "troops moved along the river road toward {p} while engineers cleared the bridge and medics waited "
    parts, i = [], 0
    while sum(map(len, parts)) < n:
        parts.append(words.format(p=_PLACES[i % len(_PLACES)]))
        i += 1
    return "".join(parts)[:n]


def _dated_clauses(n: int) -> str:
    parts, i = [], 0
    while sum(map(len, parts)) < n:
        d = dt.date(2017, 1, 1) + dt.timedelta(days=i % 300)
        parts.append(f"on {d.day} {d:%B} {d.year} Iraqi forces captured {_PLACES[i % len(_PLACES)]} from the "
                     "Islamic State, ")
        i += 1
    return "".join(parts)[:n] + "officials said."


def _listed_places(n: int) -> str:
    parts, i = ["Iraqi forces captured "], 0
    while sum(map(len, parts)) < n:
        parts.append(_PLACES[i % len(_PLACES)] + ", ")
        i += 1
    return "".join(parts) + "and Rutba from the Islamic State on 3 November 2017."


def _seconds(gazetteer, text: str, repeat: int = 3) -> float:
    from mapper.extract import extract_reports

    article = Article(id="long", text=text, published=dt.date(2017, 11, 5))
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                extract_reports(article, gazetteer)
            best = min(best, time.perf_counter() - t0)
        finally:
            gc.enable()
    return best


@pytest.mark.parametrize(("make", "size"), [
    (_no_punctuation, 64_000),
    (_dated_clauses, 32_000),
    (_listed_places, 24_000),
], ids=["no sentence punctuation", "dated clauses", "one sentence listing places"])
def test_doubling_the_input_at_most_doubles_the_time(gazetteer, make, size):
    _seconds(gazetteer, make(1_000), repeat=1)  # warm the caches
    texts = [make(size), make(2 * size), make(4 * size)]
    best = [float("inf")] * 3
    for _ in range(5):  # the sizes in turn, so a burst of load elsewhere hits them alike
        best = [min(b, _seconds(gazetteer, text, repeat=1)) for b, text in zip(best, texts)]
    per_doubling = (best[2] / max(best[0], 1e-6)) ** 0.5
    print(f"\n{make.__name__}: {size:,} / {2 * size:,} / {4 * size:,} chars "
          f"{best[0]:.3f} / {best[1]:.3f} / {best[2]:.3f} s, growth per doubling {per_doubling:.2f}")
    assert per_doubling <= MAX_RATIO, (
        f"doubling {make.__name__} took {per_doubling:.1f}x the time (at most {MAX_RATIO})")
