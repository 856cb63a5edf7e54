"""Regenerate the README screenshots from the bundled inventories.

Run from the repository root after `pip install -e ".[test]"` (needs Debian's chromium):

    python docs/screenshots.py

Writes docs/images/report.png and docs/images/cluster.png at a laptop's 1366x768.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "outputs"
        subprocess.run([sys.executable, "-m", "estate", "analyse", str(ROOT / "inventories"),
                        "--out", str(out), "--quiet"], check=True, cwd=ROOT)
        IMAGES.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto((out / "report.html").as_uri())
            page.screenshot(path=str(IMAGES / "report.png"))
            page.goto((out / "clusters" / "clu-crm-official.html").as_uri())
            page.wait_for_function("typeof network !== 'undefined'", timeout=30_000)
            page.wait_for_timeout(5_000)
            page.screenshot(path=str(IMAGES / "cluster.png"))
            browser.close()
    print(f"wrote {IMAGES / 'report.png'} and {IMAGES / 'cluster.png'}")


if __name__ == "__main__":
    main()
