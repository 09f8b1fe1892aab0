"""The actor lexicon."""

from __future__ import annotations

import datetime as dt

import pytest

from mapper.actors import ActorLexicon, government_of
from mapper.errors import InputError
from mapper.schema import ACTORS


@pytest.fixture(scope="module")
def lex():
    return ActorLexicon.default()


def labels(lex, text, **ctx):
    return [m.resolve(**ctx) for m in lex.find(text)]


@pytest.mark.parametrize(
    ("phrase", "label"),
    [
        ("the Islamic State group", "IS"),
        ("ISIS", "IS"),
        ("ISIL", "IS"),
        ("Daesh", "IS"),
        ("Islamic State of Iraq and the Levant (ISIL)", "IS"),
        ("the Syrian army", "Syrian government"),
        ("pro-government forces", "Syrian government"),
        ("regime forces", "Syrian government"),
        ("Russian-backed troops", "Syrian government"),
        ("Iraqi security forces", "Iraqi government"),
        ("the Joint Operations Command", "Iraqi government"),
        ("the Popular Mobilisation Forces", "Iraqi government"),
        ("Hashed al-Shaabi", "Iraqi government"),
        ("the Syrian Democratic Forces (SDF)", "SDF"),
        ("the US-backed Kurdish-Arab alliance", "SDF"),
        ("peshmerga fighters", "Kurdish forces"),
        ("Kurdish fighters", "Kurdish forces"),
        ("Turkish-backed rebels", "Turkish-backed rebels"),
        ("Turkey-backed Free Syrian Army", "Turkish-backed rebels"),
        ("Syrian rebels", "Syrian rebels"),
    ],
)
def test_default_phrases(lex, phrase, label):
    found = lex.find(f"Yesterday {phrase} moved forward.")
    assert len(found) == 1, found
    assert found[0].resolve(country="SY", when=dt.date(2017, 1, 1), subject="IS") == label
    assert label in ACTORS


def test_lowercase_is_is_a_verb(lex):
    assert lex.find("This is what it is.") == []


def test_generic_state_forces_follow_the_country(lex):
    (m,) = lex.find("The army pressed on.")
    assert m.resolve(country="IQ") == "Iraqi government"
    assert m.resolve(country="SY") == "Syrian government"
    assert m.resolve(country="TR") is None
    assert government_of("sy") == "Syrian government"


def test_militants_are_is_only_when_the_article_is_about_is(lex):
    (m,) = lex.find("The militants fled.")
    assert m.resolve(subject="IS") == "IS"
    assert m.resolve(subject=None) is None


def test_ypg_before_and_after_the_sdf(lex):
    (m,) = lex.find("The YPG advanced.")
    assert m.resolve(when=dt.date(2015, 6, 1)) == "Kurdish forces"
    assert m.resolve(when=dt.date(2016, 6, 1)) == "SDF"


def test_rebels_backed_by_turkey(lex):
    got = labels(lex, "Syrian rebels backed by Turkey captured the town.")
    assert got == ["Turkish-backed rebels"]


def test_longest_match_wins(lex):
    (m,) = lex.find("the US-backed Syrian Democratic Forces (SDF) said")
    assert m.text == "the US-backed Syrian Democratic Forces (SDF)"


def test_extend_from_csv(tmp_path, lex):
    f = tmp_path / "actors.csv"
    f.write_text("pattern,actor\nLiwa al-Example,Syrian rebels\nre:Brigade\\s+\\d+,Iraqi government\n", encoding="utf-8")
    ext = ActorLexicon.from_file(f)
    assert len(ext) == len(lex) + 2
    assert labels(ext, "Liwa al-Example and Brigade 17 advanced.") == ["Syrian rebels", "Iraqi government"]
    # the defaults are still there
    assert labels(ext, "ISIS withdrew.") == ["IS"]


def test_extend_from_yaml(tmp_path):
    f = tmp_path / "actors.yaml"
    f.write_text("SDF:\n  - Manbij Military Council\nother: Wagner\n", encoding="utf-8")
    ext = ActorLexicon.from_file(f)
    assert labels(ext, "The Manbij Military Council and Wagner fought.") == ["SDF", "other"]


def test_bad_lexicon_rows_are_reported_together(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("pattern,actor\n,IS\nFoo,Martians\nre:(unclosed,IS\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        ActorLexicon.from_file(f)
    msg = str(err.value)
    assert "line 2" in msg and "line 3" in msg and "line 4" in msg and "Martians" in msg


def test_bad_lexicon_header(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("phrase,label\nx,IS\n", encoding="utf-8")
    with pytest.raises(InputError, match="pattern,actor"):
        ActorLexicon.from_file(f)
    with pytest.raises(InputError, match="no such file"):
        ActorLexicon.from_file(tmp_path / "missing.csv")
