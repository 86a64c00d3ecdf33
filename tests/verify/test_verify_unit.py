"""Pure-Python parts of verify: catalogue, grouping, reports, cache. No TensorFlow needed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tfdetlint.findings import Finding
from tfdetlint.verify import Verdict, cache
from tfdetlint.verify.catalogue import (
    NONLITERAL,
    default_probes_dir,
    find_probe,
    group_findings,
    load_catalogue,
    normalise_literal,
)
from tfdetlint.verify.command import exit_code
from tfdetlint.verify.report import render_json, render_text

CANONICAL_APIS = [
    "tensorflow.random.normal",
    "tensorflow.random.uniform",
    "tensorflow.random.truncated_normal",
    "tensorflow.random.shuffle",
    "tensorflow.nn.dropout",
    "tensorflow.data.Dataset.shuffle",
    "tensorflow.data.Dataset.list_files",
    "tensorflow.data.Dataset.map",
    "tensorflow.data.Dataset.interleave",
    "tensorflow.data.Options.deterministic",
    "tensorflow.image.crop_and_resize",
    "tensorflow.Variable.scatter_add",
    "tensorflow.math.bincount",
    "tensorflow.math.unsorted_segment_sum",
    "tensorflow.math.unsorted_segment_mean",
    "tensorflow.math.segment_sum",
    "tensorflow.scatter_nd",
    "tensorflow.tensor_scatter_nd_add",
    "tensorflow.sparse.sparse_dense_matmul",
    "tensorflow.image.adjust_contrast",
    "tensorflow.random.Generator.from_non_deterministic_state",
    "tensorflow.random.get_global_generator",
    "tensorflow.timestamp",
    "keras.layers.Dropout",
    "keras.initializers.GlorotUniform",
]


def test_catalogue_found_from_checkout() -> None:
    assert (default_probes_dir() / "index.toml").is_file()


@pytest.mark.parametrize("api", CANONICAL_APIS)
def test_every_canonical_api_has_a_probe(api: str, finding_factory: Callable[..., Finding]) -> None:
    spec = find_probe(finding_factory(api), load_catalogue())
    assert spec is not None
    assert "def run(" in spec.source


def test_tfd404_goes_to_the_parallel_map_probe(finding_factory: Callable[..., Finding]) -> None:
    f = finding_factory(
        "tensorflow.random.uniform", "TFD404", (("in", "tensorflow.data.Dataset.map"),)
    )
    spec = find_probe(f, load_catalogue())
    assert spec is not None and spec.id == "random_in_parallel_map"


def test_catalogue_ids_unique_and_files_exist() -> None:
    specs = load_catalogue()
    assert len({s.id for s in specs}) == len(specs)
    assert all(s.compare in ("all", "across") for s in specs)


def test_grouping_by_api_and_args_that_matter(finding_factory: Callable[..., Finding]) -> None:
    fs = [
        finding_factory("tensorflow.random.normal", line=1),
        finding_factory("tensorflow.random.normal", line=2, args=(("name", "'x'"),)),  # irrelevant
        finding_factory("tensorflow.random.normal", line=3, args=(("seed", "7"),)),
        finding_factory("tensorflow.random.normal", line=4, args=(("4", "7"),)),  # positional seed
        finding_factory("tensorflow.math.bincount", line=5, args=(("weights", "w1"),)),
        finding_factory("tensorflow.math.bincount", line=6, args=(("weights", "other"),)),
        finding_factory("tensorflow.math.bincount", line=7),
        finding_factory("tensorflow.no_such_thing", line=8),
    ]
    groups, unprobed = group_findings(fs, load_catalogue())
    lines = sorted(tuple(f.line for f in g.findings) for g in groups)
    assert lines == [(1, 2), (3, 4), (5, 6), (7,)]
    assert [f.line for f in unprobed] == [8]
    assert len({g.key for g in groups}) == 4


def test_args_are_read_as_literals_only(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = f"__import__('pathlib').Path({str(marker)!r}).write_text('x')"
    assert normalise_literal(evil) == NONLITERAL
    assert normalise_literal("1_0") == "10"
    assert normalise_literal("(1, 'a', None)") == "(1, 'a', None)"
    assert not marker.exists()


def _v(verdict: str, device: str = "CPU:0", **kw: object) -> Verdict:
    return Verdict(
        path="a.py",
        line=3,
        code="TFD101",
        api="tensorflow.random.normal",
        device=device,
        verdict=verdict,
        runs=4,
        detail="d",
        **kw,
    )  # type: ignore[arg-type]


def test_exit_codes() -> None:
    assert exit_code([]) == 0
    assert exit_code([_v("not-reproduced"), _v("skipped", "GPU"), _v("no-probe"), _v("error")]) == 0
    assert exit_code([_v("not-reproduced"), _v("confirmed")]) == 1
    assert exit_code([_v("raises-under-determinism")]) == 1


def test_render_json_fields_and_non_finite() -> None:
    data = json.loads(
        render_json([_v("confirmed", max_abs_diff=float("nan"), differing_elements=3)])
    )
    assert data[0]["path"] == "a.py" and data[0]["runs"] == 4 and data[0]["verdict"] == "confirmed"
    assert data[0]["max_abs_diff"] == "nan" and data[0]["differing_elements"] == 3


def test_render_text_table() -> None:
    text = render_text([_v("confirmed"), _v("skipped", "GPU")])
    header, first, second = text.splitlines()[:3]
    assert header.split()[:5] == ["location", "code", "api", "device", "verdict"]
    assert first.startswith("a.py:3") and "confirmed" in first and "GPU" in second
    assert text.rstrip().endswith("1 confirmed, 1 skipped")


def test_cache_atomic_roundtrip(tmp_path: Path) -> None:
    key = cache.cache_key("x", 1)
    assert cache.load(tmp_path, key) is None
    cache.store(tmp_path / "c", key, {"a": 1})
    assert cache.load(tmp_path / "c", key) == {"a": 1}
    assert [p.name for p in (tmp_path / "c").iterdir()] == [f"{key}.json"]
    (tmp_path / "c" / f"{key}.json").write_text("{torn")
    assert cache.load(tmp_path / "c", key) is None
