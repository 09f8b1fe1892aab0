"""Build-time include of the repository's ``data/`` folder as the package data ``mapper/_data``.

The project metadata lives in ``pyproject.toml``; this file only says which packages a wheel
holds. ``data/`` (the packaged gazetteer, the demo corpus and the reference figures) stays the
one source of truth in the repository and is copied into the wheel as ``mapper/_data``, where
:mod:`mapper.resources` finds it through :mod:`importlib.resources`.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["mapper", "mapper.*"]), "mapper._data"],
    package_dir={"mapper._data": "data"},
    package_data={
        "mapper._data": ["gazetteer/*", "examples/*", "examples/**/*", "reference/*"],
        # data files kept beside the code (a grammar lexicon, say) ship with it
        "mapper": ["**/*.yaml", "**/*.yml", "**/*.json", "**/*.csv"],
    },
    exclude_package_data={"mapper._data": ["**/__pycache__/*", "**/*.pyc"]},
)
