"""The local engine: read articles in chunks, tag them on worker threads or processes, and
write labels and scores in input order.

Every input row ends up either in the output (in input order) or in the rejects file with
its line number and the reason; the output appears under its final name only when complete.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from classifier.atomic import atomic_path, output_errors
from classifier.data.formats import STDIO, input_format, output_format
from classifier.data.readers import line_kind, read_jsonl_blocks, read_records
from classifier.data.records import (
    DEFAULT_FIELDS,
    FROM_FALLBACK,
    FROM_FIELDS,
    FROM_FILE,
    FROM_LINE,
    FieldCheck,
    Reject,
    Row,
    TextFields,
)
from classifier.errors import DataError
from classifier.model.scoring import Scorer
from classifier.prediction.job import Chunk, TaggingJob, make_job, run_chunk
from classifier.prediction.options import DEFAULT_OPTIONS, PredictOptions
from classifier.prediction.paths import check_paths, default_rejects_path
from classifier.prediction.workers import ordered_map, resolve_n_jobs
from classifier.prediction.writers import ChunkWriter

if TYPE_CHECKING:
    from classifier.model.tagger import TopicTagger


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
    # Where the tagged articles' text came from: "title, body", "text", ".txt files"...
    text_from: dict[str, int] = field(default_factory=dict)

    def count_sources(self, sources: Counter, fields: TextFields) -> None:
        """Add rows by source (``Row.source``) under the names the summary line shows."""
        names = {
            FROM_FIELDS: ", ".join(fields.fields),
            FROM_FALLBACK: str(fields.fallback),
            FROM_FILE: ".txt files",
            FROM_LINE: "plain text lines",
        }
        for source, n in sources.items():
            name = names[source]
            self.text_from[name] = self.text_from.get(name, 0) + n

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
        if len(self.text_from) == 1:
            text += f"; text from {next(iter(self.text_from))}"
        elif self.text_from:
            text += "; text from " + ", ".join(f"{k} ({n})" for k, n in self.text_from.items())
        if self.oov_mean is not None:
            text += f"; mean out-of-vocabulary rate {self.oov_mean:.1%}"
        return text


def reject_lines(rejects: Sequence[Reject]) -> bytes:
    """The rejects file's JSONL lines for ``rejects``: line number, id and reason."""
    return "".join(
        json.dumps({"line": r.line, "id": r.id, "reason": r.reason}) + "\n" for r in rejects
    ).encode("utf-8")


def _tasks(input_path: str, fields: TextFields, batch_size: int) -> Iterator[tuple[str, Any, Any]]:
    """Work items: raw JSONL or text-line blocks (parsed by the workers), else parsed rows
    in batches."""
    kind = input_format(input_path)
    if kind in ("jsonl", "lines"):
        for first, block in read_jsonl_blocks(input_path, block_bytes=batch_size * 1024):
            kind = line_kind(input_path, block) if first == 1 else kind
            yield ("block" if kind == "jsonl" else "lines"), first, block
        return
    batch: list[Row | Reject] = []
    for item in read_records(input_path, fields, batch_size):
        batch.append(item)
        if len(batch) >= batch_size:
            yield "items", None, batch
            batch = []
    if batch:
        yield "items", None, batch


class _Run:
    """The bookkeeping of one run: counts, rejects, the stop rules, the output writer."""

    def __init__(
        self, job: TaggingJob, paths: tuple[str, str, str | None], options: PredictOptions
    ) -> None:
        self.job = job
        self.input_path, self.output_path, rejects_path = paths
        self.rejects_name = rejects_path or "standard error"
        self.options = options
        self.check = FieldCheck(job.fields)
        self.counts = np.zeros(len(job.scorer.labels), dtype=np.int64)
        self.oov_sum, self.oov_n = 0.0, 0

    def add(self, chunk: Chunk, summary: Summary, writer: ChunkWriter, rejects: IO[bytes]) -> None:
        """Account for one chunk, or stop the run (no text fields; ``on_error=fail``)."""
        if chunk.tagged:
            self.check.decided = True
        elif self.check.update(chunk.rejects):
            raise DataError(self.check.error(self.input_path))
        if chunk.rejects and self.options.on_error == "fail":
            bad = chunk.rejects[0]
            raise DataError(f"{self.input_path}:{bad.line}: {bad.reason}")
        if chunk.rejects:
            with output_errors(self.rejects_name):
                rejects.write(reject_lines(chunk.rejects))
        summary.read += chunk.read
        summary.rejected += len(chunk.rejects)
        summary.tagged += chunk.tagged
        summary.count_sources(chunk.sources, self.job.fields)
        self.counts += chunk.counts
        self.oov_sum += chunk.oov_sum
        self.oov_n += chunk.oov_n
        if chunk.payload is not None:
            with output_errors(self.output_path):
                writer.write(chunk.payload)

    def drain(
        self,
        tasks: Iterator[tuple[str, Any, Any]],
        summary: Summary,
        out: IO[bytes],
        rejects: IO[bytes],
    ) -> None:
        """Tag every task on the workers and write their chunks to ``out`` in input order."""
        # Write errors (a full disk) are reported against the file being written.
        with output_errors(self.output_path):
            writer = ChunkWriter(self.job, out, gzip=self.output_path.lower().endswith(".gz"))
        progress = self.options.progress
        bar = tqdm(unit=" articles", disable=(not progress) if progress is not None else None)
        workers = resolve_n_jobs(self.options.n_jobs)
        results = ordered_map(run_chunk, self.job, tasks, workers, self.options.workers)
        try:
            with bar:
                for chunk in results:
                    self.add(chunk, summary, writer, rejects)
                    bar.update(chunk.read)
        finally:
            results.close()
        with output_errors(self.output_path):
            writer.close()
        with output_errors(self.rejects_name):
            rejects.flush()


def predict_file(
    model: TopicTagger | Scorer,
    input_path: str,
    output_path: str,
    options: PredictOptions = DEFAULT_OPTIONS,
    model_fields: TextFields = DEFAULT_FIELDS,
) -> Summary:
    """Tag every article of ``input_path`` with ``model`` (a fitted tagger, or its
    scorer) and write ``output_path`` atomically.

    Rows are read by ``model_fields`` (the fields the model was trained with), or by the
    fields ``options`` name. Bad rows go to ``options.rejects`` (default
    ``<output>.rejects.jsonl``) with their line number and reason; with ``on_error="fail"``
    the first bad row stops the run, and so does a start of the input where no row has a
    text field. ``n_jobs`` workers parse, score and format chunks of about ``batch_size``
    rows; this thread reads the input and writes their output in input order.
    ``scores="predicted"`` writes only the predicted labels' scores (one ``scores`` list,
    in the order of ``labels``) instead of every label's column.
    """
    rejects_path = options.rejects or default_rejects_path(output_path)
    check_paths([input_path], {"output": output_path, "rejects file": rejects_path})
    kind = output_format(output_path)
    input_format(input_path)
    if input_path != STDIO and not Path(input_path).exists():
        raise DataError(f"{input_path}: input file not found")
    fields = options.text_fields_for(model_fields)
    job = make_job(model, kind, options, fields)
    summary = Summary(output=output_path, rejects=rejects_path)
    state = _Run(job, (input_path, output_path, rejects_path), options)
    tasks = _tasks(input_path, fields, options.batch_size)
    if output_path == STDIO:
        # Rejects go to a file if one is named, else to standard error: never dropped.
        if rejects_path:
            with atomic_path(rejects_path, False) as rej_tmp, open(rej_tmp, "wb") as rej:
                state.drain(tasks, summary, sys.stdout.buffer, rej)
        else:
            state.drain(tasks, summary, sys.stdout.buffer, sys.stderr.buffer)
        sys.stdout.buffer.flush()
    else:
        with (
            atomic_path(output_path, False) as out_tmp,
            atomic_path(rejects_path, False) as rej_tmp,
            open(out_tmp, "wb") as out,
            open(rej_tmp, "wb") as rejects,
        ):
            state.drain(tasks, summary, out, rejects)
        if summary.rejected == 0:
            Path(rejects_path).unlink(missing_ok=True)
            summary.rejects = None
    labels = job.scorer.labels
    summary.label_counts = {name: int(c) for name, c in zip(labels, state.counts, strict=True)}
    if job.oov and state.oov_n:
        summary.set_oov_mean(state.oov_sum / state.oov_n, options.oov_warning)
    return summary
