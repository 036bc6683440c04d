"""The report opens in headless Chromium with no console errors, every image loaded and
its time charts drawn: the cursor shows values in every chart, a phase button and a
drag zoom every chart to the same span."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analysis import analyze
from testkit.synthetic import SyntheticSpec, generate

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's /usr/bin/chromium is not installed")


@contextlib.contextmanager
def chromium_page(problems: list[str]) -> Iterator[Any]:
    """A page of Debian's Chromium under playwright (which adds --headless and its own
    throwaway profile itself); console errors and failed loads land in `problems`."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright (dev extra) is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS[1:])
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url[:80]}"))
            yield page
        finally:
            browser.close()


@pytest.mark.parametrize("scenario", ["db.query", "baseline"])
def test_report_renders_without_console_errors_and_all_images_load(
        scenario: str, tmp_path: Path) -> None:
    # a start off the 5 s grid: the per-second chart begins after its 5 s window does
    root = generate(tmp_path / scenario, SyntheticSpec(scenario=scenario, duration_s=240,
                                                       users=200, steps=6,
                                                       start_ts=1_767_258_002.0))
    analyze(root)
    problems: list[str] = []
    with chromium_page(problems) as page:
        page.goto((root / "report.html").as_uri(), wait_until="load")
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.alt, e.complete, e.naturalWidth])")
        verdict = page.inner_text("#verdict")
        data = json.loads(page.inner_text("#chart-data"))
        drawn = page.evaluate("() => document.querySelectorAll('.uplot').length")
        initial = page.evaluate("""() => esppdCharts.map(u => [u.scales.x.min, u.scales.x.max,
            u.scales.y.max, Math.max(...u.data.slice(1).flat().filter(v => v !== null))])""")
        # the cursor over the traffic chart: values in its legend and, synced, the others'
        over = page.locator('[data-chart="timeline"] .u-over').first
        over.scroll_into_view_if_needed()
        box = over.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2,
                        steps=3)
        page.wait_for_timeout(100)  # uPlot updates legends on the next animation frame
        hovered = page.eval_on_selector_all(".u-legend .u-series:not(:first-child) .u-value",
                                            "els => els.map(e => e.textContent)")
        phase = data["phases"][1]
        page.get_by_role("button", name=phase["label"], exact=True).click()
        on_phase = page.evaluate("() => esppdCharts.map(u => [u.scales.x.min, u.scales.x.max])")
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + 20)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + 20, steps=5)
        page.mouse.up()
        dragged = page.evaluate("() => esppdCharts.map(u => [u.scales.x.min, u.scales.x.max])")
    expected = "db.query" if scenario == "db.query" else "none"
    assert verdict.startswith(f"Verdict: {expected}")
    assert len(images) >= 1  # capacity (and statements): PNG; the time charts are drawn
    assert all(complete and width > 0 for _, complete, width in images), images
    assert drawn == sum(len(chart["panels"]) for chart in data["charts"]) >= 5
    # one time span for every chart (1 s and 5 s grids alike), every value inside its axis
    assert len({(low, high) for low, high, _, _ in initial}) == 1, initial
    first = min(chart["x"][0] for chart in data["charts"])
    last = max(chart["x"][-1] for chart in data["charts"])
    assert initial[0][:2] == [first, last]
    assert all(top >= highest for _, _, top, highest in initial), initial
    assert sum(value not in ("--", "") for value in hovered) >= drawn, hovered
    assert on_phase == [[phase["start"], phase["end"]]] * drawn
    low, high = dragged[0]
    assert phase["start"] < low < high < phase["end"]
    assert dragged == [[low, high]] * drawn  # every chart follows a drag
    assert problems == []


def test_report_dom_via_chromium_cli(tmp_path: Path) -> None:
    """The plain `chromium --dump-dom` path (no playwright) sees the verdict first."""
    import subprocess
    root = generate(tmp_path / "run", SyntheticSpec(scenario="app.errors", duration_s=180,
                                                    users=100, steps=4))
    analyze(root)
    chromium = shutil.which("chromium") or str(CHROMIUM)
    done = subprocess.run([chromium, *FLAGS, f"--user-data-dir={tmp_path / 'ud'}", "--dump-dom",
                           (root / "report.html").as_uri()], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-500:]
    assert 'id="verdict">Verdict: app.errors' in done.stdout


def test_comparison_opens_without_console_errors_and_its_figure_loads(tmp_path: Path) -> None:
    """compare.html of two synthetic runs: no console error, the overlay figure loads,
    the gate says what it found."""
    from analysis.compare.render import write_comparison

    spec = SyntheticSpec(scenario="baseline", duration_s=180, users=100, steps=4)
    runs = [generate(tmp_path / "a", spec), generate(tmp_path / "b", SyntheticSpec(
        **{**spec.__dict__, "scenario": "db.query"}))]
    write_comparison(runs, tmp_path / "cmp")
    problems: list[str] = []
    with chromium_page(problems) as page:
        page.goto((tmp_path / "cmp" / "compare.html").as_uri(), wait_until="load")
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.complete, e.naturalWidth])")
        gate = page.inner_text(".gate")
        rows = page.eval_on_selector_all("table tr", "els => els.length")
    assert images and all(complete and width > 0 for complete, width in images), images
    assert gate.startswith(("Regressed", "No regression"))
    assert rows > 10 and problems == []


def test_history_page_opens_and_links_every_run(tmp_path: Path) -> None:
    from analysis.history import write_history

    for index in range(2):
        analyze(generate(tmp_path / f"run-{index}", SyntheticSpec(
            duration_s=120, users=50, steps=3, start_ts=1_767_258_000.0 + 600 * index)))
    index_page = write_history(tmp_path)
    problems: list[str] = []
    with chromium_page(problems) as page:
        page.goto(index_page.as_uri(), wait_until="load")
        links = page.eval_on_selector_all("#runs a", "els => els.map(e => e.href)")
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.complete, e.naturalWidth])")
        page.goto(links[0], wait_until="load")  # a run's own report, from its row
        title = page.title()
    assert len(links) == 2 and images and all(ok and width > 0 for ok, width in images)
    assert title.startswith("eSPPD load report") and problems == []
