"""Character-level noise for training sentences, so the model leans less on our writers' exact wording.

Published reports differ from our written ones in small ways: filler words,
typos, other enumeration markers, half-width punctuation. A noisy copy of a
training sentence keeps every character of the words that decide its labels
(area and problem terms) and changes a few of the others.
"""

from __future__ import annotations

import random
import re

# Words whose characters are never touched: they carry the area (TAXONOMY) or the problem signal.
KEYWORDS = (
    "决策 立法 规章 规范性文件 合法性 审查 审核 备案 法律顾问 听证 论证 评估 集体讨论 公平竞争 合同 "
    "执法 处罚 检查 强制 许可 裁量 案卷 评查 持证 执法证 双随机 综合执法 法制审核 全过程记录 公示 "
    "复议 应诉 诉讼 败诉 出庭 调解 纠纷 信访 仲裁 裁决 矛盾 化解 "
    "公开 政务公开 信息公开 依申请 主动公开 解读 网站 新媒体 回应 "
    "监督 审计 人大 政协 建议 提案 问责 追责 纠错 举报 投诉 12345 热线 监察 巡察 廉政 整改 "
    "普法 学法 述法 考核 督察 法治 法律援助 公共法律服务 审批 政务服务 营商环境 "
    "问题 不足 短板 薄弱 不到位 不够 不高 不强 不完善 不健全 不规范 不平衡 有待 亟待 滞后 差距 欠缺 仍需 还需 存在 "
    "未发生 零 没有 无"
).split()
_ENUM = re.compile(r"^(?:[一二三四五六七八九十]是|[（(][一二三四五六七八九十\d][)）]|\d[、.．])")
_CN = "一二三四五六七八九十"
# Characters that stand in for a replaced one: common function characters of report prose.
_FILLERS = "的了和与及在对将把为以等并也又还进一步全面持续深入切实有效"


def _protected(text: str) -> set[int]:
    keep: set[int] = set()
    for word in KEYWORDS:
        start = text.find(word)
        while start >= 0:
            keep.update(range(start, start + len(word)))
            start = text.find(word, start + 1)
    return keep


def _swap_enumeration(text: str, rng: random.Random) -> str:
    m = _ENUM.match(text)
    if not m:
        return text
    marker = m.group()
    for i, ch in enumerate(marker):
        if ch in _CN:
            return text[:i] + rng.choice(_CN) + text[i + 1 :]
        if ch.isdigit():
            return text[:i] + str(rng.randint(1, 9)) + text[i + 1 :]
    return text


def noisy(text: str, rng: random.Random, share: float = 0.08, most: int = 3) -> str:
    """A copy of text with up to `most` unprotected characters (about `share` of them) deleted or replaced,
    and its enumeration marker swapped for another number."""
    text = _swap_enumeration(text, rng)
    keep = _protected(text)
    free = [i for i, ch in enumerate(text) if i not in keep and "\u4e00" <= ch <= "\u9fff"]
    if not free:
        return text
    k = min(most, max(1, round(len(free) * share)))
    chosen = set(rng.sample(free, min(k, len(free))))
    out = []
    for i, ch in enumerate(text):
        if i in chosen:
            if rng.random() < 0.5:
                continue  # deleted
            out.append(rng.choice(_FILLERS))
        else:
            out.append(ch)
    return "".join(out)
