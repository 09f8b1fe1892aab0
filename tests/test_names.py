"""Name folding: examples from reporting and hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapper.names import display_key, fold, skeleton

SAME_PLACE = [
    ["Deir Ezzor", "Deir ez-Zor", "Dayr az Zawr", "Deir al-Zour", "Deir el-Zour", "Deir al-Zor", "DEIR EZZOR"],
    ["Albu Kamal", "Abu Kamal", "Al Bukamal", "Ālbū Kamāl", "Abou Kamal", "al-Bukamal"],
    ["Raqa", "Raqqa", "Ar Raqqah", "Ar-Raqqah", "al-Raqqa", "Raqqah"],
    ["Al Qaim", "Al-Qaim", "al Qaim", "Qaim", "Al Qā’im", "Al Qa'im"],
    ["Kobani", "Kobane"],
    ["Fallujah", "Falluja", "Al Fallujah"],
    ["Mayadin", "al-Mayadeen", "Al Mayadin"],
    ["Baghuz", "Baghouz", "Bāghūz"],
    ["Tabqa", "al-Tabqa", "At Tabqah"],
]


@pytest.mark.parametrize("group", SAME_PLACE, ids=lambda g: g[0])
def test_spelling_variants_fold_to_one_key(group):
    keys = {fold(name) for name in group}
    assert len(keys) == 1, dict(zip(group, map(fold, group)))


@pytest.mark.parametrize(
    "a,b",
    [("Mosul", "Raqqa"), ("Hit", "Hawija"), ("Tikrit", "Baiji"), ("Palmyra", "Homs"), ("Deir Ezzor", "Deir Hafer")],
)
def test_different_places_keep_different_keys(a, b):
    assert fold(a) != fold(b)


def test_skeleton_bridges_vowel_variants():
    assert skeleton(fold("Tell Abyad")) == skeleton(fold("Tall Abyad"))


def test_display_key_strips_marks_only():
    assert display_key("Ḩuşaybah") == "husaybah"
    assert display_key("Tall ‘Afar") == "tall afar"


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError, match="must be a string"):
        fold(None)  # type: ignore[arg-type]


names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
latin_names = st.from_regex(r"(al-|Al |el-)?[A-Z][a-z]{2,8}( [A-Z][a-z]{2,8})?", fullmatch=True)
bare_names = st.from_regex(r"[A-Z][a-z]{2,8}( [A-Z][a-z]{2,8})?", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(names)
def test_fold_is_idempotent_on_any_text(s):
    k = fold(s)
    assert fold(k) == k


@settings(max_examples=300, deadline=None)
@given(names)
def test_fold_output_is_lowercase_alnum(s):
    k = fold(s)
    assert k == k.casefold()  # case-folded (Cherokee folds to upper case, so not .lower())
    assert all(ch.isalnum() for ch in k)


@settings(max_examples=200, deadline=None)
@given(latin_names)
def test_fold_ignores_case_hyphens_and_marks(s):
    assert fold(s) == fold(s.upper()) == fold(s.replace(" ", "-")) == fold(s.replace("a", "ā"))


@settings(max_examples=200, deadline=None)
@given(bare_names)
def test_doubling_a_consonant_does_not_change_the_key(s):
    # a consonant that is not the first letter of a digraph such as "dh" or "kh", nor right after
    # the "a"/"e" opening a later word: doubled there it is an assimilated article glued to its
    # noun ("Qasr Addawla" is "Qasr ad-Dawla"), which fold drops on purpose
    i = next((j for j, c in enumerate(s) if c in "bdfgklmnprstz" and s[j + 1 : j + 2] != "h"
              and not (j >= 2 and s[j - 1] in "aeAE" and s[j - 2] == " ")), None)
    if i is None:
        return
    assert fold(s[: i + 1] + s[i] + s[i + 1 :]) == fold(s)
