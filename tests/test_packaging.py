"""Packaging: the wheel carries the data and works outside the repository; extras and
environment.yml stay in step with pyproject.toml; missing extras are one line, not a traceback.

The wheel test is the user's path: ``pip wheel`` + ``pip install`` into a fresh venv in a
temp dir, then ``mapper geocode Raqqa`` and ``mapper demo`` from a folder outside the
repository (see ``installed_mapper`` and ``demo_run`` in conftest.py). The demo it writes is
the one demo build of the whole suite; test_pipeline.py reads it too.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import REPO

OUTPUTS = ["index.html", "timeline.html", "events.geojson", "events.csv", "reports.csv", "places.csv",
           "control.csv", "areas.csv", "territory.gpkg", "run.json", "area_chart.png", "snapshots.gif",
           ".mapper-output"]


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[; ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _spec(req: str) -> str:
    return req.strip()[len(_name(req)):].strip().replace(" ", "")


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


# ------------------------------------------------------------------------------ the wheel


def test_wheel_carries_the_package_data_and_nothing_else(installed_mapper):
    names = zipfile.ZipFile(installed_mapper.wheel).namelist()
    data = {n.removeprefix("mapper/_data/") for n in names if n.startswith("mapper/_data/")}
    repo = {p.relative_to(REPO / "data").as_posix() for p in (REPO / "data").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}
    assert data == repo, f"wheel data differs from data/: missing {sorted(repo - data)[:5]}, extra {sorted(data - repo)[:5]}"
    assert "mapper/_data/gazetteer/places.tsv.gz" in names
    assert sum(n.startswith("mapper/_data/examples/articles/") for n in names) == len(
        list((REPO / "data" / "examples" / "articles").glob("*.txt")))
    assert not [n for n in names if n.startswith(("tests/", "bench/", "notebooks/", "data/"))]
    assert "mapper/resources.py" in names and "mapper/commands/build.py" in names


def test_installed_wheel_geocodes_from_another_folder(installed_mapper, tmp_path):
    p = installed_mapper.run("geocode", "Raqqa", cwd=tmp_path, timeout=300)
    assert p.returncode == 0, p.stderr
    (row,) = list(csv.DictReader(io.StringIO(p.stdout)))
    assert row["place_id"] == "geonames:172955" and row["country"] == "SY"
    # the wheel's own code and data, not the repository's
    where = subprocess.run([str(installed_mapper.python), "-c",
                            "import mapper, mapper.resources as r; print(mapper.__file__); print(r.gazetteer_dir())"],
                           capture_output=True, text=True, cwd=tmp_path, env=installed_mapper.env(), check=True)
    code, data = where.stdout.split("\n")[:2]
    assert Path(code).is_relative_to(installed_mapper.venv), code
    assert Path(data).is_relative_to(installed_mapper.venv) and data.endswith("_data/gazetteer"), data


def test_installed_wheel_runs_the_demo_from_another_folder(demo_run, installed_mapper):
    proc, out = demo_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    for name in OUTPUTS:
        assert (out / name).is_file(), f"{name} missing from the demo's outputs"
    snaps = sorted((out / "snapshots").glob("*.html"))
    assert len(snaps) > 20 and len(snaps) == len(list((out / "snapshots").glob("*.png")))
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["counts"]["articles_read"] == len(list((REPO / "data" / "examples" / "articles").glob("*.txt")))
    assert run["exit_code"] == 0 and run["no_map"] is None
    articles = [f for f in run["inputs"] if f["role"] == "articles"]
    assert articles and all(Path(f["path"]).is_relative_to(installed_mapper.venv) for f in articles)
    assert all(f["encoding"] == "utf-8" and len(f["sha256"]) == 64 for f in articles)
    assert "open " in proc.stdout and "index.html" in proc.stdout
    marker = json.loads((out / ".mapper-output").read_text(encoding="utf-8"))
    assert marker["run_id"] == run["run_id"]


def test_setup_maps_data_into_the_package():
    """data/ is the source of truth; setup.py ships it as mapper/_data (issue 14)."""
    text = (REPO / "setup.py").read_text()
    assert '"mapper._data": "data"' in text
    assert (REPO / "data" / "gazetteer" / "places.tsv.gz").is_file()
    assert not (REPO / "mapper" / "_data").exists(), "data must not be duplicated inside the package"


# ------------------------------------------------------------------------------ data access


def test_resources_find_the_checkout_data():
    from mapper import resources

    assert resources.gazetteer_file("places.tsv.gz").is_file()
    arts, meta = resources.demo_inputs()
    assert len(arts) >= 50 and meta.name == "metadata.csv"
    assert resources.reference_file().is_file()


def test_data_paths_come_from_one_module():
    """No module but mapper/resources.py computes where data/ is (the wheel would break it)."""
    offenders = []
    for f in (REPO / "mapper").rglob("*.py"):
        if f.name == "resources.py":
            continue
        text = f.read_text(encoding="utf-8")
        if re.search(r'parents\[1\]\s*/\s*"data"', text) or re.search(r'_REPO\s*/\s*"data"', text):
            offenders.append(f.relative_to(REPO).as_posix())
    assert offenders == [], offenders


def test_missing_package_data_is_one_clear_error(tmp_path, monkeypatch):
    from mapper import resources
    from mapper.errors import DataError

    monkeypatch.setenv("MAPPER_DATA_DIR", str(tmp_path / "nowhere"))
    resources._located.cache_clear()
    try:
        with pytest.raises(DataError, match="Reinstall"):
            resources.demo_inputs()
        with pytest.raises(DataError, match="MAPPER_DATA_DIR"):
            resources.data_dir()
    finally:
        monkeypatch.delenv("MAPPER_DATA_DIR")
        resources._located.cache_clear()
    assert resources.gazetteer_dir().is_dir()


# ------------------------------------------------------------------------------ metadata


def test_environment_yml_is_in_step_with_pyproject():
    project = _project()
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = {_name(d): _spec(d) for d in env["dependencies"] if isinstance(d, str)}
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pip_only = {_name(p): _spec(p) for p in pip_section if not p.strip().startswith("-") and p.strip() != "."}
    for req in project["dependencies"] + project["optional-dependencies"]["notebooks"]:
        name = _name(req)
        have = conda.get(name, pip_only.get(name))  # pip-only when it is not on conda-forge (folium-offline)
        assert have is not None, f"environment.yml lacks {name}"
        assert have == _spec(req), f"{name}: environment.yml says {have!r}, pyproject {_spec(req)!r}"
    assert any("-e ." in p or p.strip() == "." for p in pip_section), "pip section must install the project"
    assert "conda-forge" in env["channels"]


def test_notebooks_extra_runs_the_notebooks_headless():
    extras = _project()["optional-dependencies"]
    names = {_name(r) for r in extras["notebooks"]}
    assert {"jupyter", "nbconvert", "nbclient", "ipykernel"} <= names


def test_gitignore_covers_the_quick_start_output():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    outs = re.findall(r"mapper demo --out (\S+)", readme)
    assert outs, "the quick start runs mapper demo --out DIR"
    ignored = (REPO / ".gitignore").read_text().split()
    for out in outs:
        assert f"{out.rstrip('/')}/" in ignored, f".gitignore does not cover {out}"
    assert "mapper-out/" in ignored  # the default --out of mapper build


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "mapper.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("mapper ")


@pytest.mark.parametrize("argv", [[], ["gazetteer"]])
def test_cli_without_command_prints_help_and_exits_2(argv):
    out = subprocess.run([sys.executable, "-m", "mapper.cli", *argv], capture_output=True, text=True)
    assert out.returncode == 2
    assert "usage" in out.stdout.lower()


# ------------------------------------------------------------------------------ missing extras

_HIDE = "import sys; sys.modules[{mod!r}] = None; from mapper.cli import main; sys.exit(main({argv!r}))"


@pytest.mark.parametrize(("mod", "flag", "extra"), [
    ("distributed", ["--engine", "dask"], "dask"),
    ("offlinefolium", ["--self-contained"], "offline"),
])
def test_missing_extra_is_one_line_and_exit_3_before_any_work(tmp_path, mod, flag, extra):
    art = tmp_path / "a.txt"
    art.write_text("Iraqi troops captured Rawa from the Islamic State on 3 November 2017.\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = ["build", str(art), "--out", str(out), "--quiet", *flag]
    p = subprocess.run([sys.executable, "-c", _HIDE.format(mod=mod, argv=argv)], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 3, p.stderr
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert f"territorial-control-mapper[{extra}]" in lines[0] and "pip install" in lines[0]
    assert not out.exists() and not list(tmp_path.glob(".out*")), "work started before the check"


def test_missing_dask_on_extract_is_one_line(tmp_path):
    art = tmp_path / "a.txt"
    art.write_text("Iraqi troops captured Rawa.\n", encoding="utf-8")
    argv = ["extract", str(art), "--engine", "dask"]
    p = subprocess.run([sys.executable, "-c", _HIDE.format(mod="dask", argv=argv)], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 3 and "Traceback" not in p.stderr
    assert "pip install 'territorial-control-mapper[dask]'" in p.stderr
