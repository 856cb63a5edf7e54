"""report.html and the graphs in Debian's chromium: links, drawing, search, no network.

Every request the page makes is routed: file:// requests go through, anything else is
aborted and recorded, and each test asserts that nothing tried to leave the machine.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from estate.report import write_reports
from conftest import SCRIPT_END_NAME, XSS_NAME, make_findings

CHROMIUM = Path("/usr/bin/chromium")
SCREENS = Path(os.environ.get("ESTATE_SCREENS", "/work/notes/screens"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at "
                       "/usr/bin/chromium (CI installs it with apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("outputs")
    write_reports(make_findings(), out)
    return out


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page whose console errors, dialogs and non-file requests are recorded."""

    def __init__(self, browser, width=1366, height=768):
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.errors: list[str] = []
        self.remote: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route):
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            self.remote.append(url)
            route.abort()

    def open_graph(self, url: str) -> None:
        self.page.goto(url)
        self.wait_graph()

    def wait_graph(self) -> None:
        self.page.wait_for_selector("body[data-ready='1']", timeout=60_000)

    def assert_clean(self) -> None:
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.remote == [], f"requests left the file system: {self.remote}"
        assert self.dialogs == [], f"a script from an inventory ran: {self.dialogs}"


def test_report_links_to_a_cluster_graph_that_draws_and_searches(browser, outputs):
    w = Watched(browser)
    w.page.goto((outputs / "report.html").as_uri())
    assert w.page.locator("[data-figure='clusters']").inner_text() == "2"
    assert w.page.locator("text=<script>alert(1)</script>").count() >= 1, \
        "a hostile name shows as text"
    SCREENS.mkdir(parents=True, exist_ok=True)
    w.page.screenshot(path=str(SCREENS / "report.png"), full_page=True)

    w.page.locator("a.cluster-link", has_text="C001").click()
    w.wait_graph()
    assert w.page.url.endswith("/clusters/C001.html")
    # 3 members + their 3 departments + 2 systems they integrate with
    assert w.page.evaluate("network.body.data.nodes.length") == 8
    assert w.page.evaluate("Object.keys(network.body.nodes).length") == 8, \
        "every node was handed to the canvas"

    w.page.fill("#search-input", "bold")
    w.page.press("#search-input", "Enter")
    assert w.page.evaluate("network.getSelectedNodes()") == ["sys:MOJ:MOJ-1"]
    assert w.page.locator("#search-status").inner_text() == "1 of 1"
    details = w.page.locator("#details")
    assert SCRIPT_END_NAME in details.inner_text()
    assert details.locator("b").count() == 0, "details are plain text"
    w.page.wait_for_timeout(500)
    w.page.screenshot(path=str(SCREENS / "cluster-C001.png"))
    w.assert_clean()


def test_every_graph_page_draws_offline_without_errors(browser, outputs):
    expected = {"estate-graph.html": 13, "data-flow.html": 6, "clusters/C002.html": 5,
                "departments/HO.html": 7, "departments/DWP.html": 6,
                "departments/MOJ.html": 5}
    for name, count in expected.items():
        w = Watched(browser, 1440, 900)
        w.open_graph((outputs / name).as_uri())
        assert w.page.evaluate("network.body.data.nodes.length") == count, name
        w.assert_clean()
        if name == "estate-graph.html":
            w.page.screenshot(path=str(SCREENS / "estate-graph.png"))
        w.page.close()


def test_search_finds_and_focuses_a_node_by_name(browser, outputs):
    w = Watched(browser)
    w.open_graph((outputs / "estate-graph.html").as_uri())
    w.page.fill("#search-input", XSS_NAME)
    w.page.click("#search button")
    assert w.page.evaluate("network.getSelectedNodes()") == ["sys:HO:HO-3"]
    w.page.fill("#search-input", "no such system")
    w.page.press("#search-input", "Enter")
    assert w.page.locator("#search-status").inner_text() == "No match"
    w.assert_clean()


def test_legend_hides_and_shows_a_group(browser, outputs):
    w = Watched(browser)
    w.open_graph((outputs / "clusters" / "C001.html").as_uri())
    hidden = "nodes.get({filter: function (n) { return n.hidden; }}).length"
    w.page.click("#legend button[data-key='Migrate']")
    assert w.page.evaluate(hidden) == 2
    w.page.click("#legend button[data-key='Migrate']")
    assert w.page.evaluate(hidden) == 0
    w.assert_clean()


def test_double_click_on_a_department_opens_its_graph(browser, outputs):
    w = Watched(browser)
    w.open_graph((outputs / "estate-graph.html").as_uri())
    pos = w.page.evaluate("""() => {
        const p = network.canvasToDOM(network.getPositions(['dept:MOJ'])['dept:MOJ']);
        const r = document.getElementById('mynetwork').getBoundingClientRect();
        return {x: p.x + r.left, y: p.y + r.top};
    }""")
    w.page.mouse.dblclick(pos["x"], pos["y"])
    w.page.wait_for_url("**/departments/MOJ.html")
    w.wait_graph()
    w.assert_clean()


def test_report_tables_sort_when_a_heading_is_clicked(browser, outputs):
    w = Watched(browser)
    w.page.goto((outputs / "report.html").as_uri())
    first = "#clusters-table tbody tr:first-child td:first-child"
    heading = w.page.locator("#clusters-table th", has_text="Annual saving")
    heading.click()
    assert w.page.locator(first).inner_text() == "C002", "unknown saving sorts lowest"
    heading.click()
    assert w.page.locator(first).inner_text() == "C001"
    w.assert_clean()


@pytest.mark.parametrize("width", [1366, 1024])
def test_charts_fit_their_panels_on_a_laptop_screen(browser, outputs, width):
    """The bar charts scale to their panel: no scroll bar under a chart on a laptop."""
    w = Watched(browser, width=width)
    w.page.goto((outputs / "report.html").as_uri())
    charts = w.page.locator("figure.chart")
    assert charts.count() >= 2
    for i in range(charts.count()):
        overflow = charts.nth(i).evaluate("f => f.scrollWidth - f.clientWidth")
        assert overflow <= 0, f"chart {i} is {overflow}px wider than its panel at {width}px"
        box = charts.nth(i).locator("svg").bounding_box()
        assert box is not None and box["width"] > 300, "the chart shrank out of sight"
    w.assert_clean()


def test_large_views_draw_every_node_without_errors(browser, tmp_path):
    from estate.report import graphs
    from test_report import synthetic_graph
    big, huge = make_findings(), make_findings()
    big.graph = synthetic_graph(graphs.PHYSICS_MAX_NODES + 100)
    # 16 departments: each department page (about 390 nodes) is laid out here but still
    # drawn one system at a time (below GROUP_ABOVE_NODES)
    huge.graph = synthetic_graph(graphs.OVERVIEW_MAX_NODES + 1, departments=16)
    write_reports(big, tmp_path / "big")
    write_reports(huge, tmp_path / "huge")
    g = huge.graph
    own = set(g.successors("dept:D3"))
    partners = {w for s in own for w in (*g.successors(s), *g.predecessors(s))
                if g.nodes[w]["type"] == "system"} - own
    caps = {c for s in own for c in g.successors(s) if g.nodes[c]["type"] == "capability"}
    cases = {tmp_path / "big" / "estate-graph.html": graphs.PHYSICS_MAX_NODES + 100 + 8,
             tmp_path / "huge" / "estate-graph.html": 16 + 12,
             tmp_path / "huge" / "departments" / "D3.html": 1 + len(own) + len(partners)
             + len(caps)}
    for path, count in cases.items():
        w = Watched(browser)
        w.open_graph(path.as_uri())
        assert w.page.evaluate("network.body.data.nodes.length") == count, path
        w.assert_clean()
        w.page.close()


def test_a_department_above_the_grouping_threshold_draws_its_groups(browser, tmp_path):
    """8 departments of 250 systems, each linked to 500 elsewhere: above
    GROUP_ABOVE_NODES, so a department page draws groups, and they draw cleanly."""
    import json
    import re
    from estate.report import graphs
    from test_report import synthetic_graph
    findings = make_findings()
    findings.graph = synthetic_graph(graphs.OVERVIEW_MAX_NODES + 1)
    files = write_reports(findings, tmp_path)
    path = files.department_graphs["D3"]
    data = json.loads(re.search(r"var ESTATE_GRAPH = (\{.*\});\n",
                                path.read_text(encoding="utf-8")).group(1))
    ids = [n["id"] for n in data["nodes"]]
    assert any(i.startswith("group:") for i in ids) and "other:D2" in ids
    assert not any(i.startswith("sys:") for i in ids)
    w = Watched(browser)
    w.open_graph(path.as_uri())
    assert w.page.evaluate("network.body.data.nodes.length") == len(ids)
    w.assert_clean()
    w.page.close()
