"""Writers of the tagged output (JSONL/CSV bytes or Parquet tables) and the rejects path."""

from __future__ import annotations

import csv
import io
import json
from gzip import GzipFile
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from classifier.prediction.job import TaggingJob


class ChunkWriter:
    """Writes the workers' output chunks (JSONL bytes as a uint8 array, CSV bytes, or
    arrays for Parquet) to ``fh``, gzip-compressed with ``gzip``."""

    def __init__(self, job: TaggingJob, fh: IO[bytes], gzip: bool = False) -> None:
        self.job = job
        self._raw = fh
        self.fh: IO[bytes] = fh
        if gzip:  # no name and no time in the header: the same run gives the same bytes
            self.fh = GzipFile(filename="", mode="wb", fileobj=fh, compresslevel=6, mtime=0)
        self._parquet: pq.ParquetWriter | None = None
        if job.kind == "csv":
            text = io.StringIO()
            csv.writer(text).writerow(job.columns)
            self.fh.write(text.getvalue().encode("utf-8"))

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
        """Finish the file (Parquet footer, gzip trailer) and flush it: a full disk shows
        here, not later when the file is closed."""
        if self._parquet is not None:
            self._parquet.close()
        elif self.job.kind == "parquet":  # no rows: still a valid, empty Parquet file
            n = len(self.job.score_columns)
            empty = self._table([], [], np.zeros((0, n)), [], [])
            pq.write_table(empty, self.fh)
        if self.fh is not self._raw:
            self.fh.close()
        self._raw.flush()
