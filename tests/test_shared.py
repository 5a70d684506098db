"""Text shared with reports of other bodies (fazhi.review.shared)."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from fazhi.paths import REPO_DIR
from fazhi.pipeline.segment import segment
from fazhi.review.shared import SharedConfig, SharedIndex, find_shared, issuing_body, normalize, one_edit_similarity

WRITTEN = REPO_DIR / "data" / "reports" / "written"


def units_of(text: str) -> list[dict]:
    return [asdict(u) for u in segment(text)]


def test_planted_sentences_of_another_report_are_listed_in_shared():
    a = (WRITTEN / "written_a01.txt").read_text(encoding="utf-8")
    b = (WRITTEN / "written_f03.txt").read_text(encoding="utf-8")
    a_units = units_of(a)
    planted = [u for u in a_units if u["index"] in (33, 47, 73)]
    # copied with small edits: other numbers, another place name
    edited = [u["text"].replace("14", "9").replace("省", "区") for u in planted]
    b_planted = units_of(b + "\n" + "\n".join(edited))
    out = find_shared({"written_a01.txt": a_units, "written_f03.txt": b_planted})
    found = {(r["doc"], r["other_index"]) for r in out["written_f03.txt"]}
    assert {("written_a01.txt", u["index"]) for u in planted} <= found
    indices = {u["text"]: u["index"] for u in b_planted}
    assert {indices[t] for t in edited} <= {r["index"] for r in out["written_f03.txt"]}
    assert all(0.7 <= r["similarity"] <= 1.0 for r in out["written_f03.txt"])
    # both sides are listed
    assert {r["index"] for r in out["written_a01.txt"]} >= {u["index"] for u in planted}


def test_reports_without_copies_share_nothing():
    a = units_of((WRITTEN / "written_a01.txt").read_text(encoding="utf-8"))
    b = units_of((WRITTEN / "written_h05.txt").read_text(encoding="utf-8"))
    assert find_shared({"a": a, "b": b}) == {"a": [], "b": []}


def test_same_body_last_year_is_not_sharing():
    a = units_of((WRITTEN / "written_a01.txt").read_text(encoding="utf-8"))
    out = find_shared(
        {"2016.txt": a, "2017.txt": a}, bodies={"2016.txt": "甘肃省人民政府", "2017.txt": "甘肃省人民政府"}
    )
    assert out == {"2016.txt": [], "2017.txt": []}
    assert issuing_body(a, "x") == "甘肃省人民政府"


def test_statutory_boilerplate_and_genre_lines_are_left_out():
    stock = "本报告所列数据的统计期限为2021年1月1日至2021年12月31日。"
    common = "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实党中央国务院决策部署。"
    reports = {}
    for i in range(8):
        own = f"第{i}号本单位今年开展了第{i}类专项工作，形成了独具特色的做法和一批制度成果。"
        reports[f"r{i}"] = units_of(f"某某{i}局2021年度法治政府建设情况报告\n{stock}\n{common}\n{own}")
    out = SharedIndex(SharedConfig())
    for doc, units in reports.items():
        out.add(doc, units, body=doc)
    assert all(rows == [] for rows in out.matches().values())


def test_a_short_lead_in_to_a_list_is_not_shared_but_a_copied_sentence_is():
    lead = "结合存在的问题，2024年将从以下方面改进："
    copied = "在县政务服务中心设立行政复议受理窗口，在12个乡镇司法所设立复议咨询点，群众在家门口就能提出申请。"
    a = units_of(f"甲县司法局2023年工作总结\n一、工作情况\n{copied}\n二、下一步工作\n{lead}\n一是加强队伍建设。")
    b = units_of(
        f"乙县人民政府2023年工作报告\n一、主要工作\n{copied.replace('12', '9')}\n二、今后打算\n"
        f"{lead.replace('2024', '2025')}\n一是完善制度。"
    )
    out = find_shared({"a": a, "b": b})
    texts = {a[r["index"]]["text"] for r in out["a"]}
    assert texts == {copied}


def _jaccard(a: str, b: str) -> float:
    sa, sb = ({t[i : i + 3] for i in range(len(t) - 2)} for t in (normalize(a), normalize(b)))
    return len(sa & sb) / len(sa | sb)


def test_a_stock_frame_of_many_reports_is_not_shared_though_two_of_them_word_it_alike():
    # "受理政府信息公开申请N件，均在法定期限内答复" is written a little differently in a dozen written reports;
    # a03 and e01 happen to word it alike, far above the threshold, but neither copied the other.
    corpus = {p.name: units_of(p.read_text(encoding="utf-8")) for p in sorted(WRITTEN.glob("*.txt"))}
    stock_a = next(
        u for u in corpus["written_a03.txt"] if u["text"] == "受理政府信息公开申请11件，均在法定期限内答复。"
    )
    stock_e = next(
        u for u in corpus["written_e01.txt"] if u["text"] == "全年受理政府信息公开申请59件，均在法定期限内答复。"
    )
    assert _jaccard(stock_a["text"], stock_e["text"]) >= SharedConfig().threshold
    # ...while a sentence one body copied from another, in the same corpus, is still found
    copied = next(u for u in corpus["written_a01.txt"] if u["index"] == 47)
    corpus["written_f03.txt"] = units_of(
        (WRITTEN / "written_f03.txt").read_text(encoding="utf-8") + "\n" + copied["text"].replace("省", "区")
    )
    out = find_shared(corpus, {d: d for d in corpus})
    assert stock_a["index"] not in {r["index"] for r in out["written_a03.txt"]}
    assert stock_e["index"] not in {r["index"] for r in out["written_e01.txt"]}
    assert ("written_a01.txt", 47) in {(r["doc"], r["other_index"]) for r in out["written_f03.txt"]}


def test_a_short_unit_copied_with_one_word_changed_is_shared():
    # 19 characters once normalised: the changed word costs five of 17 shingles, Jaccard 0.56, under 0.7
    source = "一是建立承诺事项跟踪台账，逐件跟踪落实。"
    copy = "一是建立承诺事有关踪台账，逐件跟踪落实。"
    assert _jaccard(source, copy) < SharedConfig().threshold
    a = units_of(f"甲县人民政府2024年工作报告\n一、主要工作\n{source}")
    b = units_of(f"乙区司法局2024年工作总结\n一、工作情况\n{copy}")
    out = find_shared({"a": a, "b": b})
    assert [(b[r["index"]]["text"], r["doc"]) for r in out["b"]] == [(copy, "a")]


def test_one_edit_similarity_keeps_only_the_common_start_and_end():
    assert one_edit_similarity("abcdefghij", "abcdXYghij") == 0.8  # one span changed: 8 of 10 kept on each side
    assert one_edit_similarity("abcdefghij", "abcdghij") == 2 * 8 / 18  # one span dropped
    # two changed places: only the start before the first and the end after the last count
    assert one_edit_similarity("abcdefghij", "aXcdefghYj") == 2 * 2 / 20
    assert one_edit_similarity("", "abc") == 0.0


def test_a_frame_threshold_above_the_match_threshold_is_refused_with_both_values():
    with pytest.raises(ValueError, match=r"frame threshold in \(0, threshold=0.7\], found 0.8"):
        SharedIndex(SharedConfig(frame_threshold=0.8))
