"""Small inputs that several test modules share (plain data, not fixtures)."""

from __future__ import annotations

from fazhi.labels import Row

# One unambiguous sentence per area, with a problem statement among them.
TINY_SENTENCES = [
    ("全年办理行政复议案件64件，纠错率9.4%。", "dispute", False),
    ("主动公开政府信息4120条。", "disclosure", False),
    ("执法人员持证上岗率达到100%。", "enforcement", False),
    ("规范性文件合法性审核流于形式。", "decision", True),
    ("办理人大代表建议54件。", "supervision", False),
    ("区政府常务会议会前学法11次。", "other", False),
]
TINY_CONTEXT = "某区2023年政府信息公开工作年度报告 › 三、收到和处理政府信息公开申请情况"


def tiny_rows(split: str = "train") -> list[Row]:
    return [
        Row(f"r{i}-{split}", f"d{i}-{split}", "written", split, t, c, p) for i, (t, c, p) in enumerate(TINY_SENTENCES)
    ]


def assert_error(response, status, error_type, *words):
    """An HTTP error answer in fazhi's shape ({error, error_type}), of this status and type, naming each of words."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_type"} and isinstance(body["error"], str)
    assert body["error_type"] == error_type, body
    for w in words:
        assert w in body["error"], body
