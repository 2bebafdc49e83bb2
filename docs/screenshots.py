"""Take the README's pictures of the MLflow UI and of the run's plots (docs/images/*.png).

Into a temporary store it trains, as a user would: a demo sweep
(``-m model=linear_svc,logreg,complement_nb``), one more demo run (``features=tfidf_char``),
``python -m classifier.compare`` over the demo runs, and a Reuters-21578 run
(``experiment=reuters``, from a local copy of the archive). It then starts ``mlflow ui`` on
127.0.0.1 at a free port, drives headless Chromium through the DevTools protocol to choose
the columns a user would pick, photographs the pages and stops both. Run by hand (needs
Debian's ``chromium``; aiohttp, whose websocket client speaks to Chromium, comes with
``datasets``):

    .venv/bin/python docs/screenshots.py --reuters /path/to/reuters21578.tar.gz
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mlflow.tracking import MlflowClient  # noqa: E402

from tests.servers import MLFLOW, free_port, start, stop, wait_ready  # noqa: E402

OUT = REPO / "docs" / "images"
DEMO, REUTERS = "demo", "reuters21578"
ENV = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
# The runs table's columns as a user arranges them (Columns button, then dragging and
# widening): run name, date (the nesting), duration, logged model, the short model name and
# the scores, wide enough to read, in the UI's column ids and pixels.
COLUMN_WIDTHS = {
    "0": 73,  # the check boxes
    "attributes.`Run Name`": 330,
    "runDateAndNestInfo": 150,
    "duration": 80,
    "attributes.`Models`": 200,
    "params.`model_name`": 140,
    "metrics.`cv_micro_f1`": 140,
    "metrics.`cv_micro_f1_std`": 140,
    "metrics.`cv_macro_f1`": 140,
    "metrics.`test_micro_f1`": 140,
}
COLUMNS = [c for c in COLUMN_WIDTHS if c.startswith(("params.", "metrics.", "attributes.`M"))]
# The MLflow Assistant side panel opens by itself on a first visit and covers the right
# third of every page: the UI's stored preference says it was opened once and then closed
# (its close button stores the same).
CLOSED_ASSISTANT = {
    "mlflow.assistant.fab.autoOpenedOnFirstLoad_v1": "true",
    "mlflow.assistant.panelOpen_v1": "false",
}
# The compare view's parallel-coordinates plot, as chosen in its two selectors.
COMPARE_PARAMS = ("model_name",)
COMPARE_METRICS = ("cv_micro_f1", "cv_macro_f1", "test_micro_f1")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
)


def python(workdir: Path, *args: str) -> str:
    """Run this project's Python in ``workdir``; return its standard output."""
    result = subprocess.run(
        [sys.executable, *args], cwd=workdir, env=ENV, check=True, capture_output=True, text=True
    )
    return result.stdout


def has_runs(client: MlflowClient, experiment: str) -> bool:
    """True when ``experiment`` exists in the store and holds runs (kept from an earlier call)."""
    found = client.get_experiment_by_name(experiment)
    return found is not None and bool(client.search_runs([found.experiment_id], max_results=1))


def train_runs(store: str, workdir: Path, reuters: Path) -> None:
    """The demo sweep, one more demo run, the comparison, and the Reuters run; an experiment
    that already holds runs (``--store`` of an earlier call) is kept as it is."""
    demo = (f"data.path={REPO / 'data' / 'demo'}", f"mlflow.tracking_uri={store}")
    train = str(REPO / "train.py")
    client = MlflowClient(store)
    if not has_runs(client, DEMO):
        python(workdir, train, "-m", "model=linear_svc,logreg,complement_nb", *demo,
               f"mlflow.experiment={DEMO}")  # fmt: skip
        python(workdir, train, "features=tfidf_char", *demo, f"mlflow.experiment={DEMO}")
    print(python(workdir, "-m", "classifier.compare", "--experiment", DEMO, "--tracking-uri",
                 store, "--plot", str(OUT / "compare_plot.png")))  # fmt: skip
    if not has_runs(client, REUTERS):
        python(workdir, "-m", "classifier.data", "fetch", "reuters21578", "--from", str(reuters))
        python(workdir, train, "experiment=reuters", f"mlflow.tracking_uri={store}")


class Browser:
    """One headless Chromium page, driven through the DevTools protocol."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws, self.calls = ws, 0

    async def call(self, method: str, **params: object) -> dict:
        self.calls += 1
        await self.ws.send_str(json.dumps({"id": self.calls, "method": method, "params": params}))
        while True:
            message = json.loads((await self.ws.receive()).data)
            if message.get("id") == self.calls:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    async def js(self, expression: str) -> object:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def stored(self, items: dict[str, str]) -> None:
        """Put ``items`` in the UI's localStorage before any page of it loads, as the
        clicks of an earlier visit would have left them."""
        script = "".join(
            f"localStorage.setItem({json.dumps(k)}, {json.dumps(v)});" for k, v in items.items()
        )
        await self.call("Page.addScriptToEvaluateOnNewDocument", source=script)

    async def wait(self, condition: str, what: str, timeout: float = 60) -> None:
        """Wait until the JavaScript ``condition`` holds; warn if it never does."""
        deadline = time.monotonic() + timeout
        while not await self.js(f"!!({condition})"):
            if time.monotonic() > deadline:
                print(f"warning: {what} did not appear ({condition}); photographed as it is")
                return
            await asyncio.sleep(0.5)

    async def open(self, url: str, ready: str, settle: float = 1.5) -> None:
        """Load ``url`` as a new page (so the stored preferences apply) and wait until it
        shows the text ``ready``."""
        await self.call("Page.navigate", url="about:blank")
        await self.call("Page.navigate", url=url)
        text = f"document.body && document.body.innerText.includes({json.dumps(ready)})"
        await self.wait(text, f"{url}: {ready!r}")
        await asyncio.sleep(settle)  # tables and fonts finish drawing

    async def click(self, selector: str, text: str | None = None) -> None:
        """Click the first element matching ``selector`` (and whose text is ``text``)."""
        found = await self.js(
            f"(() => {{ const e = [...document.querySelectorAll({json.dumps(selector)})]"
            f".find(e => {json.dumps(text)} === null || e.innerText.trim() === {json.dumps(text)});"
            " if (e) e.click(); return !!e; })()"
        )
        if not found:
            print(f"warning: nothing to click at {selector} {text or ''}")

    async def choose(self, select: int, option: str) -> None:
        """Type ``option`` into the ``select``-th selector of the page and take it (Enter)."""
        await self.js(f"document.querySelectorAll('input[role=combobox]')[{select}].focus()")
        await self.call("Input.insertText", text=option)
        await asyncio.sleep(0.5)
        for kind in ("keyDown", "keyUp"):
            await self.call(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
            )
        await asyncio.sleep(0.5)

    async def shoot(self, path: Path, width: int = 1600, height: int = 1000) -> None:
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        await asyncio.sleep(1.5)
        shot = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))
        print(f"wrote {path.relative_to(REPO)}")


def runs_table_state(expanded: list[str]) -> str:
    """The runs table's stored view: the columns chosen, newest first (the order in which
    the UI nests a sweep's jobs under its parent), the sweep expanded."""
    return json.dumps(
        {
            "searchFilter": "",
            "orderByKey": "attributes.start_time",
            "orderByAsc": False,
            "startTime": "ALL",
            "lifecycleFilter": "Active",
            "datasetsFilter": [],
            "modelVersionFilter": "All Runs",
            "selectedColumns": COLUMNS,
            "columnOrder": list(COLUMN_WIDTHS),
            "columnWidths": COLUMN_WIDTHS,
            "runsExpanded": dict.fromkeys(expanded, True),
        }
    )


async def compare_view(browser: Browser, url: str) -> None:
    """The compare view with the plot's params and metrics chosen and only the differences
    listed, photographed once the plot is drawn."""
    await browser.open(url, "Parallel Coordinates Plot")
    await browser.click("button", "Clear All")
    for param in COMPARE_PARAMS:
        await browser.choose(0, param)
    for metric in COMPARE_METRICS:
        await browser.choose(1, metric)
    await browser.js("document.activeElement.blur()")
    await browser.click("[role=switch]")  # Show diff only
    # Plotly draws one axis per param and metric when it is done.
    axes = len(COMPARE_PARAMS) + len(COMPARE_METRICS)
    await browser.wait(
        f"document.querySelectorAll('.js-plotly-plot g.axis').length >= {axes}", "plot"
    )
    await asyncio.sleep(2)
    await browser.shoot(OUT / "compare_runs.png", 1600, 1500)


async def photograph(base: str, client: MlflowClient, chromium: str, profile: Path) -> None:
    """Every UI picture of the README."""
    demo = client.get_experiment_by_name(DEMO).experiment_id
    reuters = client.get_experiment_by_name(REUTERS).experiment_id
    runs = client.search_runs([demo], order_by=["metrics.cv_micro_f1 DESC"])
    parent = next(r for r in runs if r.data.tags.get("run_kind") == "sweep")
    jobs = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    lone = next(r for r in runs if r is not parent and r not in jobs)
    reuters_run = client.search_runs([reuters])[0]
    ml = "workflowType=machine_learning"

    process = subprocess.Popen(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        for _ in range(200):
            if port_file.is_file() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        async with aiohttp.ClientSession() as session:
            targets = await (await session.get(f"http://127.0.0.1:{port}/json/list")).json()
            page = next(t for t in targets if t["type"] == "page")
            async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                browser = Browser(ws)
                await browser.call("Page.enable")
                key = f'MLflowLocalStorage-1.1-ExperimentPage-["{demo}"]-ReactComponentState'
                await browser.stored(
                    {**CLOSED_ASSISTANT, key: runs_table_state([parent.info.run_id])}
                )
                table = f"{base}/#/experiments/{demo}/runs?{ml}"
                await browser.open(table, jobs[-1].info.run_name)
                await browser.shoot(OUT / "runs_table.png", 1800, 520)

                compare = urllib.parse.urlencode(
                    {
                        "runs": json.dumps([r.info.run_id for r in [*jobs, lone]]),
                        "experiments": json.dumps([demo]),
                    }
                )
                await compare_view(browser, f"{base}/#/compare-runs?{compare}&{ml}")

                run_url = f"{base}/#/experiments/{reuters}/runs/{reuters_run.info.run_id}"
                await browser.open(f"{run_url}?{ml}", "test_micro_f1", settle=3)
                await browser.shoot(OUT / "run_page.png", 1600, 1400)
                card = f"{run_url}/artifacts/model_card.html?{ml}"
                await browser.open(card, "model_card.html")
                # The card is a sandboxed frame (not readable from the page): give it time.
                await browser.wait("document.querySelector('iframe')", "the model card's frame")
                await asyncio.sleep(3)
                await browser.shoot(OUT / "model_card.png", 1600, 1400)
    finally:
        process.terminate()
        process.wait(timeout=20)


def copy_plots(client: MlflowClient, workdir: Path) -> None:
    """The run's own plots, as files: Reuters (90 labels) and the demo's best job (8)."""
    for experiment, prefix in ((REUTERS, "reuters"), (DEMO, "demo")):
        exp = client.get_experiment_by_name(experiment).experiment_id
        best = client.search_runs([exp], order_by=["metrics.test_micro_f1 DESC"])
        run = next(r for r in best if "run_kind" not in r.data.tags)
        local = Path(client.download_artifacts(run.info.run_id, "plots", str(workdir)))
        for png in local.glob("*.png"):
            shutil.copyfile(png, OUT / f"{prefix}_{png.name}")
            print(f"wrote docs/images/{prefix}_{png.name}")


def main() -> None:
    """Train, serve the UI, take the pictures, stop the UI."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuters", type=Path, required=True, help="reuters21578.tar.gz")
    parser.add_argument(
        "--store",
        type=Path,
        help="keep the runs in this folder (mlflow.db) and reuse those already there, "
        "instead of a temporary store",
    )
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("error: chromium not found (apt-get install -y chromium)")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.store.resolve() if args.store else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        store = f"sqlite:///{root / 'mlflow.db'}"
        train_runs(store, root, args.reuters.resolve())
        client = MlflowClient(store)
        copy_plots(client, Path(tmp))
        port = free_port()
        log = root / "ui.log"
        command = [MLFLOW, "ui", "--backend-store-uri", store, "--host", "127.0.0.1"]
        process = start([*command, "--port", str(port)], log, env=ENV)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(process, f"{base}/health", log)
            asyncio.run(photograph(base, client, chromium, Path(tmp) / "chromium"))
        finally:
            stop(process)


if __name__ == "__main__":
    main()
