"""Batch tagging on Spark (``predict.py engine=spark``): same model, same scores, more machines.

The driver loads and verifies the model file once, checks the options and broadcasts the
fitted tagger; each executor tags Arrow batches with ``mapInPandas`` through the local
engine's :class:`~classifier.prediction.job.TaggingJob` (thresholds, top_k, explain, OOV rate),
so labels and scores are those of the local engine. Rows are checked by the local engine's
:func:`~classifier.data.records.make_record`, so the same rows are rejected for the same
reasons. Output is a Parquet directory written by Spark.

Atomicity: Spark writes into a temporary directory beside the output (``_tmp-<output>-…``);
it is renamed to the output name only after every task succeeded, with the Hadoop file
system API, so the same holds on HDFS or object stores that support rename. Rejects go to
``<output name>.rejects`` (a Parquet directory of ``id``, ``reason``, ``source``), written
the same way; there are no line numbers, since Spark reads a file in parallel splits.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from classifier.data.formats import require
from classifier.data.readers import check_columns
from classifier.data.records import (
    DEFAULT_FIELDS,
    FieldCheck,
    Reject,
    Row,
    TextFields,
    make_record,
)
from classifier.errors import ConfigError, DataError
from classifier.model.scoring import Scorer
from classifier.model.tagger import TopicTagger
from classifier.prediction.job import TaggingJob, make_job
from classifier.prediction.local import Summary
from classifier.prediction.options import DEFAULT_OPTIONS, PredictOptions

REJECT_COLUMN = "_reject"
SOURCE_COLUMN = "_source"
TEXT_FROM_COLUMN = "_text_from"
# Rows the driver reads first to check that the input has the text fields.
FIRST_ROWS = 1000


def spark_session(master: str | None = None, app_name: str = "classifier-predict") -> Any:
    """The active SparkSession, or a new one (``master`` null: spark-submit's or local[*])."""
    try:
        from pyspark import SparkConf
        from pyspark.sql import SparkSession
    except ImportError as err:  # pragma: no cover - the [spark] extra is installed by make
        raise ConfigError("engine=spark needs PySpark: pip install 'classifier[spark]'") from err
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    effective = master or SparkConf().get("spark.master", None) or "local[*]"
    if effective.startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        # Local workers run this interpreter (the one with the package installed), not
        # whatever python3 is first on PATH; PySpark reads only the environment variable.
        # On a cluster, spark-submit's settings decide.
        os.environ["PYSPARK_PYTHON"] = sys.executable
    return builder.getOrCreate()


def _output_schema(job: TaggingJob) -> str:
    """The columns of the local engine's Parquet output, then the reject bookkeeping."""
    scores = ", ".join(f"`{name}` float" for name in job.score_columns)
    extra = (", oov_rate float" if job.oov else "") + (", explain string" if job.explain else "")
    return (
        f"id string, labels array<string>, {scores}{extra}, "
        f"{REJECT_COLUMN} string, {SOURCE_COLUMN} string, {TEXT_FROM_COLUMN} string"
    )


def _parse(kind: str, frame: pd.DataFrame, fields: TextFields) -> list:
    """Rows or Rejects of one batch, checked exactly as the local engine checks them."""
    out: list[Row | Reject | tuple[Reject, str]] = []
    if kind == "jsonl":
        for raw in frame["value"].tolist():
            if raw is None or not raw.strip():
                out.append((Reject(0, None, "blank line"), ""))
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as err:
                reason = f"malformed JSON ({err.msg} at column {err.colno})"
                out.append((Reject(0, None, reason), raw[:200]))
                continue
            out.append(make_record(0, obj, fields))
    else:  # pandas' missing values (NaN) count as missing, as None does locally
        for obj in frame.to_dict("records"):
            out.append(make_record(0, obj, fields))
    return out


def tag_batches(
    batches: Iterator[pd.DataFrame], job: TaggingJob, kind: str
) -> Iterator[pd.DataFrame]:
    """Tag pandas batches (the ``mapInPandas`` function): one output row per input row,
    with ``_reject`` set (and no labels) for rows that cannot be tagged."""
    for frame in batches:
        items = _parse(kind, frame, job.fields)
        rows = [(i, it) for i, it in enumerate(items) if isinstance(it, Row)]
        n = len(items)
        scores = np.zeros((n, len(job.score_columns)), dtype=np.float32)
        oov = np.zeros(n, dtype=np.float32)
        explained: list[str | None] = [None] * n
        labels: list[list[str] | None] = [None] * n
        ids: list[str | None] = [None] * n
        reasons: list[str | None] = [None] * n
        sources: list[str | None] = [None] * n
        text_from: list[str | None] = [None] * n
        if rows:
            tagged = job.tag([r.text for _, r in rows])
            where = [i for i, _ in rows]
            for k, (i, row) in enumerate(rows):
                ids[i], labels[i], text_from[i] = row.id, tagged.labels[k], row.source
                if tagged.explained is not None:
                    explained[i] = json.dumps(tagged.explained[k], ensure_ascii=False)
            # Rounded as the local engine rounds before writing float32 Parquet columns.
            scores[where] = np.round(tagged.scores, 6).astype(np.float32)
            if tagged.oov is not None:
                oov[where] = tagged.oov
        for i, item in enumerate(items):
            if isinstance(item, Row):
                continue
            if isinstance(item, Reject):
                reject = item
            else:  # a malformed line: (Reject, its text)
                reject, sources[i] = item
            ids[i] = None if reject.id is None or reject.id.startswith("line-") else reject.id
            reasons[i] = reject.reason
        out = pd.DataFrame({"id": ids, "labels": labels})
        for j, name in enumerate(job.score_columns):
            out[name] = scores[:, j]
        if job.oov:
            out["oov_rate"] = oov
        if job.explain:
            out["explain"] = explained
        out[REJECT_COLUMN] = reasons
        out[SOURCE_COLUMN] = sources
        out[TEXT_FROM_COLUMN] = text_from
        yield out


# The job of the current run in this Python worker: Spark reuses workers across tasks, and
# building the scorer (stacking the coefficients) once per worker, not per partition, saves
# seconds per task with a large model.
_EXECUTOR_JOB: dict[str, TaggingJob] = {}


def _executor_job(run_key: str, model: Any, options: tuple) -> TaggingJob:
    """The run's :class:`TaggingJob` in this worker, built from the broadcast tagger once."""
    job = _EXECUTOR_JOB.get(run_key)
    if job is None:
        fields, thresholds, top_k, explain, oov = options
        job = TaggingJob(Scorer(model.value), "parquet", fields, thresholds, top_k, explain, oov)
        _EXECUTOR_JOB.clear()  # one model at a time
        _EXECUTOR_JOB[run_key] = job
    return job


def _read(spark: Any, path: str, kind: str, fields: TextFields):
    """The input as a DataFrame, after checking on the driver that it has the text fields
    (Parquet: its columns; JSONL: its first rows), as the local engine checks them."""
    if kind == "jsonl":
        # Lines as text: JSON is parsed in Python by the local engine's checks, so a bad
        # line becomes a reject with the same reason instead of a Spark-specific null row.
        frame = spark.read.text(path)
        check = FieldCheck(fields)
        first = _parse(kind, frame.limit(FIRST_ROWS).toPandas(), fields)
        if check.update(item for item in first if type(item) is not tuple):  # (Reject, line)
            raise DataError(check.error(path))
        return frame
    frame = spark.read.parquet(path)
    check_columns(path, frame.columns, fields)
    wanted = [*fields.fields, fields.fallback, fields.id_field]
    return frame.select(*[c for c in dict.fromkeys(wanted) if c and c in frame.columns])


def _hadoop_fs(spark: Any, path: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    return hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), hpath


def _write_atomic(spark: Any, frame: Any, path: str) -> None:
    """Write ``frame`` as Parquet under a temporary name, then rename it to ``path``."""
    parent = str(PurePosixPath(path).parent)
    tmp = f"{parent}/_tmp-{PurePosixPath(path).name}-{uuid.uuid4().hex[:8]}"
    fs, target = _hadoop_fs(spark, path)
    _, staging = _hadoop_fs(spark, tmp)
    try:
        frame.write.mode("errorifexists").parquet(tmp)
        if fs.exists(target):
            fs.delete(target, True)
        if not fs.rename(staging, target):
            raise DataError(f"{path}: cannot rename the finished output into place")
    finally:
        if fs.exists(staging):
            fs.delete(staging, True)


def rejects_dir(output: str) -> str:
    """``out.parquet`` -> ``out.rejects``, ``run.v2.parquet`` -> ``run.v2.rejects``, beside
    the output."""
    # String operations, not a path object: "hdfs:///x" must keep its three slashes.
    base = output.rstrip("/")
    stem = base[: -len(".parquet")] if base.lower().endswith(".parquet") else base
    return f"{stem}.rejects"


def predict_spark(
    tagger: TopicTagger,
    input_path: str,
    output_path: str,
    options: PredictOptions = DEFAULT_OPTIONS,
    model_fields: TextFields = DEFAULT_FIELDS,
) -> Summary:
    """Tag ``input_path`` (JSONL or Parquet) on Spark into the Parquet directory ``output_path``.

    The options and fields are those of :func:`~classifier.prediction.local.predict_file`;
    Spark's executors and its console progress take the place of ``n_jobs``, ``workers``
    and ``progress`` (:meth:`PredictOptions.unsupported` names them when set).
    """
    from pyspark import StorageLevel

    kind = require(input_path, ("jsonl", "parquet"), ("gz", "bz2"), "engine=spark input").kind
    if "://" not in input_path and not Path(input_path).exists():
        raise DataError(f"{input_path}: input file not found")
    if not output_path.lower().rstrip("/").endswith(".parquet"):
        raise DataError(f"{output_path}: engine=spark writes Parquet; name the output *.parquet")
    if options.scores != "all":
        raise ConfigError("scores=predicted is for engine=local; Spark writes every score")
    # Checked on the driver, so a bad option fails before Spark starts any task.
    fields = options.text_fields_for(model_fields)
    job = make_job(tagger, "parquet", options, fields)
    spark = spark_session(options.spark.master, options.spark.app_name)
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(options.batch_size))
    frame = _read(spark, input_path, kind, fields)
    model = spark.sparkContext.broadcast(tagger)
    settings = (fields, job.thresholds, options.top_k, options.explain, options.oov)
    run_key = uuid.uuid4().hex

    def tag(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        yield from tag_batches(batches, _executor_job(run_key, model, settings), kind)

    scored = frame.mapInPandas(tag, _output_schema(job))
    # Output and rejects are two writes of one scoring pass: keep it rather than tag twice.
    scored = scored.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        summary = _write_outputs(spark, scored, job, input_path, output_path, options)
    finally:
        scored.unpersist()
        model.destroy()
    return summary


def _write_outputs(
    spark: Any,
    scored: Any,
    job: TaggingJob,
    input_path: str,
    output_path: str,
    options: PredictOptions,
) -> Summary:
    """Count the scored rows, write the output and the rejects, and sum up the run."""
    from pyspark.sql import functions as F

    ok = F.col(REJECT_COLUMN).isNull().alias("ok")
    aggregates = [F.count(F.lit(1)).alias("count")]
    if job.oov:
        aggregates.append(F.sum("oov_rate").alias("oov_sum"))
    counts = scored.groupBy(ok, TEXT_FROM_COLUMN).agg(*aggregates).collect()
    summary = Summary(read=sum(row["count"] for row in counts))
    summary.tagged = sum(row["count"] for row in counts if row["ok"])
    summary.rejected = summary.read - summary.tagged
    sources = Counter({row[TEXT_FROM_COLUMN]: row["count"] for row in counts if row["ok"]})
    summary.count_sources(sources, job.fields)
    rejects_path = options.rejects or rejects_dir(output_path)
    bad = scored.where(F.col(REJECT_COLUMN).isNotNull())
    if summary.rejected and options.on_error == "fail":
        first = bad.first()
        raise DataError(f"{input_path}: row id={first['id']}: {first[REJECT_COLUMN]}")
    extra = (REJECT_COLUMN, SOURCE_COLUMN, TEXT_FROM_COLUMN)
    good = scored.where(F.col(REJECT_COLUMN).isNull()).drop(*extra)
    _write_atomic(spark, good, output_path)
    summary.output = output_path
    if summary.rejected:
        rejects = bad.select(
            "id",
            F.col(REJECT_COLUMN).alias("reason"),
            F.col(SOURCE_COLUMN).alias("source"),
        )
        _write_atomic(spark, rejects, rejects_path)
        summary.rejects = rejects_path
    label_rows = good.select(F.explode("labels").alias("label")).groupBy("label").count()
    found = {row["label"]: row["count"] for row in label_rows.collect()}
    summary.label_counts = {name: int(found.get(name, 0)) for name in job.scorer.labels}
    if job.oov and summary.tagged:
        oov_sum = sum(row["oov_sum"] or 0.0 for row in counts if row["ok"])
        summary.set_oov_mean(oov_sum / summary.tagged, options.oov_warning)
    return summary
