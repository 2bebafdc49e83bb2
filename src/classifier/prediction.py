"""Batch tagging of files: read articles in chunks, tag them, write labels and scores.

Every input row ends up either in the output (in input order) or in the rejects file with
its line number and the reason; the output appears under its final name only when complete.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from classifier.atomic import atomic_path
from classifier.errors import ConfigError, DataError
from classifier.formatting import fixed_point_rows
from classifier.persistence import is_mlflow_uri, load_model_uri
from classifier.scoring import Scorer
from classifier.tagger import TopicTagger
from classifier.workers import BACKENDS, ordered_map, resolve_n_jobs

OnError = Literal["reject", "fail"]
STDIO = "-"
# Lone surrogates: bytes that were not UTF-8 (kept so by the "surrogateescape" decoder),
# or "\ud800"-style escapes in JSON; neither can be written out as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_UTF8 = "is not valid UTF-8 (undecodable bytes or a lone surrogate)"


class Row(NamedTuple):
    """An article to tag; ``line`` is its 1-based line (or row) number in the input.

    A named tuple rather than a frozen dataclass: one is made per input row, and a tuple
    is several times cheaper to create."""

    line: int
    id: str
    text: str


class Reject(NamedTuple):
    """An input row that cannot be tagged, and why."""

    line: int
    id: str | None
    reason: str


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


# ---------------------------------------------------------------- reading


_INPUT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}


def input_format(path: str) -> str:
    """``jsonl``, ``csv``, ``parquet`` or ``txt`` (a folder of .txt files), from the path."""
    if path == STDIO:
        return "jsonl"
    p = Path(path)
    if p.is_dir():
        return "txt"
    if p.suffix.lower() == ".parquet":
        return "parquet"
    suffix = Path(path.removesuffix(".gz")).suffix.lower()
    if suffix not in _INPUT_SUFFIXES:
        raise DataError(
            f"{path}: unknown input type; use .jsonl, .csv, .parquet (text formats may end "
            "in .gz), a folder of .txt files, or - for JSONL on standard input"
        )
    return _INPUT_SUFFIXES[suffix]


def _open_binary(path: str) -> IO[bytes]:
    if path == STDIO:
        return sys.stdin.buffer
    if not Path(path).exists():
        raise DataError(f"{path}: input file not found")
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def make_record(
    line: int, obj: Any, text_fields: Sequence[str], id_field: str | None
) -> Row | Reject:
    """Check one parsed row and join its text fields; bad rows become a :class:`Reject`."""
    if not isinstance(obj, dict):
        return Reject(line, None, f"expected an object, got {type(obj).__name__}")
    raw_id = obj.get(id_field) if id_field else None
    row_id = str(raw_id) if raw_id is not None else f"line-{line}"
    if not row_id.isascii() and _SURROGATE.search(row_id):
        return Reject(line, None, f"field {id_field!r} {_NOT_UTF8}")
    present = [f for f in text_fields if f in obj and obj[f] is not None]
    if not present:
        return Reject(
            line,
            row_id,
            f"no text field {list(text_fields)}; the row has fields {sorted(obj)}",
        )
    parts = []
    for name in present:
        value = obj[name]
        if not isinstance(value, str):
            return Reject(line, row_id, f"field {name!r} is {type(value).__name__}, not text")
        if not value.isascii() and _SURROGATE.search(value):
            return Reject(line, row_id, f"field {name!r} {_NOT_UTF8}")
        value = value.strip()
        if value:
            parts.append(value)
    if not parts:
        return Reject(line, row_id, "empty text")
    return Row(line, row_id, "\n\n".join(parts))


def parse_jsonl_lines(
    first_line: int, lines: Iterable[bytes], text_fields: Sequence[str], id_field: str | None
) -> Iterator[Row | Reject]:
    """Rows of JSONL ``lines`` (bytes, without their newline), numbered from ``first_line``."""
    for line, raw in enumerate(lines, start=first_line):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            yield Reject(line, None, f"bytes that are not UTF-8 at column {err.start + 1}")
            continue
        if not text or text.isspace():
            yield Reject(line, None, "blank line")
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as err:
            yield Reject(line, None, f"malformed JSON ({err.msg} at column {err.colno})")
            continue
        yield make_record(line, obj, text_fields, id_field)


def read_jsonl_blocks(path: str, block_bytes: int = 1 << 22) -> Iterator[tuple[int, bytes]]:
    """``(first line number, block)`` pairs: the raw input cut at line ends into blocks of
    about ``block_bytes``, for workers to decode and parse."""
    line = 1
    rest = b""
    with _open_binary(path) as fh:
        while True:
            data = fh.read(block_bytes)
            if not data:
                break
            data = rest + data
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            block, rest = data[: cut + 1], data[cut + 1 :]
            yield line, block
            line += block.count(b"\n")
    if rest:
        yield line, rest


def block_lines(block: bytes) -> list[bytes]:
    """The lines of a block from :func:`read_jsonl_blocks` (as iterating a binary file)."""
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    return lines


def _read_jsonl(path: str, text_fields: Sequence[str], id_field: str | None) -> Iterator:
    for first, block in read_jsonl_blocks(path):
        yield from parse_jsonl_lines(first, block_lines(block), text_fields, id_field)


def _read_csv(path: str, text_fields: Sequence[str], id_field: str | None) -> Iterator:
    with _open_binary(path) as raw:
        fh = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.DictReader(fh)
        if reader.fieldnames is None:
            return
        if not any(f in reader.fieldnames for f in text_fields):
            raise DataError(
                f"{path}: no text column {list(text_fields)}; columns are {reader.fieldnames}"
            )
        for row in reader:
            line = reader.line_num
            if None in row:
                yield Reject(line, None, "more values than header columns")
                continue
            yield make_record(line, row, text_fields, id_field)


def _read_parquet(
    path: str, text_fields: Sequence[str], id_field: str | None, batch_size: int
) -> Iterator:
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as err:
        raise DataError(f"{path}: not a readable Parquet file ({err})") from err
    names = parquet.schema_arrow.names
    columns = [c for c in [*text_fields, id_field] if c and c in names]
    if not any(f in names for f in text_fields):
        raise DataError(f"{path}: no text column {list(text_fields)}; columns are {names}")
    line = 0
    for batch in parquet.iter_batches(batch_size=batch_size, columns=columns):
        for obj in batch.to_pylist():
            line += 1
            yield make_record(line, obj, text_fields, id_field)


def _read_txt_dir(path: str) -> Iterator:
    files = sorted(Path(path).rglob("*.txt"))
    for line, file in enumerate(files, start=1):
        try:
            text = file.read_bytes().decode("utf-8")
        except UnicodeDecodeError as err:
            yield Reject(line, file.stem, f"{file.name}: bytes that are not UTF-8 at {err.start}")
            continue
        if not text.strip():
            yield Reject(line, file.stem, f"{file.name}: empty text")
            continue
        yield Row(line, file.stem, text.strip())


def read_records(
    path: str,
    text_fields: Sequence[str] = ("title", "body"),
    id_field: str | None = "id",
    batch_size: int = 4096,
) -> Iterator[Row | Reject]:
    """Stream the rows of ``path`` (JSONL, CSV, Parquet, a folder of .txt, or ``-``)."""
    kind = input_format(path)
    if kind == "jsonl":
        return _read_jsonl(path, text_fields, id_field)
    if kind == "csv":
        return _read_csv(path, text_fields, id_field)
    if kind == "parquet":
        return _read_parquet(path, text_fields, id_field, batch_size)
    return _read_txt_dir(path)


# ---------------------------------------------------------------- writing


def output_format(path: str) -> str:
    """``jsonl``, ``csv`` or ``parquet`` from the output path; ``-`` is JSONL on stdout."""
    if path == STDIO:
        return "jsonl"
    name = path.lower().removesuffix(".gz")
    for suffix, kind in ((".jsonl", "jsonl"), (".json", "jsonl"), (".csv", "csv")):
        if name.endswith(suffix):
            return kind
    if path.lower().endswith(".parquet"):
        return "parquet"
    raise DataError(f"{path}: unknown output type; use .jsonl, .csv, .parquet or -")


# ---------------------------------------------------------------- tagging

ThresholdOverride = float | Mapping[str, float] | None


def resolve_thresholds(tagger: TopicTagger, threshold: ThresholdOverride) -> np.ndarray:
    """The model's per-label thresholds with ``threshold`` applied: one number for every
    label, or ``{label: value}`` for some labels (the others keep the model's)."""
    out = np.array(tagger.thresholds_, dtype=np.float64)
    if threshold is None:
        return out
    if not tagger.multilabel_:
        raise ConfigError(
            "threshold: this model is single-label (it always picks its best label); "
            "thresholds apply to multi-label models only"
        )
    if isinstance(threshold, Mapping):
        index = {name: i for i, name in enumerate(tagger.labels_)}
        unknown = sorted(set(threshold) - set(index))
        if unknown:
            raise ConfigError(
                f"threshold: unknown label(s) {unknown}; the model's labels are {tagger.labels_}"
            )
        for name, value in threshold.items():
            out[index[name]] = _number(value, f"threshold.{name}")
        return out
    out[:] = _number(threshold, "threshold")
    return out


def _number(value: Any, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}={value!r} is not a number") from None


@dataclass
class _Chunk:
    """What a worker returns for one task: counts, rejects and the formatted output."""

    read: int
    rejects: list[Reject]
    tagged: int
    counts: np.ndarray
    oov_sum: float
    oov_n: int
    payload: Any


@dataclass
class Tagged:
    """Labels and scores of a batch of texts, with the extras the options ask for."""

    labels: list[list[str]]
    scores: np.ndarray
    indicator: np.ndarray
    oov: np.ndarray | None
    explained: list[dict[str, list]] | None


class TaggingJob:
    """Everything a worker needs to tag texts and turn a chunk of input into output.

    Shared by the local engine (whole chunks, formatted for the output file) and the Spark
    engine (:meth:`tag` on each Arrow batch), so both give the same labels and scores.
    """

    def __init__(
        self,
        scorer: Scorer,
        kind: str,
        text_fields: Sequence[str],
        id_field: str | None,
        thresholds: np.ndarray,
        top_k: int | None,
        explain: int,
        oov: bool,
    ) -> None:
        self.scorer = scorer
        self.tagger = scorer.tagger
        self.kind = kind
        self.text_fields = list(text_fields)
        self.id_field = id_field
        self.thresholds = thresholds
        self.top_k = top_k
        self.explain = explain
        self.oov = oov and scorer.has_vocabulary
        self.score_columns = [f"score_{name}" for name in scorer.labels]
        self.columns = ["id", "labels", *self.score_columns]
        if self.oov:
            self.columns.append("oov_rate")
        if explain:
            self.columns.append("explain")
        # JSONL scores (6 decimals) and OOV rates (4) are written for the whole chunk at
        # once (classifier.formatting); this is each row's key before its number.
        self._score_keys = [
            (", " + json.dumps(c, ensure_ascii=False) + ": ").encode("utf-8")
            for c in self.score_columns
        ]

    def run(self, task: tuple[str, Any, Any]) -> _Chunk:
        kind, first, data = task
        if kind == "block":
            items = list(
                parse_jsonl_lines(first, block_lines(data), self.text_fields, self.id_field)
            )
        else:
            items = data
        rows = [item for item in items if isinstance(item, Row)]
        rejects = [item for item in items if isinstance(item, Reject)]
        counts = np.zeros(len(self.scorer.labels), dtype=np.int64)
        if not rows:
            return _Chunk(len(items), rejects, 0, counts, 0.0, 0, None)
        out = self.tag([r.text for r in rows])
        counts += out.indicator.sum(axis=0)
        payload = self._format([r.id for r in rows], out.labels, out.scores, out.oov, out.explained)
        oov_sum = float(out.oov.sum()) if out.oov is not None else 0.0
        return _Chunk(len(items), rejects, len(rows), counts, oov_sum, len(rows), payload)

    def tag(self, texts: Sequence[str]) -> Tagged:
        """Labels and scores of ``texts`` with the job's thresholds, top_k, explain and oov."""
        X, oov = self.scorer.transform(texts)
        scores = self.scorer.scores(X)
        indicator = self.tagger.indicator_from_scores(scores, self.thresholds)
        if self.top_k:
            indicator = _keep_top_k(indicator, scores, self.top_k)
        labels = self.tagger.labels_from_indicator(indicator)
        explained = self.scorer.explain(X, indicator, self.explain) if self.explain else None
        return Tagged(labels, scores, indicator, oov if self.oov else None, explained)

    def _format(self, ids, labels, scores, oov, explained) -> Any:
        if self.kind == "jsonl":
            return self._jsonl(ids, labels, scores, oov, explained)
        rounded = np.round(scores, 6)
        if self.kind == "parquet":
            return ids, labels, rounded, oov, explained
        text = io.StringIO()
        writer = csv.writer(text)
        for i, (row_id, row_labels, row_scores) in enumerate(
            zip(ids, labels, rounded.tolist(), strict=True)
        ):
            extra = []
            if self.oov:
                extra.append(round(float(oov[i]), 4))
            if explained is not None:
                extra.append(json.dumps(explained[i], ensure_ascii=False))
            writer.writerow([row_id, "|".join(row_labels), *row_scores, *extra])
        return text.getvalue().encode("utf-8")

    def _jsonl(self, ids, labels, scores, oov, explained) -> bytes:
        dumps = json.dumps
        score_text = fixed_point_rows(scores, self._score_keys, 6)
        oov_text = fixed_point_rows(oov[:, None], [b', "oov_rate": '], 4) if self.oov else None
        # The JSON of each distinct label list, made once: few lists recur in every chunk.
        label_json: dict[tuple[str, ...], str] = {}
        parts = []
        for i, (row_id, row_labels) in enumerate(zip(ids, labels, strict=True)):
            key = tuple(row_labels)
            if key not in label_json:
                label_json[key] = dumps(row_labels, ensure_ascii=False)
            # encode_basestring is what json.dumps(str, ensure_ascii=False) calls.
            head = f'{{"id": {encode_basestring(row_id)}, "labels": {label_json[key]}'
            parts += (head.encode("utf-8"), score_text[i])
            if oov_text is not None:
                parts.append(oov_text[i])
            if explained is not None:
                parts.append(b', "explain": ' + dumps(explained[i], ensure_ascii=False).encode())
            parts.append(b"}\n")
        return b"".join(parts)


def _keep_top_k(indicator: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Keep at most the ``k`` highest-scoring predicted labels of each row."""
    if k >= indicator.shape[1]:
        return indicator
    masked = np.where(indicator, scores, -np.inf)
    cut = np.partition(masked, -k, axis=1)[:, -k][:, None]
    keep = indicator & (masked >= cut)
    # Ties at the cut could keep more than k: drop the extra ones (highest column first).
    over = keep.sum(axis=1) > k
    for row in np.flatnonzero(over):
        best = np.argsort(-masked[row], kind="stable")[:k]
        keep[row] = False
        keep[row, best] = True
    return keep


def make_job(
    tagger: TopicTagger,
    kind: str,
    text_fields: Sequence[str],
    id_field: str | None,
    batch_size: int = 4096,
    on_error: str = "reject",
    top_k: int | None = None,
    threshold: ThresholdOverride = None,
    explain: int = 0,
    oov: bool = True,
) -> TaggingJob:
    """Check the prediction options (a clear error for each bad one) and build the job."""
    if on_error not in ("reject", "fail"):
        raise DataError(f"on_error={on_error!r} is not valid; choose 'reject' or 'fail'")
    if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
        raise ConfigError(f"top_k={top_k!r} must be a positive integer or null")
    if not isinstance(explain, int) or explain < 0:
        raise ConfigError(f"explain={explain!r} must be a number of terms (0: none)")
    if batch_size < 1:
        raise ConfigError(f"batch_size={batch_size} must be positive")
    scorer = Scorer(tagger)
    if explain and not scorer.linear:
        raise ConfigError("explain needs a linear model (coefficients per term)")
    thresholds = resolve_thresholds(tagger, threshold)
    return TaggingJob(scorer, kind, text_fields, id_field, thresholds, top_k, explain, oov)


def _run_chunk(job: TaggingJob, task: tuple[str, Any, Any]) -> _Chunk:
    return job.run(task)


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


class _Writer:
    """Writes the workers' output chunks (JSONL/CSV bytes, or arrays for Parquet)."""

    def __init__(self, job: TaggingJob, fh: IO[bytes]) -> None:
        self.job = job
        self.fh = fh
        self._parquet: pq.ParquetWriter | None = None
        if job.kind == "csv":
            text = io.StringIO()
            csv.writer(text).writerow(job.columns)
            fh.write(text.getvalue().encode("utf-8"))

    def write(self, payload: Any) -> None:
        if self.job.kind != "parquet":
            self.fh.write(payload)
            return
        ids, labels, scores, oov, explained = payload
        table = self._table(ids, labels, scores, oov, explained)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.fh, table.schema)
        self._parquet.write_table(table)

    def _table(self, ids, labels, scores, oov, explained) -> pa.Table:
        columns = {
            "id": pa.array(ids, pa.string()),
            "labels": pa.array(labels, pa.list_(pa.string())),
        }
        for j, name in enumerate(self.job.score_columns):
            columns[name] = pa.array(scores[:, j].astype(np.float32))
        if self.job.oov:
            columns["oov_rate"] = pa.array(np.asarray(oov, dtype=np.float32))
        if self.job.explain:
            columns["explain"] = pa.array(
                [json.dumps(e, ensure_ascii=False) for e in explained], pa.string()
            )
        return pa.table(columns)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        elif self.job.kind == "parquet":  # no rows: still a valid, empty Parquet file
            n = len(self.job.score_columns)
            empty = self._table([], [], np.zeros((0, n)), [], [])
            pq.write_table(empty, self.fh)


def default_rejects_path(output: str) -> str | None:
    """``out.csv`` -> ``out.rejects.jsonl``; None for standard output."""
    if output == STDIO:
        return None
    p = Path(output)
    return str(p.with_name(f"{p.name.split('.')[0]}.rejects.jsonl"))


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
    rate above ``oov_warning`` adds a warning
    to the summary.
    """
    kind = output_format(output_path)
    input_format(input_path)
    if workers not in BACKENDS:
        raise ConfigError(f"workers={workers!r} is not valid; choose one of {BACKENDS}")
    if input_path != STDIO and not Path(input_path).exists():
        raise DataError(f"{input_path}: input file not found")
    job = make_job(
        tagger, kind, text_fields, id_field, batch_size, on_error, top_k, threshold, explain, oov
    )
    rejects_path = rejects_path or default_rejects_path(output_path)
    summary = Summary(output=output_path, rejects=rejects_path)
    counts = np.zeros(len(tagger.labels_), dtype=np.int64)
    oov_sum, oov_n = 0.0, 0
    tasks = _tasks(input_path, text_fields, id_field, batch_size)

    def run(out: IO[bytes], rejects: IO[bytes]) -> None:
        nonlocal oov_sum, oov_n
        writer = _Writer(job, out)
        bar = tqdm(unit=" articles", disable=(not progress) if progress is not None else None)
        results = ordered_map(_run_chunk, job, tasks, resolve_n_jobs(n_jobs), workers)
        try:
            with bar:
                for chunk in results:
                    if chunk.rejects and on_error == "fail":
                        bad = chunk.rejects[0]
                        raise DataError(f"{input_path}:{bad.line}: {bad.reason}")
                    if chunk.rejects:
                        rejects.write(
                            "".join(
                                json.dumps({"line": r.line, "id": r.id, "reason": r.reason}) + "\n"
                                for r in chunk.rejects
                            ).encode("utf-8")
                        )
                    summary.read += chunk.read
                    summary.rejected += len(chunk.rejects)
                    summary.tagged += chunk.tagged
                    counts[:] += chunk.counts
                    oov_sum += chunk.oov_sum
                    oov_n += chunk.oov_n
                    if chunk.payload is not None:
                        writer.write(chunk.payload)
                    bar.update(chunk.read)
        finally:
            results.close()
        writer.close()

    if output_path == STDIO:
        # Rejects go to a file if one is named, else to standard error: never dropped.
        if rejects_path:
            with atomic_path(rejects_path) as rej_tmp, open(rej_tmp, "wb") as rej:
                run(sys.stdout.buffer, rej)
        else:
            run(sys.stdout.buffer, sys.stderr.buffer)
        sys.stdout.buffer.flush()
    else:
        with (
            atomic_path(output_path) as out_tmp,
            atomic_path(rejects_path) as rej_tmp,
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


def run_prediction(
    model: str,
    input: str,
    output: str,
    trust: bool = False,
    tracking_uri: str | None = None,
    engine: str = "local",
    spark: Mapping[str, Any] | None = None,
    **options: Any,
) -> Summary:
    """Load ``model`` (a joblib path or an MLflow URI) and tag ``input`` into ``output``;
    ``options`` are those of :func:`predict_file`.

    ``engine="spark"`` tags on Spark instead (:func:`classifier.spark.predict_spark`;
    ``spark`` holds ``master`` and ``app_name``).
    """
    if engine not in ("local", "spark"):
        raise ConfigError(f"engine={engine!r} is not valid; choose 'local' or 'spark'")
    if tracking_uri and is_mlflow_uri(model):  # a model file needs no MLflow (~1 s to import)
        import mlflow

        mlflow.set_tracking_uri(tracking_uri)
    loaded = load_model_uri(model, trust=trust)
    if engine == "spark":
        from classifier.spark import predict_spark

        return predict_spark(loaded.tagger, input, output, **options, **(spark or {}))
    return predict_file(loaded.tagger, input, output, **options)
