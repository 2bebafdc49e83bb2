"""Label audit: where a person's labelling time is best spent.

Owns the ranking of likely label errors from out-of-fold scores (``label_errors``), exact
and near duplicates within and across splits (``duplicates``), the label pairs the model
confuses most (``confusions``), the audit's files and MLflow run (``report``, ``run``)
and the choice of unlabelled articles to label next (``selection``, ``label_next``).

It may import ``classifier.data``, the training code (corpus loading, tagger set-up and
out-of-fold scores in ``crossval``), the tagger, cleaning, persistence, tracking and the
shared helpers (``atomic``, ``errors``); nothing else in the package imports it, except
``classifier.evaluation``, which reports ``confusions`` too.
"""
