"""POST /v1/compare and the page at /compare, through FastAPI's test client."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from fazhi.pipeline.tag import tag_text
from fazhi.review.compare import compare_reports

PAIR = Path(__file__).parent / "data" / "compare" / "county"


def _without_doc(row: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in row.items() if k != "doc"}


def test_compare_answers_both_reports_units_and_the_comparison_of_fazhi_compare(client, shipped_model):
    old, new = (PAIR / "old.txt").read_text(encoding="utf-8"), (PAIR / "new.txt").read_text(encoding="utf-8")
    r = client.post("/v1/compare", json={"old": {"text": old, "doc": "2022"}, "new": {"text": new, "doc": "2023"}})
    assert r.status_code == 200, r.text
    body = r.json()
    old_tagged, new_tagged = tag_text("2022", old, shipped_model), tag_text("2023", new, shipped_model)
    assert body["model"] == shipped_model.name
    # Each report's name is given once, beside its units, not in every unit.
    assert body["old"]["doc"] == "2022" and body["new"]["doc"] == "2023"
    assert body["old"]["units"] == [_without_doc(u) for u in old_tagged.units]
    assert body["new"]["units"] == [_without_doc(u) for u in new_tagged.units]
    assert body["comparison"] == compare_reports("2022", old_tagged.units, "2023", new_tagged.units)
    assert len(body["comparison"]["carried_over"]) >= 4


def test_compare_docs_default_to_old_and_new(client):
    r = client.post(
        "/v1/compare",
        json={
            "old": {"text": "一、主要工作\n执法人员持证上岗率达到100%。"},
            "new": {"text": "主动公开政府信息4120条。"},
        },
    )
    assert r.status_code == 200, r.text
    assert (r.json()["old"]["doc"], r.json()["new"]["doc"]) == ("OLD", "NEW")
    assert r.json()["comparison"]["areas_dropped"] == ["enforcement"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"old": {"text": "x"}}, ["missing field", "new"]),
        ({"old": {"text": 3}, "new": {"text": "x"}}, ["old.text"]),
        ({"old": {"text": "x"}, "new": {"text": "y"}, "extra": 1}, ["extra"]),
    ],
)
def test_bad_compare_bodies_get_422_with_the_shared_error_shape(client, body, words):
    r = client.post("/v1/compare", json=body)
    assert r.status_code == 422
    assert set(r.json()) == {"error", "error_type"} and r.json()["error_type"] == "validation_error"
    for w in words:
        assert w in r.json()["error"]


def test_compare_page_is_served_without_outside_resources(client):
    r = client.get("/compare")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'id="old-text"' in r.text and 'id="new-text"' in r.text and "/v1/compare" in r.text
    assert "http://" not in r.text and "https://" not in r.text and "<link" not in r.text
