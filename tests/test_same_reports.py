"""Every command and engine reads an article the same way (issue 12): the reports of
``mapper extract``, of ``mapper build`` with one and with two processes, and of the Python
API are the same rows for the same input."""

from __future__ import annotations

import io
import shutil
import warnings
from pathlib import Path

import pandas as pd

from mapper.articles import read_articles
from mapper.cli import main
from mapper.extract import extract_corpus
from mapper.outputs import read_csv, unneutralise
from mapper.pipeline import build, demo_inputs

KEY = ["article", "span", "place_id", "event_type", "gainer", "loser", "date", "date_precision", "confidence",
       "flags"]


def _corpus(tmp_path: Path, n: int = 14) -> tuple[Path, Path]:
    arts, meta = demo_inputs()
    folder = tmp_path / "arts"
    folder.mkdir()
    for p in sorted(arts)[:n]:
        shutil.copy(p, folder / p.name)
    return folder, meta


def _table(df: pd.DataFrame) -> pd.DataFrame:
    text = df.copy()
    for c in ("date", "published"):
        if c in text and not pd.api.types.is_string_dtype(text[c]):
            text[c] = pd.to_datetime(text[c]).dt.strftime("%Y-%m-%d").fillna("")
    text = text.astype(str).replace({"nan": "", "NaT": ""})
    text["confidence"] = text["confidence"].map(lambda v: f"{float(v):.3f}" if v else "")
    return text[KEY].sort_values(KEY, kind="stable").reset_index(drop=True)


def test_commands_engines_and_the_api_give_the_same_reports(tmp_path, gazetteer, capsys):
    folder, meta = _corpus(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api = extract_corpus(read_articles([folder], metadata=meta), gazetteer)
        one = build([folder], tmp_path / "one", metadata=meta, jobs=1, gif=False).reports
        two = build([folder], tmp_path / "two", metadata=meta, jobs=2, gif=False)
    assert len(api) > 20
    reference = _table(api)
    pd.testing.assert_frame_equal(_table(one), reference)
    pd.testing.assert_frame_equal(_table(two.reports), reference)
    # the tables written out say the same
    pd.testing.assert_frame_equal(_table(read_csv(two.out_dir / "reports.csv")), reference)
    # and so does the command line
    code = main(["extract", str(folder), "--metadata", str(meta), "--format", "csv"])
    out = capsys.readouterr().out
    assert code == 0
    cli = unneutralise(pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False))
    pd.testing.assert_frame_equal(_table(cli), reference)


def test_places_are_the_same_from_the_command_the_build_and_the_api(tmp_path, gazetteer, capsys):
    from mapper.extract import find_places

    folder, meta = _corpus(tmp_path, n=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api = pd.concat([find_places(a, gazetteer) for a in read_articles([folder], metadata=meta)],
                        ignore_index=True)
        built = build([folder], tmp_path / "b", metadata=meta, gif=False).places
    assert main(["places", str(folder), "--metadata", str(meta)]) == 0
    cli = unneutralise(pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False))
    cols = ["article", "name_as_written", "place_id", "start", "end"]
    ref = api[cols].astype(str).reset_index(drop=True)
    assert ref.equals(built[cols].astype(str).reset_index(drop=True))
    assert ref.equals(cli[cols].astype(str).reset_index(drop=True))
