"""Carry report labels over after a segmenter change.

Labels of report units are tied to the segmenter's output. When the segmenter
changes, run this: rows whose unit text is unchanged keep their labels (and
ids); rows whose unit disappeared (for example a furniture line now dropped)
are removed; new or changed units are listed for a person to label, and the
file is left untouched for any document that has them.

    .venv/bin/python tools/realign_labels.py [--write]
"""

from __future__ import annotations

import argparse
import difflib
import json
from collections import defaultdict

from fazhi.paths import LABELS_DIR, REPO_DIR
from fazhi.pipeline.segment import segment

SEEDS_DIR = REPO_DIR.parent / "shared" / "seeds"
WRITTEN_DIR = REPO_DIR / "data" / "reports" / "written"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite label files (default: only report)")
    args = parser.parse_args()
    needs_person = 0
    for f in sorted(LABELS_DIR.glob("*.jsonl")):
        rows = [json.loads(l) for l in f.read_text(encoding="utf-8").splitlines() if l.strip()]
        by_doc = defaultdict(list)
        for r in rows:
            by_doc[r["doc"]].append(r)
        out, changed = [], False
        for doc, doc_rows in by_doc.items():
            path = SEEDS_DIR / doc if (SEEDS_DIR / doc).exists() else WRITTEN_DIR / doc
            if not doc.endswith(".txt") or not path.exists():
                out += doc_rows
                continue
            units = [u.text for u in segment(path.read_text(encoding="utf-8-sig"))]
            old = [r["text"] for r in doc_rows]
            keep = list(doc_rows)
            for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, units, autojunk=False).get_opcodes():
                if op == "delete":
                    print(f"{f.name} {doc}: drop {old[a1:a2]}")
                    for r in doc_rows[a1:a2]:
                        keep.remove(r)
                    changed = True
                elif op != "equal":
                    needs_person += 1
                    print(f"{f.name} {doc}: NEEDS LABELS {op}: {old[a1:a2]} -> {units[b1:b2]}")
                    keep = doc_rows
                    break
            out += keep
        if changed and args.write:
            f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    print("done" if not needs_person else f"{needs_person} place(s) need a person to label")
    return 1 if needs_person else 0


if __name__ == "__main__":
    raise SystemExit(main())
