import warnings

import joblib
import pytest
from sklearn.svm import LinearSVC

from classifier.errors import ModelFileError
from classifier.model.persistence import load_model, load_model_uri, manifest_path, save_model
from classifier.model.signing import sign_file
from classifier.model.tagger import TopicTagger


@pytest.fixture(scope="module")
def tagger(synthetic):
    texts, labels = synthetic
    return TopicTagger(LinearSVC()).fit(texts, labels)


def test_round_trip_keeps_predictions_and_metadata(tmp_path, tagger, synthetic):
    path = save_model(tagger, tmp_path / "m" / "model.joblib", {"mlflow_run_id": "abc"})
    loaded = load_model(path)
    texts = synthetic[0][:20]
    assert loaded.tagger.predict(texts) == tagger.predict(texts)
    meta = loaded.metadata
    assert meta["mlflow_run_id"] == "abc"
    assert meta["labels"] == tagger.labels_
    assert len(meta["thresholds"]) == len(tagger.labels_)
    assert meta["preprocess"]["lowercase"] is True
    assert "scikit-learn" in meta["versions"]
    # Only the model and its manifest: no temporary files left behind.
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "model.joblib",
        "model.joblib.manifest.json",
    ]


def test_changed_file_is_refused(tmp_path, tagger):
    path = save_model(tagger, tmp_path / "model.joblib", {})
    with open(path, "ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ModelFileError, match="does not match its manifest"):
        load_model(path)


def test_missing_manifest_is_refused_unless_trusted(tmp_path, tagger):
    path = save_model(tagger, tmp_path / "model.joblib", {})
    manifest_path(path).unlink()
    with pytest.raises(ModelFileError, match="no manifest"):
        load_model(path)
    assert load_model(path, trust=True).tagger.labels_ == tagger.labels_


def test_other_joblib_files_are_not_models(tmp_path):
    path = tmp_path / "other.joblib"
    joblib.dump({"weights": [1, 2, 3]}, path)
    with pytest.raises(ModelFileError, match="not a model written by classifier"):
        load_model(path, trust=True)
    (tmp_path / "text.joblib").write_text("hello")
    with pytest.raises(ModelFileError, match="not a readable joblib model"):
        load_model(tmp_path / "text.joblib", trust=True)
    with pytest.raises(ModelFileError, match="not found"):
        load_model_uri(str(tmp_path / "missing.joblib"))


def test_other_scikit_learn_version_warns_with_both_versions(tmp_path, tagger):
    path = save_model(tagger, tmp_path / "model.joblib", {})
    bundle = joblib.load(path)
    bundle["metadata"]["versions"]["scikit-learn"] = "0.0.1"
    joblib.dump(bundle, path)
    sign_file(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_model(path)
    assert any("0.0.1" in str(w.message) and "loaded with" in str(w.message) for w in caught)


def test_skops_format_round_trip_without_pickle(tmp_path, tagger, synthetic):
    path = save_model(tagger, tmp_path / "model.joblib", {"note": "safe"}, fmt="skops")
    assert path.name == "model.skops"
    assert manifest_path(path).is_file()
    loaded = load_model(path)
    assert loaded.tagger.predict(synthetic[0][:10]) == tagger.predict(synthetic[0][:10])
    assert loaded.metadata["note"] == "safe"


def test_skops_file_with_an_untrusted_type_is_refused(tmp_path):
    import fractions

    import skops.io

    path = tmp_path / "evil.skops"
    skops.io.dump({"format": "classifier-model", "x": fractions.Fraction(1, 3)}, path)
    with pytest.raises(ModelFileError, match=r"not trusted: \['fractions.Fraction'\]"):
        load_model(path, trust=True)


def test_vocabulary_is_stored_packed_and_loads_as_the_same_dict(tmp_path, tagger):
    vectorizer = tagger.transformer_.steps[-1][1]
    before = vectorizer.vocabulary_
    path = save_model(tagger, tmp_path / "model.joblib", {})
    # Saving changes nothing of the tagger it is given.
    assert vectorizer.vocabulary_ is before and type(before) is dict
    loaded = load_model(path).tagger.transformer_.steps[-1][1].vocabulary_
    assert type(loaded) is dict and loaded == before
    assert list(loaded.items()) == list(before.items())


def test_packed_vocabulary_keeps_non_ascii_terms():
    from classifier.model.persistence import _PackedVocabulary

    vocabulary = {"énergie": 2, "東京 株": 0, "a b": 1, "ß": 3, "": 4}
    function, args = _PackedVocabulary(vocabulary).__reduce__()
    assert function(*args) == vocabulary


def test_format_version_1_files_still_load(tmp_path, tagger, synthetic):
    path = tmp_path / "old.joblib"
    bundle = {"format": "classifier-model", "format_version": 1, "tagger": tagger}
    joblib.dump({**bundle, "metadata": {}}, path, compress=3)
    assert load_model(path, trust=True).tagger.predict(synthetic[0][:5]) == tagger.predict(
        synthetic[0][:5]
    )


def test_vocabularies_inside_a_feature_union_are_packed_too(tmp_path, synthetic):
    from classifier.model.features import build_features
    from classifier.model.persistence import _packed, _PackedVocabulary

    texts, labels = synthetic
    features = build_features(word={"min_df": 1}, char={"ngram_range": [2, 3]})
    tagger = TopicTagger(LinearSVC(), features=features).fit(texts, labels)
    union = tagger.transformer_.steps[-1][1]
    packed_union = _packed(tagger).transformer_.steps[-1][1]
    assert all(type(v.vocabulary_) is _PackedVocabulary for _, v in packed_union.transformer_list)
    assert all(type(v.vocabulary_) is dict for _, v in union.transformer_list)
    loaded = load_model(save_model(tagger, tmp_path / "model.joblib", {})).tagger
    assert loaded.predict(texts[:20]) == tagger.predict(texts[:20])
    loaded_union = loaded.transformer_.steps[-1][1]
    pairs = zip(union.transformer_list, loaded_union.transformer_list, strict=True)
    for (_, old), (_, new) in pairs:
        assert type(new.vocabulary_) is dict and new.vocabulary_ == old.vocabulary_
