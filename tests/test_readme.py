"""README figures come from the code (issue 14): `python docs/readme_figures.py --check` is clean."""

from __future__ import annotations

import importlib.util

from conftest import REPO


def _module():
    spec = importlib.util.spec_from_file_location("readme_figures", REPO / "docs" / "readme_figures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_figures_match_the_code(gazetteer):
    mod = _module()
    text = (REPO / "README.md").read_text(encoding="utf-8")
    values = mod.figures(gazetteer)
    names = {m["name"] for m in mod._MARK.finditer(text)}
    assert names == set(values), f"README marks {sorted(names)}, the code computes {sorted(values)}"
    stale = mod.differences(text, values)
    assert not stale, "README figures out of date; run python docs/readme_figures.py:\n" + "\n".join(stale)


def test_the_figure_markers_catch_a_stale_number():
    mod = _module()
    text = "a gazetteer of <!-- fig:places -->33,205<!-- /fig --> places"
    assert mod.differences(text, {"places": "33,304"}) == ["places: README says '33,205', the code gives '33,304'"]
    assert mod.rewrite(text, {"places": "33,304"}) == "a gazetteer of <!-- fig:places -->33,304<!-- /fig --> places"


def test_the_readme_image_is_the_demo():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "![Snapshot map of the demo corpus" in text and "docs/screenshot.png" in text
    png = (REPO / "docs" / "screenshot.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
