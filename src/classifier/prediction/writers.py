"""Writers of the tagged output (JSONL/CSV bytes or Parquet tables) and the rejects path."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from classifier.data.formats import STDIO
from classifier.prediction.job import TaggingJob


class ChunkWriter:
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
        if self.job.scores == "predicted":
            columns["scores"] = (
                scores if isinstance(scores, pa.Array) else pa.array(scores, pa.list_(pa.float32()))
            )
        else:
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
