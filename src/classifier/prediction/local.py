"""The local engine: read articles in chunks, tag them on worker threads or processes, and
write labels and scores in input order.

Every input row ends up either in the output (in input order) or in the rejects file with
its line number and the reason; the output appears under its final name only when complete.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
from tqdm import tqdm

from classifier.atomic import atomic_path, output_errors
from classifier.data.formats import STDIO, input_format, output_format
from classifier.data.readers import read_jsonl_blocks, read_records
from classifier.data.records import Reject, Row
from classifier.errors import ConfigError, DataError
from classifier.model.tagger import TopicTagger
from classifier.prediction.job import ThresholdOverride, make_job, run_chunk
from classifier.prediction.paths import check_paths, default_rejects_path
from classifier.prediction.workers import BACKENDS, ordered_map, resolve_n_jobs
from classifier.prediction.writers import ChunkWriter

OnError = Literal["reject", "fail"]


@dataclass
class Summary:
    """Counts of a prediction run: ``read == tagged + rejected``."""

    read: int = 0
    tagged: int = 0
    rejected: int = 0
    output: str = ""
    rejects: str | None = None
    label_counts: dict[str, int] = field(default_factory=dict)
    oov_mean: float | None = None
    warnings: list[str] = field(default_factory=list)

    def set_oov_mean(self, mean: float, warning: float) -> None:
        """Record the mean out-of-vocabulary rate; above ``warning`` it adds a drift warning."""
        self.oov_mean = mean
        if mean > warning:
            self.warnings.append(
                f"mean out-of-vocabulary rate {mean:.1%} is above {warning:.0%}: "
                "these articles may differ from the training data"
            )

    def line(self) -> str:
        """One line for the console."""
        text = f"{self.read} read, {self.tagged} tagged, {self.rejected} rejected -> {self.output}"
        if self.rejected and self.rejects:
            text += f" (rejects: {self.rejects})"
        if self.oov_mean is not None:
            text += f"; mean out-of-vocabulary rate {self.oov_mean:.1%}"
        return text


def reject_lines(rejects: Sequence[Reject]) -> bytes:
    """The rejects file's JSONL lines for ``rejects``: line number, id and reason."""
    return "".join(
        json.dumps({"line": r.line, "id": r.id, "reason": r.reason}) + "\n" for r in rejects
    ).encode("utf-8")


def _tasks(
    input_path: str, text_fields: Sequence[str], id_field: str | None, batch_size: int
) -> Iterator[tuple[str, Any, Any]]:
    """Work items: raw JSONL blocks (parsed by the workers), else parsed rows in batches."""
    if input_format(input_path) == "jsonl":
        for first, block in read_jsonl_blocks(input_path, block_bytes=batch_size * 1024):
            yield "block", first, block
        return
    batch: list[Row | Reject] = []
    for item in read_records(input_path, text_fields, id_field, batch_size):
        batch.append(item)
        if len(batch) >= batch_size:
            yield "items", None, batch
            batch = []
    if batch:
        yield "items", None, batch


def predict_file(
    tagger: TopicTagger,
    input_path: str,
    output_path: str,
    text_fields: Sequence[str] = ("title", "body"),
    id_field: str | None = "id",
    batch_size: int = 4096,
    on_error: OnError = "reject",
    rejects_path: str | None = None,
    progress: bool | None = None,
    n_jobs: int | None = 1,
    workers: str = "threads",
    top_k: int | None = None,
    threshold: ThresholdOverride = None,
    explain: int = 0,
    oov: bool = True,
    oov_warning: float = 0.2,
    scores: str = "all",
) -> Summary:
    """Tag every article of ``input_path`` and write ``output_path`` atomically.

    Bad rows go to ``rejects_path`` (default ``<output>.rejects.jsonl``) with their line
    number and reason; with ``on_error="fail"`` the first bad row stops the run instead.
    ``n_jobs`` workers (None or -1: all cores; ``workers``: ``threads`` or ``processes``)
    parse, score and format chunks of about ``batch_size`` rows; this thread reads the
    input and writes their output in input order. ``top_k`` keeps at most that many
    labels per article, ``threshold`` overrides the model's thresholds (a number, or
    ``{label: number}``), ``explain=k`` adds the k terms that raised each predicted
    label's score most, ``oov`` adds each article's out-of-vocabulary rate, and a mean
    rate above ``oov_warning`` adds a warning to the summary. ``scores="predicted"``
    writes only the predicted labels' scores (one ``scores`` list, in the order of
    ``labels``) instead of every label's column.
    """
    rejects_path = rejects_path or default_rejects_path(output_path)
    check_paths([input_path], {"output": output_path, "rejects file": rejects_path})
    kind = output_format(output_path)
    input_format(input_path)
    if workers not in BACKENDS:
        raise ConfigError(f"workers={workers!r} is not valid; choose one of {BACKENDS}")
    if input_path != STDIO and not Path(input_path).exists():
        raise DataError(f"{input_path}: input file not found")
    job = make_job(
        tagger,
        kind,
        text_fields,
        id_field,
        batch_size,
        on_error,
        top_k,
        threshold,
        explain,
        oov,
        scores,
    )
    summary = Summary(output=output_path, rejects=rejects_path)
    counts = np.zeros(len(tagger.labels_), dtype=np.int64)
    oov_sum, oov_n = 0.0, 0
    tasks = _tasks(input_path, text_fields, id_field, batch_size)

    def run(out: IO[bytes], rejects: IO[bytes]) -> None:
        nonlocal oov_sum, oov_n
        # Write errors (a full disk) are reported against the file being written.
        with output_errors(output_path):
            writer = ChunkWriter(job, out, gzip=output_path.lower().endswith(".gz"))
        bar = tqdm(unit=" articles", disable=(not progress) if progress is not None else None)
        results = ordered_map(run_chunk, job, tasks, resolve_n_jobs(n_jobs), workers)
        try:
            with bar:
                for chunk in results:
                    if chunk.rejects and on_error == "fail":
                        bad = chunk.rejects[0]
                        raise DataError(f"{input_path}:{bad.line}: {bad.reason}")
                    if chunk.rejects:
                        with output_errors(rejects_path or "standard error"):
                            rejects.write(reject_lines(chunk.rejects))
                    summary.read += chunk.read
                    summary.rejected += len(chunk.rejects)
                    summary.tagged += chunk.tagged
                    counts[:] += chunk.counts
                    oov_sum += chunk.oov_sum
                    oov_n += chunk.oov_n
                    if chunk.payload is not None:
                        with output_errors(output_path):
                            writer.write(chunk.payload)
                    bar.update(chunk.read)
        finally:
            results.close()
        with output_errors(output_path):
            writer.close()
        with output_errors(rejects_path or "standard error"):
            rejects.flush()

    if output_path == STDIO:
        # Rejects go to a file if one is named, else to standard error: never dropped.
        if rejects_path:
            with atomic_path(rejects_path, False) as rej_tmp, open(rej_tmp, "wb") as rej:
                run(sys.stdout.buffer, rej)
        else:
            run(sys.stdout.buffer, sys.stderr.buffer)
        sys.stdout.buffer.flush()
    else:
        with (
            atomic_path(output_path, False) as out_tmp,
            atomic_path(rejects_path, False) as rej_tmp,
            open(out_tmp, "wb") as out,
            open(rej_tmp, "wb") as rejects,
        ):
            run(out, rejects)
        if summary.rejected == 0:
            Path(rejects_path).unlink(missing_ok=True)
            summary.rejects = None
    summary.label_counts = {name: int(c) for name, c in zip(tagger.labels_, counts, strict=True)}
    if job.oov and oov_n:
        summary.set_oov_mean(oov_sum / oov_n, oov_warning)
    return summary
