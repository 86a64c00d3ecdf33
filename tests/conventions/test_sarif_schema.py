"""The vendored SARIF schema is the published OASIS SARIF 2.1.0 schema, unchanged."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
SCHEMA = DATA / "sarif-schema-2.1.0.json"
PUBLISHED_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def test_schema_is_the_published_2_1_0_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"] == PUBLISHED_ID
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    # Unchanged since it was copied: the digest recorded with its provenance.
    notice = (DATA / "sarif-schema-2.1.0.NOTICE").read_text(encoding="utf-8")
    recorded = re.search(r"sha256: ([0-9a-f]{64})", notice)
    assert recorded and hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == recorded.group(1)
    assert PUBLISHED_ID in notice
    assert "OASIS" in (DATA / "sarif-schema-2.1.0.LICENSE.md").read_text(encoding="utf-8")
    assert not (DATA / "sarif-schema-2.1.0-subset.json").exists()
