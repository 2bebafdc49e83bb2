"""The options of a prediction run, checked once and handed to either engine.

:class:`PredictOptions` holds every setting of ``conf/predict.yaml`` except the model and
the input and output paths. It is built once (:meth:`PredictOptions.from_config`) and
checked when built (a one-line :class:`~classifier.errors.ConfigError` per bad value); the
local engine (:func:`~classifier.prediction.local.predict_file`) and the Spark engine
(:func:`~classifier.prediction.spark.predict_spark`) read the same object. An option an
engine cannot honour is named by :meth:`PredictOptions.unsupported`, and the run warns
rather than drop it in silence. Checks that need the model (threshold labels, ``explain``
on a non-linear model) are made when the job is built from it
(:func:`~classifier.prediction.job.make_job`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from omegaconf import DictConfig, OmegaConf

from classifier.data.records import TextFields, fields_to_read
from classifier.errors import ConfigError
from classifier.prediction.workers import BACKENDS

OnError = Literal["reject", "fail"]
ThresholdOverride = float | Mapping[str, float] | None
ENGINES = ("local", "spark")
# Score columns: every label's, or only the predicted labels' (one "scores" list).
SCORES = ("all", "predicted")
# What each engine does in place of the local engine's options it has no use for.
_SPARK_INSTEAD = {
    "n_jobs": "Spark's executors set the parallelism",
    "workers": "Spark's executors set the parallelism",
    "progress": "Spark shows its own progress",
}


@dataclass(frozen=True)
class SparkOptions:
    """Settings of the Spark engine: ``master`` (null: spark-submit's, else ``local[*]``)."""

    master: str | None = None
    app_name: str = "classifier-predict"


# One field per option of conf/predict.yaml (16, more than the usual ~8): a flat record
# mirrors the file users edit option by option. The defaults are the file's.
@dataclass(frozen=True)
class PredictOptions:
    """How to read, tag and write articles (see ``conf/predict.yaml`` for each option).

    ``text_fields`` and ``id_field`` left None mean the model's own (those it was trained
    with, :func:`~classifier.data.records.model_fields`); set, they win over the model's.
    """

    text_fields: tuple[str, ...] | None = None
    id_field: str | None = None
    batch_size: int = 4096
    on_error: OnError = "reject"
    rejects: str | None = None
    top_k: int | None = None
    threshold: ThresholdOverride = None
    explain: int = 0
    oov: bool = True
    oov_warning: float = 0.2
    scores: str = "all"
    progress: bool | None = None
    n_jobs: int | None = -1
    workers: str = "threads"
    engine: str = "local"
    spark: SparkOptions = field(default_factory=SparkOptions)

    def __post_init__(self) -> None:
        if self.text_fields is not None:
            names = (self.text_fields,) if isinstance(self.text_fields, str) else self.text_fields
            names = tuple(names)
            if not names or not all(isinstance(n, str) and n for n in names):
                raise ConfigError(f"text_fields={list(names)} must be a list of field names")
            object.__setattr__(self, "text_fields", names)
        if isinstance(self.spark, Mapping):
            object.__setattr__(self, "spark", SparkOptions(**self.spark))
        _check_choice("on_error", self.on_error, ("reject", "fail"))
        _check_choice("workers", self.workers, BACKENDS)
        _check_choice("engine", self.engine, ENGINES)
        _check_choice("scores", self.scores, SCORES)
        if not _is_int(self.batch_size) or self.batch_size < 1:
            raise ConfigError(f"batch_size={self.batch_size!r} must be a positive integer")
        if self.top_k is not None and (not _is_int(self.top_k) or self.top_k < 1):
            raise ConfigError(f"top_k={self.top_k!r} must be a positive integer or null")
        if not _is_int(self.explain) or self.explain < 0:
            raise ConfigError(f"explain={self.explain!r} must be a number of terms (0: none)")
        if self.n_jobs is not None and (not _is_int(self.n_jobs) or self.n_jobs == 0):
            raise ConfigError(f"n_jobs={self.n_jobs!r} must be a non-zero integer (-1: all cores)")
        if not isinstance(self.oov_warning, int | float) or isinstance(self.oov_warning, bool):
            raise ConfigError(f"oov_warning={self.oov_warning!r} must be a number")
        for name in ("oov", "progress"):
            value = getattr(self, name)
            if not (isinstance(value, bool) or (name == "progress" and value is None)):
                raise ConfigError(f"{name}={value!r} must be true or false")

    @classmethod
    def from_config(cls, cfg: DictConfig | Mapping[str, Any]) -> PredictOptions:
        """The options of a composed ``conf/predict.yaml`` (other keys are not options)."""
        plain = OmegaConf.to_container(cfg, resolve=True) if OmegaConf.is_config(cfg) else cfg
        values = {f.name: plain[f.name] for f in fields(cls) if f.name in plain}
        if isinstance(values.get("text_fields"), list):
            values["text_fields"] = tuple(values["text_fields"])
        return cls(**values)

    def text_fields_for(self, model: TextFields) -> TextFields:
        """The fields to read: the model's, with these options' overrides
        (:func:`~classifier.data.records.fields_to_read`)."""
        return fields_to_read(model, self.text_fields, self.id_field)

    def unsupported(self, engine: str | None = None) -> list[str]:
        """Warnings for the options set away from their defaults that ``engine`` (default:
        the chosen one) cannot honour."""
        engine = engine or self.engine
        default = DEFAULT_OPTIONS
        if engine == "spark":
            return [
                f"engine=spark does not use {name}={getattr(self, name)!r}: {instead}"
                for name, instead in _SPARK_INSTEAD.items()
                if getattr(self, name) != getattr(default, name)
            ]
        if self.spark != default.spark:
            return ["engine=local does not use the spark settings (spark.master, spark.app_name)"]
        return []


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name}={value!r} is not valid; choose one of {list(choices)}")


DEFAULT_OPTIONS = PredictOptions()
