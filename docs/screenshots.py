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
# Columns picked in the runs table (Columns button), as the UI stores them.
COLUMNS = [
    "params.`model_name`",
    "metrics.`cv_micro_f1`",
    "metrics.`cv_micro_f1_std`",
    "metrics.`cv_macro_f1`",
    "metrics.`test_micro_f1`",
    "attributes.`Models`",
]
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


def train_runs(store: str, workdir: Path, reuters: Path) -> None:
    """The demo sweep, one more demo run, the comparison, and the Reuters run."""
    demo = (f"data.path={REPO / 'data' / 'demo'}", f"mlflow.tracking_uri={store}")
    train = str(REPO / "train.py")
    python(workdir, train, "-m", "model=linear_svc,logreg,complement_nb", *demo,
           f"mlflow.experiment={DEMO}")  # fmt: skip
    python(workdir, train, "features=tfidf_char", *demo, f"mlflow.experiment={DEMO}")
    print(python(workdir, "-m", "classifier.compare", "--experiment", DEMO, "--tracking-uri",
                 store, "--plot", str(OUT / "compare_plot.png")))  # fmt: skip
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

    async def open(self, url: str, ready: str, settle: float = 2.0, timeout: float = 60) -> None:
        """Load ``url`` and wait until the page shows the text ``ready``."""
        await self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while ready not in str(await self.js("document.body ? document.body.innerText : ''")):
            if time.monotonic() > deadline:
                print(f"warning: {url}: {ready!r} did not appear; photographed as it is")
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(settle)  # charts and tables finish drawing

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
    """The runs table's stored view: chosen columns, best first, the sweep expanded."""
    return json.dumps(
        {
            "searchFilter": "",
            "orderByKey": "metrics.`cv_micro_f1`",
            "orderByAsc": False,
            "startTime": "ALL",
            "lifecycleFilter": "Active",
            "datasetsFilter": [],
            "modelVersionFilter": "All Runs",
            "selectedColumns": COLUMNS,
            "runsExpanded": dict.fromkeys(expanded, True),
        }
    )


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
                # A first visit, then the stored view a user's clicks would leave behind.
                await browser.open(f"{base}/#/experiments/{demo}/runs?{ml}", "matching runs")
                key = f'MLflowLocalStorage-1.1-ExperimentPage-["{demo}"]-ReactComponentState'
                state = runs_table_state([parent.info.run_id])
                await browser.js(
                    f"localStorage.setItem({json.dumps(key)}, {json.dumps(state)});"
                    "localStorage.setItem('mlflow.assistant.panelOpen_v1', 'false');"
                )
                await browser.open(f"{base}/#/experiments/{demo}/runs?{ml}&x=1", "cv_micro_f1")
                await browser.shoot(OUT / "runs_table.png", 1600, 640)

                compare = urllib.parse.urlencode(
                    {
                        "runs": json.dumps([r.info.run_id for r in [*jobs, lone]]),
                        "experiments": json.dumps([demo]),
                    }
                )
                await browser.open(f"{base}/#/compare-runs?{compare}&{ml}", "cv_micro_f1", 4)
                await browser.shoot(OUT / "compare_runs.png", 1600, 1300)

                run_url = f"{base}/#/experiments/{reuters}/runs/{reuters_run.info.run_id}"
                await browser.open(f"{run_url}?{ml}", "reuters-linear_svc", settle=4)
                await browser.shoot(OUT / "run_page.png", 1600, 1400)
                card = f"{run_url}/artifacts/model_card.html?{ml}"
                await browser.open(card, "model_card.html", settle=4)
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
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("error: chromium not found (apt-get install -y chromium)")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = f"sqlite:///{root / 'mlflow.db'}"
        train_runs(store, root, args.reuters.resolve())
        client = MlflowClient(store)
        copy_plots(client, root)
        port = free_port()
        log = root / "ui.log"
        command = [MLFLOW, "ui", "--backend-store-uri", store, "--host", "127.0.0.1"]
        process = start([*command, "--port", str(port)], log, env=ENV)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(process, f"{base}/health", log)
            asyncio.run(photograph(base, client, chromium, root / "chromium"))
        finally:
            stop(process)


if __name__ == "__main__":
    main()
