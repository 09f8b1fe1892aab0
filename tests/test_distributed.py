"""Distributed extraction on Dask gives the local path's reports, partition by partition."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

from mapper.articles import Skipped, note_duplicates, read_articles  # noqa: E402
from mapper.distributed import (  # noqa: E402
    add_engine_arguments,
    extract_dask,
    read_reports_parquet,
    report_dtypes,
    run_extraction,
    skipped_records,
    write_reports_parquet,
)
from mapper.errors import InputError  # noqa: E402
from mapper.extract import extract_corpus, find_places  # noqa: E402
from mapper.schema import REPORT_COLUMNS  # noqa: E402

SORT = ["article", "span", "place_id", "event_type", "gainer", "loser"]


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes on loopback, shared by the module's tests."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                     dashboard_address="127.0.0.1:0", worker_dashboard_address=None) as cluster,
        Client(cluster, set_as_default=False) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seeds_dir, dev_dir) -> tuple[list[Path], Path]:
    """seeds + dev articles, with one metadata CSV covering both."""
    d = tmp_path_factory.mktemp("meta")
    meta = d / "metadata.csv"
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in (seeds_dir / "metadata.csv", dev_dir / "metadata.csv")
              if p.is_file()]
    pd.concat(frames, ignore_index=True).drop_duplicates("file").to_csv(meta, index=False)
    return [seeds_dir, dev_dir / "articles"], meta


def _local(paths, metadata=None, gazetteer=None):
    skipped: list[Skipped] = []
    with warnings.catch_warnings():  # the reference run must not turn warnings into failed articles
        warnings.simplefilter("ignore")
        reports = extract_corpus(note_duplicates(read_articles(paths, metadata=metadata)), gazetteer, skipped=skipped)
    return reports, skipped


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(SORT, kind="stable").reset_index(drop=True)


def test_same_reports_as_local_on_seeds_and_dev(client, corpus, gazetteer):
    paths, meta = corpus
    local, local_skipped = _local(paths, meta, gazetteer)
    assert len(local) > 20  # the corpus yields reports, so the comparison means something

    ddf, skipped = extract_dask(paths, metadata=meta, scheduler=client, files_per_partition=4, with_skipped=True)
    assert ddf.npartitions >= 7  # 28 files in batches of 4: really partitioned
    assert list(ddf.columns) == REPORT_COLUMNS
    reports, skipped_df = client.compute([ddf, skipped], sync=True)

    assert reports.dtypes.to_dict() == local.dtypes.to_dict() == report_dtypes()
    pd.testing.assert_frame_equal(_sorted(reports), _sorted(local))
    assert [str(s) for s in skipped_records(skipped_df)] == [str(s) for s in local_skipped]


def test_run_extraction_dask_equals_local_and_writes_parquet(client, corpus, gazetteer, tmp_path):
    paths, meta = corpus
    local, _, local_places = run_extraction(paths, engine="local", metadata=meta, with_places=True)
    out = tmp_path / "reports.parquet"
    reports, skipped, places = run_extraction(paths, engine="dask", scheduler=client, metadata=meta,
                                              gazetteer=gazetteer, reports_parquet=out, with_places=True)
    pd.testing.assert_frame_equal(reports, local)  # partitions come back in input order
    assert out.is_dir() and list(out.glob("*.parquet"))
    pd.testing.assert_frame_equal(read_reports_parquet(out), local)
    assert skipped == []
    # every place mention, as the local pipeline's find_places gives them (places.csv)
    expected = pd.concat([find_places(a, gazetteer) for a in read_articles(paths, metadata=meta)], ignore_index=True)
    assert len(places) > len(reports)
    pd.testing.assert_frame_equal(places, expected)
    pd.testing.assert_frame_equal(local_places, expected)


def _jsonl_corpus(dirpath: Path, seeds_dir: Path, meta: Path) -> Path:
    """seeds and dev texts as JSON Lines: some records without id, a bad line, blank lines."""
    dates = pd.read_csv(meta, dtype=str, keep_default_na=False).set_index("file")["published"].to_dict()
    lines = []
    for i, item in enumerate(read_articles([seeds_dir])):
        rec = {"text": item.text, "published": dates.get(item.id, ""), "title": item.title}
        if i % 2 == 0:
            rec["id"] = f"rec-{i}"
        lines.append(json.dumps(rec, ensure_ascii=False))
        if i == 1:
            lines.append("{not json")
        if i == 2:
            lines.append("")
        if i == 3:
            lines.append("[1, 2]")
    path = dirpath / "corpus.jsonl"
    path.write_text("\n".join(lines * 3) + "\n", encoding="utf-8")
    return path


def test_jsonl_byte_blocks_give_local_ids_and_line_numbers(client, corpus, seeds_dir, gazetteer, tmp_path):
    _, meta = corpus
    path = _jsonl_corpus(tmp_path, seeds_dir, meta)
    local, local_skipped = _local([path], None, gazetteer)
    assert local["article"].str.contains(r"corpus:\d+").any()  # fallback ids from line numbers

    ddf, skipped = extract_dask([path], scheduler=client, blocksize=3000, with_skipped=True)
    assert ddf.npartitions > 5
    reports, skipped_df = client.compute([ddf, skipped], sync=True)
    pd.testing.assert_frame_equal(reports.reset_index(drop=True), local)
    assert [str(s) for s in skipped_records(skipped_df)] == [str(s) for s in local_skipped]
    assert any("not valid JSON" in s.reason for s in local_skipped)


def test_failing_partitions_are_recorded_and_the_rest_finishes(client, seeds_dir, gazetteer, tmp_path, monkeypatch):
    from mapper import distributed as dist

    good = sorted(seeds_dir.glob("*.txt"))[:3]
    d = tmp_path / "in"
    d.mkdir()
    for p in good:
        shutil.copy(p, d / p.name)
    (d / "zz_binary.txt").write_bytes(bytes(range(256)) * 40)  # undecodable: not text at all
    (d / "zz_garbage.jsonl").write_bytes(b"\x00\xff\xfe garbage \x81\x8d\n" * 5)
    doomed = d / "zz_vanishing.jsonl"
    doomed.write_text(json.dumps({"id": "v1", "text": "Raqqa fell."}) + "\n", encoding="utf-8")

    planned = dist._corpus_bag

    def plan_then_remove(*args, **kwargs):
        out = planned(*args, **kwargs)
        doomed.unlink()  # removed after planning, before the workers read it: that partition fails
        return out

    monkeypatch.setattr(dist, "_corpus_bag", plan_then_remove)
    reports, records = run_extraction([d], engine="dask", scheduler=client)

    local, _ = _local([d / p.name for p in good], None, gazetteer)
    assert len(local) > 0
    pd.testing.assert_frame_equal(reports, local)  # the good files all finished, in order
    by_input = {Path(s.input.split(",")[0]).name: s for s in records}
    assert "binary content" in by_input["zz_binary.txt"].reason
    assert "not valid JSON" in by_input["zz_garbage.jsonl"].reason
    failed = by_input["zz_vanishing.jsonl"]
    assert failed.reason.startswith("partition failed (FileNotFoundError")
    assert failed.input.endswith("zz_vanishing.jsonl, block 1 of 1") and "shared filesystem" in failed.fix


def test_a_lazy_frame_raises_a_failed_read(client, tmp_path):
    doomed = tmp_path / "gone.jsonl"
    doomed.write_text(json.dumps({"id": "v1", "text": "Raqqa fell."}) + "\n", encoding="utf-8")
    ddf = extract_dask([doomed], scheduler=client)
    doomed.unlink()
    with pytest.raises(FileNotFoundError):
        client.compute(ddf, sync=True)


def _loads():
    from mapper import distributed as d

    return d._LOADS


def test_gazetteer_loaded_once_per_worker(client, seeds_dir):
    ddf = extract_dask([seeds_dir], scheduler=client, files_per_partition=1)
    assert ddf.npartitions >= 5
    client.compute(ddf, sync=True)
    after = client.run(_loads)
    assert all(v <= 1 for v in after.values()) and sum(after.values()) >= 1  # once per worker at most


def test_a_gazetteer_loaded_from_its_file_is_loaded_by_the_workers_not_sent(client, seeds_dir, gazetteer):
    from mapper.distributed import _gazetteer_spec

    assert _gazetteer_spec(gazetteer) == ("packaged", None)  # the object names its file
    ddf = extract_dask([seeds_dir], gazetteer=gazetteer, scheduler=client, files_per_partition=1)
    local, _ = _local([seeds_dir], None, gazetteer)
    pd.testing.assert_frame_equal(client.compute(ddf, sync=True).reset_index(drop=True), local)
    loads = client.run(_loads)
    assert all(v <= 1 for v in loads.values()) and sum(loads.values()) >= 1  # loaded there, once


def test_a_gazetteer_built_in_memory_is_scattered_once_not_reloaded(client, seeds_dir, gazetteer):
    from mapper.distributed import _gazetteer_spec
    from mapper.gazetteer import Gazetteer

    own = Gazetteer(gazetteer._table, aliases=gazetteer._aliases)  # no file behind it
    assert _gazetteer_spec(own) is None
    before = client.run(_loads)
    ddf = extract_dask([seeds_dir], gazetteer=own, scheduler=client, files_per_partition=1)
    local, _ = _local([seeds_dir], None, own)
    pd.testing.assert_frame_equal(client.compute(ddf, sync=True).reset_index(drop=True), local)
    assert client.run(_loads) == before  # no worker loaded a gazetteer for it


def test_bag_of_articles(client, seeds_dir, gazetteer):
    import dask.bag as db

    arts = [a for a in read_articles([seeds_dir])]
    bag = db.from_sequence(arts, npartitions=3)
    reports = client.compute(extract_dask(bag, scheduler=client), sync=True).reset_index(drop=True)
    local, _ = _local([seeds_dir], None, gazetteer)
    pd.testing.assert_frame_equal(reports, local)


def test_empty_input_gives_an_empty_frame_with_the_schema(client, tmp_path):
    ddf = extract_dask([tmp_path], scheduler=client)
    out = client.compute(ddf, sync=True)
    assert len(out) == 0 and list(out.columns) == REPORT_COLUMNS
    assert out.dtypes.to_dict() == report_dtypes()


def test_write_reports_parquet_refuses_a_file(tmp_path):
    from mapper.errors import OutputError

    f = tmp_path / "reports.parquet"
    f.write_text("not a folder")
    with pytest.raises(OutputError, match="is a file"):
        write_reports_parquet(pd.DataFrame(columns=REPORT_COLUMNS), f)


def test_bad_options_name_the_fix(seeds_dir, gazetteer):
    with pytest.raises(InputError, match="unknown engine"):
        run_extraction([seeds_dir], engine="spark")
    with pytest.raises(InputError, match="--engine dask"):
        run_extraction([seeds_dir], engine="local", scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(InputError, match="not a size"):
        extract_dask([seeds_dir], blocksize="lots")
    with pytest.raises(InputError, match="not both"):
        extract_dask([seeds_dir], gazetteer=gazetteer, gazetteer_path="x.txt")
    with pytest.raises(InputError, match="run_extraction"):
        extract_dask([seeds_dir], scheduler="tcp://127.0.0.1:8786")


def test_add_engine_arguments():
    p = argparse.ArgumentParser()
    add_engine_arguments(p)
    args = p.parse_args(["--engine", "dask", "--scheduler", "tcp://10.0.0.5:8786", "--reports-parquet", "out/reports.parquet"])
    assert (args.engine, args.scheduler, args.reports_parquet, args.blocksize) == (
        "dask", "tcp://10.0.0.5:8786", "out/reports.parquet", "1MiB")
    assert p.parse_args([]).engine == "local"
    with pytest.raises(SystemExit):
        p.parse_args(["--engine", "spark"])


def test_missing_dask_gives_the_install_line(monkeypatch, seeds_dir):
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(ImportError, match=r"pip install 'territorial-control-mapper\[dask\]'"):
        extract_dask([seeds_dir])


def test_run_extraction_starts_and_stops_its_own_local_cluster(seeds_dir, gazetteer):
    local, _ = _local([seeds_dir], None, gazetteer)
    reports, skipped = run_extraction([seeds_dir], engine="dask", n_workers=1)
    pd.testing.assert_frame_equal(reports, local)
    assert skipped == []


def test_extraction_options_reach_the_workers(client, seeds_dir):
    strict, _ = run_extraction([seeds_dir], engine="local", min_confidence=0.8, keep_uncertain=True)
    loose, _ = run_extraction([seeds_dir], engine="local")
    assert 0 < len(strict) < len(loose)  # the threshold really removes rows here
    reports, _ = run_extraction([seeds_dir], engine="dask", scheduler=client, min_confidence=0.8, keep_uncertain=True)
    pd.testing.assert_frame_equal(reports, strict)


# ------------------------------------------------------------------------------ poison lines, line numbers


def _mixed_corpus(root: Path, seeds_dir: Path) -> tuple[list[Path], Path, dict[int, str], set[str]]:
    """A folder of .txt files (with metadata), a JSON Lines file with poison lines at known
    line numbers, a JSON Lines file of blank lines only, and a CSV with a quoted multi-line
    field. Returns the inputs, the metadata CSV, {line number: expected reason} of the poison
    lines and the ids the records without an id must get (``poison:<line>``)."""
    texts = [a.text for a in read_articles([seeds_dir]) if not isinstance(a, Skipped)]
    folder = root / "mixed"
    folder.mkdir()
    for i, t in enumerate(texts[:4]):
        (folder / f"t{i}.txt").write_text(t, encoding="utf-8")
    meta = root / "metadata.csv"
    meta.write_text("file,published\n" + "".join(f"t{i}.txt,2016-0{i + 1}-15\n" for i in range(4)), encoding="utf-8")

    lines: list[bytes] = []
    poison: dict[int, str] = {}
    unnamed: set[str] = set()
    for i in range(30):
        rec = {"text": texts[i % len(texts)], "published": f"2017-0{i % 9 + 1}-10"}
        if i % 3:
            rec["id"] = "dup" if i in (4, 20) else f"a{i}"
        lines.append(json.dumps(rec, ensure_ascii=False).encode("utf-8"))
        if "id" not in rec:
            unnamed.add(f"poison:{len(lines)}")
        for at, raw, why in (
            (2, b"[" * 100_000, "JSON nested too deeply"),
            (5, b"", None),
            (5, b"   ", None),
            (8, b"{not json", "not valid JSON"),
            (11, b'{"text": {"a": 1}}', "'text' is a JSON object"),
            (14, b'"only a string"', "a JSON str, not an object"),
            (17, b'{"id": "big", "text": "x", "n": ' + b"9" * 5000 + b"}", "record repaired"),
            (23, b'{"id": "latin", "text": "Raqqa \xe9t\xe9 \xff"}', None),
            (26, b'{"id": "nul", "text": "Manbij\\u0000 fell"}', None),
        ):
            if at == i:
                lines.append(raw)
                if why:
                    poison[len(lines)] = why
    (folder / "poison.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (folder / "blank.jsonl").write_bytes(b"\n" * 5000)  # no record at all, over several blocks
    frame = pd.DataFrame({"id": [f"c{i}" for i in range(6)],
                          "text": [texts[i % len(texts)] for i in range(6)],
                          "published": ["2015-03-01"] * 6})
    frame.loc[2, "text"] = "A first line,\nand a second, in one quoted field about Kobani."
    csv_path = root / "records.csv"
    frame.to_csv(csv_path, index=False)
    return [folder, csv_path], meta, poison, unnamed


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, seeds_dir):
    return _mixed_corpus(tmp_path_factory.mktemp("mixed"), seeds_dir)


def test_poison_lines_are_one_record_each_with_their_line_numbers(client, mixed):
    paths, meta, poison, unnamed = mixed
    reports, skipped, places = run_extraction(paths, engine="dask", scheduler=client, metadata=meta,
                                              blocksize=3000, with_places=True)
    messages = [str(s) for s in skipped]
    for line, why in poison.items():
        hits = [m for m in messages if m.startswith(f"poison.jsonl, line {line}: ")]
        assert len(hits) == 1 and why in hits[0], (line, why, hits)
    # a record without an id is named by its own line number, whatever block it fell in
    named = {a for a in places["article"] if str(a).startswith("poison:")}
    assert named == unnamed
    assert sum("empty file" in m and "blank.jsonl" in m for m in messages) == 1
    assert any("duplicate id 'dup'" in m for m in messages)
    assert len(reports) > 20


def test_local_and_dask_with_one_and_two_workers_give_identical_output(client, mixed, tmp_path):
    paths, meta, _, _ = mixed
    local = run_extraction(paths, engine="local", metadata=meta, with_places=True)
    one = run_extraction(paths, engine="dask", n_workers=1, metadata=meta, blocksize=3000, with_places=True)
    two = run_extraction(paths, engine="dask", scheduler=client, metadata=meta, blocksize=3000, with_places=True,
                         reports_parquet=tmp_path / "reports.parquet")
    for got in (one, two):
        pd.testing.assert_frame_equal(got[0], local[0])  # reports: same rows, same order
        assert [str(s) for s in got[1]] == [str(s) for s in local[1]]  # skipped: same records, same order
        pd.testing.assert_frame_equal(got[2], local[2])  # place mentions
    pd.testing.assert_frame_equal(read_reports_parquet(tmp_path / "reports.parquet"), local[0])
    assert local[0]["article"].str.startswith("c").any()  # the CSV's records were read


def test_blocks_and_csv_parts_really_partition_the_corpus(mixed):
    from mapper.distributed import _corpus_bag

    paths, meta, _, _ = mixed
    bag, labels, problems = _corpus_bag(paths, metadata=meta, blocksize=3000, files_per_partition=2,
                                        follow_links=False)
    assert problems == []
    assert bag.npartitions == len(labels) > 30
    assert any(lab.startswith(str(paths[0] / "poison.jsonl") + ", block 2 of ") for lab in labels)
    assert any(", part 2 of " in lab and "records.csv" in lab for lab in labels)  # a CSV over several parts
    assert f"{paths[0] / 't0.txt'}, {paths[0] / 't1.txt'}" in labels  # .txt files two by two
