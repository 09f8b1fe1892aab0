"""A synthetic corpus of distinct dispatches for benchmarks (sentences written here).

    from synthetic import write_corpus
    write_corpus(path, n=10_000, seed=1)     # JSON Lines: id, text, published, title

Every article is different: its places are drawn from the packaged gazetteer (settlements of
Syria and Iraq), its sides, dates, numbers and sentence templates at random, so caches keyed
on a text or on the set of names it mentions do not hit the way they do when a few texts are
cycled. Articles are about the size of the development reports (1-2 KB); dates are spread
over 2014-2019.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

_SIDES = {
    "IS": ["Islamic State fighters", "IS militants", "the jihadists", "Daesh fighters", "ISIS militants"],
    "Iraqi government": ["Iraqi forces", "Iraqi troops", "the Iraqi army", "Popular Mobilisation units",
                         "Counter-Terrorism Service units"],
    "Syrian government": ["Syrian troops", "government forces", "the Syrian army", "pro-government militias"],
    "SDF": ["the Syrian Democratic Forces", "SDF fighters", "the US-backed SDF"],
    "Kurdish forces": ["peshmerga fighters", "Kurdish peshmerga forces"],
    "Turkish-backed rebels": ["Turkish-backed rebels", "rebels backed by Turkey"],
}
_CLAIMS = [
    "{g} recaptured {p} from {l} on {wd}, {src} said.",
    "{g} seized the town of {p} on {wd} after {n} days of fighting.",
    "On {wd}, {g} took full control of {p}, driving out the last {l}.",
    "{p} fell to {g} on {wd}, according to {src}.",
    "{l} lost {p} to {g} on {wd}.",
    "{g} entered the eastern districts of {p} on {wd} and were fighting street by street.",
    "{g} have surrounded {p}, cutting the last road out of the town.",
    "{g} said they had liberated the villages of {p}, {p2} and {p3} on {wd}.",
    "{p} was retaken by {g} on {wd}, {src} said.",
    "{l} withdrew from {p} overnight, leaving mines in the streets.",
    "{p}, which {l} seized in {mon} {yr}, was retaken by {g} on {wd}.",
    "{g} now control most of {p}, but clashes continued near the market.",
]
_FILLER = [
    "Aid agencies said {n} families had fled towards {p} in the past week.",
    "{src} reported that {n} civilians were killed in air strikes near {p}.",
    "The road between {p} and {p2} remained closed to traffic on {wd}.",
    "Officials in {p} said water and power had been restored to {n} districts.",
    "Engineers were clearing explosives from schools and clinics, a local official said.",
    "Prices of bread and fuel rose sharply in the markets of {p}, residents said.",
    "Commanders said the next phase of the offensive would begin within {n} weeks.",
    "The United Nations appealed for {n} million dollars to help people displaced by the fighting.",
    "A curfew was imposed in {p} after {n} car bombs exploded on {wd}.",
]
_SOURCES = ["a monitoring group", "state media", "a military spokesman", "local officials", "activists",
            "the defence ministry", "a commander"]
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


def _places(gazetteer) -> dict[str, list[str]]:
    s = gazetteer.settlements()
    s = s[(s["population"] > 0) | (s["n_names"] >= 4)]
    return {cc: sorted(set(s[s["country"] == cc]["name"])) for cc in ("SY", "IQ")}


def article(rng: random.Random, places: dict[str, list[str]], i: int) -> dict:
    """One distinct dispatch as a JSON Lines record."""
    cc = rng.choice(["SY", "IQ"])
    names = places[cc]
    state = "Syrian government" if cc == "SY" else "Iraqi government"
    sides = [state, "IS"] + (["SDF", "Turkish-backed rebels"] if cc == "SY" else ["Kurdish forces"])
    pub = dt.date(2014, 1, 1) + dt.timedelta(days=rng.randrange(6 * 365))

    def fill(t: str) -> str:
        g, lo = rng.sample(sides, 2)
        return t.format(g=rng.choice(_SIDES[g]), l=rng.choice(_SIDES[lo]), p=rng.choice(names), p2=rng.choice(names),
                        p3=rng.choice(names), wd=rng.choice(_WEEKDAYS), n=rng.randint(2, 90),
                        src=rng.choice(_SOURCES), mon=rng.choice(_MONTHS), yr=rng.randint(2013, pub.year))

    body = [fill(rng.choice(_CLAIMS)) for _ in range(rng.randint(2, 4))]
    body += [fill(rng.choice(_FILLER)) for _ in range(rng.randint(4, 7))]
    rng.shuffle(body)
    lead_place = rng.choice(names)
    dateline = f"{lead_place.upper()}, {pub.strftime('%b')} {pub.day} (Synthetic Wire) - "
    paragraphs = [dateline + body[0]] + [" ".join(body[k:k + 2]) for k in range(1, len(body), 2)]
    title = body[0].split(",")[0][:90]
    return {"id": f"syn{i:06d}", "title": title, "published": pub.isoformat(),
            "text": title + "\n\n" + "\n\n".join(paragraphs)}


def write_corpus(path: str | Path, *, n: int, seed: int = 1, gazetteer=None) -> Path:
    """Write ``n`` distinct synthetic dispatches to ``path`` (JSON Lines)."""
    if gazetteer is None:
        from mapper.gazetteer import Gazetteer

        gazetteer = Gazetteer.load()
    rng = random.Random(seed)
    places = _places(gazetteer)
    path = Path(path)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps(article(rng, places, i), ensure_ascii=False) + "\n")
    return path
