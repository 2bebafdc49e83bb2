import subprocess
import sys

from classifier.cli import unknown_choice
from tests.helpers import tmp_paths


def test_unknown_group_option_names_the_valid_choices(repo):
    message = unknown_choice(["model=svm"], repo / "conf")
    assert message == ("unknown model 'svm'; choose one of: complement_nb, linear_svc, logreg, sgd")
    assert unknown_choice(["model=logreg,foo"], repo / "conf").startswith("unknown model 'foo'")
    assert unknown_choice(["model=logreg", "model.C=3", "seed=1"], repo / "conf") is None
    assert unknown_choice(["experiment=null"], repo / "conf") is None


def test_train_py_exits_2_with_one_line(repo, tmp_path):
    result = subprocess.run(
        [sys.executable, str(repo / "train.py"), *tmp_paths(tmp_path), "features=bag_of_words"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: unknown features 'bag_of_words'; choose one of: hashing, tfidf, tfidf_char"
    ]


def test_impossible_ngram_range_exits_2_without_traceback(repo, tmp_path, mlflow_uri):
    result = subprocess.run(
        [
            sys.executable,
            str(repo / "train.py"),
            *tmp_paths(tmp_path),
            "features.word.ngram_range=[3,1]",
            f"data.path={repo / 'data' / 'demo'}",
            f"mlflow.tracking_uri={mlflow_uri}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: features.word.ngram_range=[3, 1] is impossible: need 1 <= min <= max"
    )


def test_missing_label_field_exits_2(repo, tmp_path, mlflow_uri):
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "a", "topic": "x"}\n' * 5)
    result = subprocess.run(
        [
            sys.executable,
            str(repo / "train.py"),
            *tmp_paths(tmp_path),
            "data=files",
            f"data.train_path={data}",
            "data.text_fields=[text]",
            "data.label_field=topics",
            f"mlflow.tracking_uri={mlflow_uri}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "['topics'] not found; the data has fields ['text', 'topic']" in result.stderr
