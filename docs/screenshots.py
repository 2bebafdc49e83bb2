"""Take the MLflow UI screenshots shown in the README (docs/images/*.png).

Trains the demo corpus with three models into a temporary SQLite store, starts ``mlflow ui``
on 127.0.0.1 at a free port, photographs the runs table, a run page and the compare view
with headless Chromium, and stops the server. Run by hand (needs Debian's ``chromium``):

    .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mlflow.tracking import MlflowClient  # noqa: E402

from tests.servers import MLFLOW, free_port, start, stop, wait_ready  # noqa: E402

OUT = REPO / "docs" / "images"
EXPERIMENT = "demo-comparison"
MODELS = ("linear_svc", "logreg", "complement_nb")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--hide-scrollbars",
    "--window-size=1600,1400",
    # The UI is a single-page app: give it virtual time to fetch runs and render.
    "--virtual-time-budget=20000",
)


def train_runs(store: str, workdir: Path) -> None:
    """One train.py run per model on the demo corpus."""
    for model in MODELS:
        subprocess.run(
            [
                sys.executable,
                str(REPO / "train.py"),
                f"model={model}",
                f"data.path={REPO / 'data' / 'demo'}",
                f"mlflow.tracking_uri={store}",
                f"mlflow.experiment={EXPERIMENT}",
                f"run_name=demo-{model}",
                "cv.folds=3",
                f"output.model_path={workdir / model}.joblib",
            ],
            cwd=workdir,
            check=True,
        )


def screenshot(chromium: str, url: str, path: Path, profile: Path) -> None:
    """Photograph ``url`` into ``path`` with a fresh Chromium profile."""
    subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={path}",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    print(f"wrote {path.relative_to(REPO)}")


def main() -> None:
    """Train, serve the UI, take the pictures, stop the UI."""
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("error: chromium not found (apt-get install -y chromium)")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = f"sqlite:///{root / 'mlflow.db'}"
        train_runs(store, root)
        client = MlflowClient(store)
        experiment = client.get_experiment_by_name(EXPERIMENT)
        # Open the experiment in the UI's "Model training" view rather than the GenAI one.
        client.set_experiment_tag(
            experiment.experiment_id, "mlflow.experimentKind", "custom_model_development"
        )
        runs = client.search_runs(
            [experiment.experiment_id], order_by=["metrics.test_micro_f1 DESC"]
        )
        run_ids = [r.info.run_id for r in runs]

        port = free_port()
        log = root / "ui.log"
        process = start(
            [
                MLFLOW,
                "ui",
                "--backend-store-uri",
                store,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            log,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(process, f"{base}/health", log)
            exp = experiment.experiment_id
            compare = urllib.parse.urlencode(
                {"runs": json.dumps(run_ids), "experiments": json.dumps([exp])}
            )
            pages = {
                "runs_table.png": f"{base}/#/experiments/{exp}/runs",
                "run_page.png": f"{base}/#/experiments/{exp}/runs/{run_ids[0]}",
                "compare_runs.png": f"{base}/#/compare-runs?{compare}",
            }
            for name, url in pages.items():
                screenshot(chromium, url, OUT / name, root / f"profile-{name}")
        finally:
            stop(process)


if __name__ == "__main__":
    main()
