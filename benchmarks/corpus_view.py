"""Size and opening time of the corpus view (`fazhi tag DIR --report`) over 200 reports, in headless Chromium.

The 200 reports are the project's written reports (data/reports/written,
84 texts) and copies of them in separate sub-folders, so that a report and its
copy lie far apart in the page (beyond gzip's 32 KB window: the copies do not
compress better than new text would). They are tagged with the TF-IDF baseline
for speed; the model does not change the page's size much (the same units,
other labels).

The opening time is measured from navigation start to the moment the page's
script has drawn everything (``window.fazhiReadyAt``), median of --runs fresh
loads of the file:// page, each in a new tab with the cache cleared. Targets:
under 2 s and under 3 MB.

    .venv/bin/python benchmarks/corpus_view.py [--reports 200] [--runs 5] [--screenshot shot.png]
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fazhi.model import load_model
from fazhi.output.run import run_tag
from fazhi.paths import REPO_DIR
from fazhi.review.corpus_view import CorpusView

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def make_corpus(folder: Path, n: int) -> None:
    texts = sorted((REPO_DIR / "data" / "reports" / "written").glob("*.txt"))
    k = 0
    while k < n:
        sub = folder / f"copy{k // len(texts)}"
        sub.mkdir(parents=True, exist_ok=True)
        src = texts[k % len(texts)]
        shutil.copyfile(src, sub / src.name)
        k += 1


def open_times(page: Path, runs: int, screenshot: str | None) -> tuple[list[float], list[float], list[float]]:
    """Per load: seconds from navigation start to drawn (in the page), seconds from the driver's request to drawn
    (with the driver's own overhead: an upper bound), and seconds for the first click to show its sentences
    (which unpacks the gzipped sentences)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    profile = tempfile.mkdtemp(prefix="fazhi-bench-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1500,1200",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    times: list[float] = []
    walls: list[float] = []
    clicks: list[float] = []
    try:
        for _ in range(runs):
            driver.execute_cdp_cmd("Network.clearBrowserCache", {})
            driver.get("about:blank")
            t0 = time.perf_counter()
            driver.get(page.as_uri())
            WebDriverWait(driver, 30, poll_frequency=0.01).until(
                lambda d: d.execute_script("return document.body && document.body.dataset.ready === 'true'")
            )
            walls.append(time.perf_counter() - t0)
            times.append(driver.execute_script("return window.fazhiReadyAt") / 1000)
            clicks.append(
                driver.execute_async_script(
                    "const done = arguments[arguments.length - 1], t = performance.now();"
                    "showCell(0, 'decision').then(() => done((performance.now() - t) / 1000));"
                )
            )
        if screenshot:
            driver.save_screenshot(screenshot)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return times, walls, clicks


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--model", default=str(REPO_DIR / "model" / "baseline"))
    ap.add_argument("--screenshot", default=None, help="save a screenshot of the opened page here")
    ap.add_argument("--keep", default=None, help="copy the page here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fazhi-corpus-") as tmp:
        corpus = Path(tmp) / "reports"
        make_corpus(corpus, args.reports)
        view = CorpusView()
        model = load_model(Path(args.model))
        t0 = time.perf_counter()
        run_tag([str(corpus)], model, write_units=False, on_report=view.add, log=open("/dev/null", "w"))
        tag_s = time.perf_counter() - t0
        page = Path(tmp) / "report.html"
        t0 = time.perf_counter()
        view.write(str(page), model_name=model.name)
        write_s = time.perf_counter() - t0
        size = page.stat().st_size
        raw = len(json.dumps(view.sentences, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        packed = len(
            gzip.compress(
                json.dumps(view.sentences, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), mtime=0
            )
        )
        times, walls, clicks = open_times(page, args.runs, args.screenshot)
        if args.keep:
            shutil.copyfile(page, args.keep)
    sentences = sum(f["sentences"] for f in view.figures)
    print(
        f"{len(view.figures)} reports, {sentences} sentence units (tagged in {tag_s:.1f} s, page written in "
        f"{write_s:.2f} s)"
    )
    print(
        f"page: {size / 1e6:.2f} MB (target < 3 MB); its sentences are {raw / 1e6:.2f} MB as JSON, "
        f"{packed / 1e6:.2f} MB gzipped ({packed * 4 / 3 / 1e6:.2f} MB in base64)"
    )
    print(
        f"opened in Chromium: median {statistics.median(times):.3f} s, max {max(times):.3f} s over {len(times)} loads "
        f"(target < 2 s): {', '.join(f'{t:.3f}' for t in times)}"
    )
    print(f"  from the driver's request to drawn: median {statistics.median(walls):.3f} s, max {max(walls):.3f} s")
    print(
        f"  first click to its sentences (unpacks them): median {statistics.median(clicks):.3f} s, max "
        f"{max(clicks):.3f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
