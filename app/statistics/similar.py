"""Similar request texts, for hot spots (R35): Chinese word segmentation (rjieba, the Rust port of
jieba), the words and their characters weighed by TF-IDF, cosine similarity, and each group's
texts clustered around centroids.

Why TF-IDF and not MinHash (measured with bench/hotspot_text.py, docs/statistics.md): requests are
short (a title and a few sentences) and full of the hotline's own words (市民来电反映, 希望尽快处理);
TF-IDF weighs those down by how common they are, MinHash's Jaccard counts them like any other
word, so two different matters written the same way look alike and one matter in two wordings
does not. Clustering is one pass in case order: a text joins the cluster whose centroid it is most
similar to (at least SIMILAR), else starts one; a centroid is the normalised sum of its members,
so one in-between text cannot chain two matters together as single linkage would.
"""
import math
import re
import sys
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, repeat
from operator import add, methodcaller, mul

import rjieba

from app.search.words import normal

#: Cosine similarity (0–1) from which a text belongs to a cluster (measured: docs/statistics.md).
SIMILAR = 0.25
#: Function words and the hotline's boilerplate: they say nothing about the matter.
STOPWORDS = frozenset((
    "的", "了", "是", "在", "和", "与", "及", "或", "也", "都", "就", "很", "太", "请", "把", "被", "给",
    "有", "没", "没有", "我", "我们", "你", "他", "她", "它", "他们", "这", "那", "这个", "那个", "这里",
    "那里", "一个", "啊", "吧", "呢", "吗", "着", "过", "又", "还", "等", "对", "从", "到", "让", "能",
    "要", "会", "可以", "希望", "反映", "诉求", "市民", "来电", "来电人", "网友", "留言", "问题", "情况",
    "尽快", "处理", "解决", "相关", "部门", "单位", "予以", "进行", "核实", "协调", "帮助", "帮忙",
    "一下", "已经", "现在", "目前", "一直", "关于", "因为", "所以", "但是", "如果", "由于", "以及",
    "并且", "而且", "然后", "其中", "这些", "那些", "什么", "怎么", "为什么", "能否", "是否", "无人",
    "感谢", "谢谢", "您好", "你好", "某", "该", "其"
))
_MEANINGFUL = re.compile(r"[^\W\d_]", re.UNICODE)  # a letter or a CJK character


def words(text: str) -> list[str]:
    """The words of a text that can say what it is about: no punctuation, digits or stopwords."""
    return [w for w in rjieba.cut(normal(text)) if _MEANINGFUL.search(w) and w not in STOPWORDS]


#: Texts whose features (_bag) a process keeps (measured: 100,000 texts about 90 MB).
FEATURES_CACHED = 100_000
#: Marks a character feature, apart from a one-character word.
CHARACTER = "#"
_is_character = methodcaller("startswith", CHARACTER)


def features(text: str) -> tuple[str, ...]:
    """The words, and the characters of the longer ones: different wordings of one matter share
    characters where the segmenter cut them into different words (路灯不亮: 路/灯不亮; 损坏, 坏了).
    Interned, so a text's bag (_bag, kept per text) costs tuples of references."""
    found = words(text)
    characters = [CHARACTER + char for word in found if len(word) > 1 for char in word]
    return tuple(map(sys.intern, found + characters))


@lru_cache(maxsize=FEATURES_CACHED)
def _bag(text: str) -> tuple[tuple[str, ...], tuple[float, ...], int]:
    """A text's distinct features (its words before its characters), their sublinear term
    frequencies (1 + log count) and how many are words. Kept per text: a leader looks at the same
    month again and again, texts do not change, and segmentation is most of the time of a month
    seen the first time."""
    counts = Counter(features(text))
    names = tuple(sorted(counts, key=_is_character))  # stable: features() lists the words first
    tfs = tuple(_TF[counts[name]] if counts[name] < len(_TF) else _tf(counts[name]) for name in names)
    return names, tfs, sum(not _is_character(name) for name in names)


def distinct(text: str) -> tuple[str, ...]:
    """A text's distinct features, from its kept bag (for another measure than TF-IDF to compare)."""
    return _bag(text)[0]


def _tf(count: int) -> float:
    return 1.0 + math.log(count) if count > 1 else 1.0


#: The common term frequencies, shared by all the bags kept rather than a float object each.
_TF = tuple(_tf(count) for count in range(64))


Vector = dict[str, float]
#: A vector as clustering reads it: its features (words first), their weights, how many are words.
Weighted = tuple[tuple[str, ...], Sequence[float], int]


def weighted(texts: Sequence[str]) -> list[Weighted]:
    """Unit-length TF-IDF vectors (sublinear tf, smoothed idf) over the texts given together.

    Written with map and zip rather than per-word Python loops: a city's month is 80,000 texts
    of some 50 features each, and this is on the hot spot request's path."""
    bags = [_bag(text) for text in texts]
    frequency = Counter(chain.from_iterable(bag[0] for bag in bags))
    n, log = len(bags), math.log
    idf = {word: log((1 + n) / (1 + df)) + 1.0 for word, df in frequency.items()}
    weigh = idf.__getitem__
    found = []
    for names, tfs, words_count in bags:
        weights = list(map(mul, map(weigh, names), tfs))
        scale = 1.0 / (math.sqrt(sum(map(mul, weights, weights))) or 1.0)
        found.append((names, list(map(mul, weights, repeat(scale, len(weights)))), words_count))
    return found


def vectors(texts: Sequence[str]) -> list[Vector]:
    """The texts' weighted() vectors as dicts of feature and weight."""
    return [dict(zip(names, weights, strict=True)) for names, weights, _ in weighted(texts)]


def clusters(items: Sequence[Vector], similar: float = SIMILAR) -> list[list[int]]:
    """Indexes of `items` (as vectors() makes them) per cluster, in the order given (each
    cluster's first member first)."""
    found = []
    for vector in items:
        names = tuple(vector)
        found.append((names, tuple(vector.values()), bisect_left(names, True, key=_is_character)))
    return [cluster.members for cluster in clustered(found, similar)]


@dataclass
class Cluster:
    """A cluster's members (indexes), the sum of their vectors, that sum's squared norm and norm,
    and its words (which index it)."""

    members: list[int]
    total: dict[str, float]
    square: float
    norm: float
    words: set[str]


def clustered(items: Sequence[Weighted], similar: float = SIMILAR) -> list[Cluster]:
    """The clusters of `items` (as weighted() makes them: unit length, words first), in the order
    of their first members.

    A text joins the cluster whose centroid it is most similar to (at least `similar`), else
    starts one. A cluster's words (not its characters) index it, so a text is compared only with
    the clusters it shares a word with. Sums and squared norms are updated with each member, with
    map and zip rather than per-word Python loops: a city's month is 80,000 texts of some 50
    features each, and this is most of a hot spot request's time."""
    found: list[Cluster] = []
    by_word: dict[str, set[int]] = {}
    no_clusters = repeat(())
    zeros = repeat(0.0)
    for index, (names, weights, words_count) in enumerate(items):
        indexed = names[:words_count]
        candidates = set().union(*map(by_word.get, indexed, no_clusters))
        best, best_score, best_old, best_dot = None, 0.0, None, 0.0
        for number in sorted(candidates):
            cluster = found[number]
            old = list(map(cluster.total.get, names, zeros))
            dot = sum(map(mul, weights, old))
            score = dot / cluster.norm
            if score >= similar and score > best_score:
                best, best_score, best_old, best_dot = number, score, old, dot
        if best is None:
            best = len(found)
            square = sum(map(mul, weights, weights))
            found.append(Cluster([index], dict(zip(names, weights, strict=True)), square,
                                 math.sqrt(square) or 1.0, set(indexed)))
            for word in indexed:
                by_word.setdefault(word, set()).add(best)
            continue
        cluster = found[best]
        cluster.total.update(zip(names, map(add, best_old, weights), strict=True))
        cluster.square += 2.0 * best_dot + (1.0 if names else 0.0)  # |s + v|² = |s|² + 2 s·v + |v|²
        cluster.norm = math.sqrt(cluster.square) or 1.0
        cluster.members.append(index)
        if not cluster.words.issuperset(indexed):
            for word in set(indexed).difference(cluster.words):
                cluster.words.add(word)
                by_word.setdefault(word, set()).add(best)
    return found


def heaviest(total: Vector, count: int = 5) -> list[str]:
    """The heaviest words (not characters) of a sum of vectors."""
    ranked = sorted(((word, weight) for word, weight in total.items() if word[0] != CHARACTER),
                    key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked[:count]]


def keywords(items: Sequence[Vector], count: int = 5) -> list[str]:
    """The heaviest words of the items' centroid: what a cluster is about, at a glance."""
    total: Counter = Counter()
    for vector in items:
        total.update(vector)
    return heaviest(total, count)
