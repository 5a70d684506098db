"""A folder walk picks up every format fazhi reads and lists the report-like files it cannot read (issue 18)."""

from fazhi.pipeline.tag import expand_inputs


def test_a_folder_walk_reads_doc_wps_and_images_and_lists_a_spreadsheet_as_skipped(tmp_path):
    for name in ("a.txt", "b.doc", "c.wps", "d.png", "e.tif", "f.xlsx", "g.zip"):
        (tmp_path / name).write_bytes(b"x")
    sources, failures = expand_inputs([str(tmp_path)])
    assert sorted(s.path.name for s in sources if s.path) == ["a.txt", "b.doc", "c.wps", "d.png", "e.tif"]
    reasons = {f.doc.rsplit("/", 1)[-1]: f.reason for f in failures}
    assert set(reasons) == {"f.xlsx", "g.zip"}
    assert "skipped, a spreadsheet" in reasons["f.xlsx"] and "unpack it first" in reasons["g.zip"]
