"""The notebook tests run twice: with IPython's own finders (when IPython is installed) and
with the built-in reader that stands in for them when it is not."""

from __future__ import annotations

import pytest

from tfdetlint import notebook_cells, sources


@pytest.fixture(params=["ipython", "builtin"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "ipython":
        pytest.importorskip("IPython")
    else:
        monkeypatch.setattr(notebook_cells, "default_finder", lambda: notebook_cells.fallback_find)
        monkeypatch.setattr(sources, "default_finder", lambda: notebook_cells.fallback_find)
    return str(request.param)
