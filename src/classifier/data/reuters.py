"""Reuters-21578 read from its SGML distribution (22 ``reut2-*.sgm`` files, Latin-1).

The ModApte split keeps stories with ``TOPICS="YES"`` and ``LEWISSPLIT`` TRAIN or TEST. The
SGML is regular (one ``<REUTERS ...>`` element per story, no nesting beyond the fields used
here), so a few regular expressions read the whole corpus in about a second; an SGML
parser would add a dependency for no gain.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from classifier.data.corpus import Corpus, Split
from classifier.data.records import TextFields, article_text
from classifier.errors import ConfigError, DataError

SUBSETS = ("r90", "r10", "all")
# A story is read as a row of title and body; a model trained on it reads new articles so.
READ_AS = TextFields(("title", "body"))
N_FILES = 22
FETCH_HINT = (
    "run `python -m classifier.data fetch reuters21578` "
    "(or add `--from path/to/reuters21578.tar.gz` for a local copy)"
)

_STORY = re.compile(r"<REUTERS([^>]*)>(.*?)</REUTERS>", re.S)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_TOPICS = re.compile(r"<TOPICS>(.*?)</TOPICS>", re.S)
_D = re.compile(r"<D>(.*?)</D>", re.S)
_TEXT = re.compile(r"<TEXT([^>]*)>(.*?)</TEXT>", re.S)
_TITLE = re.compile(r"<TITLE>(.*?)</TITLE>", re.S)
_BODY = re.compile(r"<BODY>(.*?)</BODY>", re.S)
_TAG = re.compile(r"<[^>]+>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ReutersStory:
    """One ``<REUTERS>`` element: its ids, split attributes, topics and text."""

    newid: str
    lewissplit: str
    topics_attr: str
    topics: list[str]
    title: str
    body: str

    @property
    def text(self) -> str:
        """Title and body as any article's text (:func:`article_text`; either may be missing)."""
        return article_text({"title": self.title, "body": self.body}, READ_AS.fields)


def _clean(raw: str) -> str:
    """Unescape entities (``&lt;``, ``&#3;``) and drop control characters and stray tags."""
    text = html.unescape(_TAG.sub(" ", raw))
    return _CONTROL.sub(" ", text).strip()


def parse_sgml(path: Path) -> Iterator[ReutersStory]:
    """Stories of one ``reut2-NNN.sgm`` file, in file order."""
    content = Path(path).read_text(encoding="latin-1")
    for match in _STORY.finditer(content):
        attrs = dict(_ATTR.findall(match.group(1)))
        inner = match.group(2)
        topics_block = _TOPICS.search(inner)
        topics = [t.strip() for t in _D.findall(topics_block.group(1))] if topics_block else []
        text_match = _TEXT.search(inner)
        text = text_match.group(2) if text_match else ""
        title_match, body_match = _TITLE.search(text), _BODY.search(text)
        if title_match or body_match:
            title = _clean(title_match.group(1)) if title_match else ""
            body = _clean(body_match.group(1)) if body_match else ""
        else:  # TYPE="BRIEF" / "UNPROC": the text has no TITLE or BODY element
            title, body = "", _clean(text)
        yield ReutersStory(
            newid=attrs.get("NEWID", ""),
            lewissplit=attrs.get("LEWISSPLIT", ""),
            topics_attr=attrs.get("TOPICS", ""),
            topics=topics,
            title=title,
            body=body,
        )


def sgml_files(raw_dir: Path) -> list[Path]:
    """The 22 SGML files of the distribution, or a DataError saying how to get them."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise DataError(f"{raw_dir}: Reuters-21578 not found; {FETCH_HINT}")
    files = sorted(raw_dir.glob("reut2-*.sgm"))
    if len(files) != N_FILES:
        raise DataError(
            f"{raw_dir}: found {len(files)} of the {N_FILES} reut2-*.sgm files; {FETCH_HINT}"
        )
    return files


def select_labels(train: list[ReutersStory], test: list[ReutersStory], subset: str) -> set[str]:
    """The categories of ``subset``: ``all``; ``r90`` (at least one training and one test
    story); ``r10`` (the ten with the most training stories)."""
    train_counts = Counter(t for s in train for t in s.topics)
    test_counts = Counter(t for s in test for t in s.topics)
    if subset == "all":
        return set(train_counts) | set(test_counts)
    if subset == "r90":
        return {t for t in train_counts if test_counts[t] > 0}
    if subset == "r10":
        return {t for t, _ in train_counts.most_common(10)}
    raise ConfigError(f"data.subset={subset!r} is not valid; choose one of {list(SUBSETS)}")


def load_reuters(
    raw_dir: str | Path = "data/raw/reuters21578", subset: str = "r90", name: str = "reuters21578"
) -> Corpus:
    """The ModApte split of Reuters-21578 restricted to the categories of ``subset``.

    Topics outside the subset are removed from each story, and a story left with no topic
    is dropped, as in the literature's "90 categories" counts (7,769 training and 3,019
    test stories for r90).
    """
    if subset not in SUBSETS:
        raise ConfigError(f"data.subset={subset!r} is not valid; choose one of {list(SUBSETS)}")
    stories = [s for path in sgml_files(Path(raw_dir)) for s in parse_sgml(path)]
    modapte = [s for s in stories if s.topics_attr == "YES"]
    train = [s for s in modapte if s.lewissplit == "TRAIN"]
    test = [s for s in modapte if s.lewissplit == "TEST"]
    keep = select_labels(train, test, subset)

    def to_split(part: list[ReutersStory]) -> Split:
        ids, texts, labels = [], [], []
        for story in part:
            topics = sorted({t for t in story.topics if t in keep})
            if topics:
                ids.append(f"reuters-{story.newid}")
                texts.append(story.text)
                labels.append(topics)
        return Split(ids, texts, labels)

    return Corpus(
        name,
        str(raw_dir),
        to_split(train),
        to_split(test),
        {"subset": subset, "n_labels": len(keep)},
        READ_AS,
    )
