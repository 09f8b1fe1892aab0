"""Gazetteer: loading, lookup, context-aware resolution, the geopy geocoder, bad dumps."""

from __future__ import annotations

import csv
import gzip
import math
import time

import pandas as pd
import pytest

from mapper.errors import GazetteerError
from mapper.gazetteer import PACKAGED, Gazetteer, GazetteerGeocoder, ResolutionContext
from mapper.names import fold


def _km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


VARIANTS = {
    "geonames:170794": ["Deir Ezzor", "Deir ez-Zor", "Dayr az Zawr", "Deir al-Zour", "Deir el-Zour", "Deir al-Zor"],
    "geonames:174448": ["Albu Kamal", "Abu Kamal", "Al Bukamal"],
    "geonames:172955": ["Raqa", "Raqqa"],
    "geonames:92138": ["Al Qaim", "Al-Qaim", "Qaim", "Husaybah"],
}


@pytest.mark.parametrize("place_id,names", VARIANTS.items(), ids=list(VARIANTS))
def test_every_spelling_variant_resolves_to_one_place(gazetteer, place_id, names):
    got = {n: (p.place_id if (p := gazetteer.resolve(n)) else None) for n in names}
    assert set(got.values()) == {place_id}, got


def test_mosul_is_north_of_baghdad_lat_lon_not_swapped(gazetteer):
    mosul, baghdad = gazetteer.resolve("Mosul"), gazetteer.resolve("Baghdad")
    assert mosul.lat > baghdad.lat + 2
    assert 42 < mosul.lon < 44 and 35.5 < mosul.lat < 37


def test_lookup_returns_scored_candidates(gazetteer):
    cands = gazetteer.lookup("Sinjar")
    assert len(cands) >= 2
    assert {"place_id", "score", "match", "prior", "method", "geometry"} <= set(cands.columns)
    assert cands["score"].is_monotonic_decreasing
    assert cands.crs.to_epsg() == 4326
    assert gazetteer.lookup("Sinjar", country="SY")["country"].eq("SY").all()


def test_unknown_name_is_none_and_empty_name_is_value_error(gazetteer):
    assert gazetteer.resolve("Qwxzvbn") is None
    assert gazetteer.lookup("Qwxzvbn").empty
    with pytest.raises(ValueError, match="empty place name"):
        gazetteer.resolve("   ")


def test_husaybah_in_an_al_qaim_story_is_the_border_town(gazetteer):
    text = ("Iraqi troops pushed along the Euphrates toward the Syrian border and took the "
            "frontier post at Husaybah, next to Al Qaim, opposite Albu Kamal.")
    res = gazetteer.resolve("Husaybah", context=text, explain=True)
    assert res.place.place_id == "geonames:92138", res
    # the other Husaybah (near Ramadi) is a candidate that lost, and the reason says why
    assert "geonames:435849" in set(res.candidates["place_id"])
    assert "km from another place" in res.candidates.iloc[0]["why"]


def test_context_settles_an_ambiguous_name(gazetteer):
    # "Al Alam" exists in Syria and in Iraq; a Tikrit story means the Iraqi town
    no_ctx = gazetteer.resolve("al-Alam", explain=True)
    ctx = gazetteer.resolve("al-Alam", context="Iraqi troops moved north of Tikrit into al-Alam.")
    assert ctx is not None and ctx.country == "IQ"
    assert _km(ctx.lat, ctx.lon, 34.61581, 43.67861) < 30
    assert len(no_ctx.candidates) >= 2


def test_ambiguity_without_context_returns_none_with_candidates():
    places = pd.DataFrame(
        {
            "place_id": ["t:1", "t:2"], "geonameid": [1, 2], "name": ["Qasrin", "Qasrin"],
            "country": ["SY", "IQ"], "admin1": ["", ""], "feature_class": ["P", "P"],
            "feature_code": ["PPL", "PPL"], "population": [0, 0], "lat": [35.0, 33.0],
            "lon": [38.0, 44.0], "n_names": [1, 1], "names": [["Qasrin"], ["Qasrin"]],
        }
    )
    gaz = Gazetteer(places, source="test")
    res = gaz.resolve("Qasrin", explain=True)
    assert res.place is None and "ambiguous" in res.reason
    assert len(res.candidates) == 2
    near = ResolutionContext(points=[(33.1, 44.1)])
    assert gaz.resolve("Qasrin", context=near).place_id == "t:2"
    # places read earlier in a text (``near``) lift the reading near them too
    assert gaz.resolve("Qasrin", context=ResolutionContext(near=[(33.1, 44.1)])).place_id == "t:2"


def test_one_place_read_earlier_never_rules_an_obscure_village_out():
    places = pd.DataFrame(
        {
            "place_id": ["t:1"], "geonameid": [1], "name": ["Tall Qasrin"], "country": ["SY"],
            "admin1": [""], "feature_class": ["P"], "feature_code": ["PPL"], "population": [0],
            "lat": [36.0], "lon": [38.0], "n_names": [1], "names": [["Tall Qasrin"]],
        }
    )
    gaz = Gazetteer(places, source="test")
    far = (32.0, 45.0)  # about 500 km away
    # a text that names one other place: not enough to call the village a namesake
    assert gaz.resolve("Tall Qasrin", context=ResolutionContext(near=[far])).place_id == "t:1"
    # a text whose places all lie far from it: the village is more likely another one
    assert gaz.resolve("Tall Qasrin", context=ResolutionContext(points=[far, (32.2, 45.1)])) is None


def test_find_mentions_longest_first_and_skips_person_names(gazetteer):
    text = ("Prime Minister Haider al-Abadi said forces in Deir ez-Zor province and the town "
            "of Albu Kamal faced IS. BEIRUT was quiet.")
    found = [m.text for m in gazetteer.find_mentions(text)]
    assert "Deir ez-Zor province" in found
    assert "Albu Kamal" in found
    assert "BEIRUT" in found
    assert not any("Abadi" in f for f in found)


def test_packaged_gazetteer_loads_fast_and_is_compact():
    t0 = time.perf_counter()
    gaz = Gazetteer.load()
    elapsed = time.perf_counter() - t0
    assert len(gaz) > 33_000
    assert PACKAGED.stat().st_size < 5_000_000
    print(f"\npackaged gazetteer: {len(gaz):,} places, loaded in {elapsed:.2f}s")


def test_packaged_keys_match_the_current_folding():
    with gzip.open(PACKAGED, "rt", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))[::97]
    for r in rows:
        names = r["names"].split("|") if r["names"] else []
        keys = r["keys"].split("|") if r["keys"] else []
        assert keys == [fold(n) for n in names], (
            f"{r['place_id']}: stale keys; rebuild with python -m mapper.gazetteer build"
        )


def test_settlements_and_layers(gazetteer):
    s = gazetteer.settlements()
    assert len(s) > 30_000 and set(s["country"]) == {"SY", "IQ"}
    assert {"SY", "IQ"} <= set(gazetteer.countries["iso_a2"])
    assert len(gazetteer.admin1) >= 30


def test_from_geonames_reads_the_shared_dump(geonames_dump):
    t0 = time.perf_counter()
    gaz = Gazetteer.from_geonames(geonames_dump)
    elapsed = time.perf_counter() - t0
    print(f"\n33k-place dump loaded in {elapsed:.2f}s")
    assert len(gaz) > 33_000
    p = gaz.resolve("Dayr az Zawr")
    assert p.place_id == "geonames:170794"
    assert gaz.resolve("Anbar").feature_code == "ADM1"  # governorates come along


def _write(tmp_path, lines):
    f = tmp_path / "SY.txt"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f


GOOD = "170794\tDeir ez-Zor\tDeir ez-Zor\tDayr az Zawr,Deir Ezzor\t35.33588\t40.14084\tP\tPPLA\tSY\t\t07\t\t\t\t242565\t\t210\tAsia/Damascus\t2020-01-01"


def test_from_geonames_small_file(tmp_path):
    gaz = Gazetteer.from_geonames(_write(tmp_path, [GOOD]), extras=False)
    assert gaz.resolve("Deir Ezzor").place_id == "geonames:170794"


def test_malformed_geonames_file_names_file_line_and_fix(tmp_path):
    bad = [GOOD, "1\tShort\trow", GOOD.replace("35.33588", "north")]
    with pytest.raises(GazetteerError) as err:
        Gazetteer.from_geonames(_write(tmp_path, bad))
    msg = str(err.value)
    assert "SY.txt" in msg and "line 2" in msg and "line 3" in msg
    assert "19" in msg and "fix" in msg
    assert isinstance(err.value, ValueError)


def test_missing_geonames_file_says_where_to_get_one(tmp_path):
    with pytest.raises(GazetteerError, match="download.geonames.org"):
        Gazetteer.from_geonames(tmp_path / "nope.txt")


# --- geopy contract -------------------------------------------------------------------


@pytest.fixture(scope="module")
def geocoder(gazetteer):
    return GazetteerGeocoder(gazetteer=gazetteer)


def test_geocoder_follows_geopy_contract(geocoder):
    loc = geocoder.geocode("Deir Ezzor")
    assert loc.raw["place_id"] == "geonames:170794"
    assert loc.raw["country"] == "SY" and "feature_class" in loc.raw and "population" in loc.raw
    assert abs(loc.latitude - 35.336) < 0.01 and abs(loc.longitude - 40.141) < 0.01
    assert geocoder.geocode("Qwxzvbn") is None
    many = geocoder.geocode("Sinjar", exactly_one=False)
    assert isinstance(many, list) and len(many) >= 2
    assert geocoder.geocode("Qwxzvbn", exactly_one=False) is None


def test_geocoder_rejects_empty_query_with_a_builtin_error(geocoder):
    from geopy.exc import GeocoderQueryError

    with pytest.raises(GeocoderQueryError):
        geocoder.geocode("")


def test_geocoder_reverse_returns_nearest(geocoder):
    loc = geocoder.reverse((36.34, 43.13))
    assert loc.raw["name"] == "Mosul" or _km(loc.latitude, loc.longitude, 36.34, 43.13) < 5


def test_geopandas_geocode_with_gazetteer_geocoder(gazetteer):
    from geopandas.tools import geocode

    GazetteerGeocoder._shared = gazetteer
    gdf = geocode(["Raqqa", "Mosul", "Qwxzvbn"], provider=GazetteerGeocoder)
    assert gdf.crs.to_epsg() == 4326
    assert gdf.geometry.iloc[0].y == pytest.approx(35.95, abs=0.05)  # lat is y
    assert gdf.geometry.iloc[1].x == pytest.approx(43.12, abs=0.05)  # lon is x
    assert gdf.geometry.iloc[2] is None or gdf.geometry.iloc[2].is_empty


def test_given_names_and_nationalities_are_not_places(gazetteer):
    text = ("President Recep Tayyip Erdogan met commander Mustafa Hamza in Ankara. "
            "Syrian and Iraqi officials attended. Since Monday, the village of Hamza has been calm.")
    found = {m.text for m in gazetteer.find_mentions(text)}
    assert "Recep" not in found and "Mustafa" not in found and "Syrian" not in found and "Since" not in found
    assert "Ankara" in found
    assert "Hamza" in found  # after "village of", the name is a place


@pytest.fixture
def own_gazetteer_file(tmp_path, monkeypatch):
    """A copy of the packaged gazetteer file and a cache folder of this test's own."""
    import shutil

    from mapper import gazetteer as G

    monkeypatch.setenv("MAPPER_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "places.tsv.gz"
    shutil.copy(G.PACKAGED, data)
    return data


def test_the_built_name_index_is_cached_and_rebuilt_when_the_files_change(tmp_path, own_gazetteer_file):
    from mapper import gazetteer as G

    data = own_gazetteer_file
    first = G.Gazetteer.load(data)
    files = list((tmp_path / "cache").glob("index-*.json.gz"))
    assert len(files) == 1
    again = G.Gazetteer.load(data)  # from the cache: the same answers
    assert again._index == first._index
    assert again.resolve("Raqqa").place_id == first.resolve("Raqqa").place_id == "geonames:172955"
    # a changed file is a new key: a stale index is never used
    import os

    os.utime(data, ns=(1, 1))
    G.Gazetteer.load(data)
    assert len(list((tmp_path / "cache").glob("index-*.json.gz"))) == 2
    # a corrupt cache file is ignored and rewritten
    for f in (tmp_path / "cache").glob("index-*.json.gz"):
        f.write_bytes(b"not gzip")
    assert G.Gazetteer.load(data).resolve("Raqqa").place_id == "geonames:172955"


def test_caching_can_be_turned_off_and_an_unwritable_cache_is_skipped(tmp_path, monkeypatch):
    from mapper import gazetteer as G

    monkeypatch.setenv("MAPPER_CACHE_DIR", "off")
    assert G._cache_dir() is None
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("MAPPER_CACHE_DIR", str(blocker / "sub"))  # under a file: cannot be created
    assert G.Gazetteer.load().resolve("Mosul").place_id == "geonames:99072"


def test_a_loaded_gazetteer_is_kept_ready_for_the_next_run(tmp_path, monkeypatch, own_gazetteer_file):
    from mapper import gazetteer as G

    data = own_gazetteer_file
    first = G.Gazetteer.load(data)
    ready = list((tmp_path / "cache").glob("gazetteer-*.pkl"))
    assert len(ready) == 1
    assert G._read_ready_cache(first._cache_key) is not None
    again = G.Gazetteer.load(data)
    assert again._index == first._index and again.resolve("Deir ez-Zor").place_id == first.resolve("Deir ez-Zor").place_id
    # pickled by other code (another version of the gazetteer module): not read back
    monkeypatch.setattr(G, "_code_stamp", lambda: "another version")
    assert G._read_ready_cache(first._cache_key) is None
    monkeypatch.undo()
    monkeypatch.setenv("MAPPER_CACHE_DIR", str(tmp_path / "cache"))
    # a partial file is ignored and the gazetteer built again
    ready[0].write_bytes(b"\x80\x05 truncated")
    assert G._read_ready_cache(first._cache_key) is None
    assert G.Gazetteer.load(data).resolve("Raqqa").place_id == "geonames:172955"
