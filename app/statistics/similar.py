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
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import rjieba

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
    normal = unicodedata.normalize("NFKC", text or "").lower()
    return [w for w in rjieba.cut(normal) if _MEANINGFUL.search(w) and w not in STOPWORDS]


#: Texts whose features a process keeps (a city's quarter of requests, about 40 MB).
FEATURES_CACHED = 100_000
#: Marks a character feature, apart from a one-character word.
CHARACTER = "#"


@lru_cache(maxsize=FEATURES_CACHED)
def features(text: str) -> tuple[str, ...]:
    """The words, and the characters of the longer ones: different wordings of one matter share
    characters where the segmenter cut them into different words (路灯不亮: 路/灯不亮; 损坏, 坏了).
    Kept per text (interned, so a text costs a tuple of references): a leader looks at the same
    month again and again, and texts do not change."""
    found = words(text)
    characters = [CHARACTER + char for word in found if len(word) > 1 for char in word]
    return tuple(map(sys.intern, found + characters))


Vector = dict[str, float]


def vectors(texts: Sequence[str]) -> list[Vector]:
    """Unit-length TF-IDF vectors (sublinear tf, smoothed idf) over the texts given together."""
    bags = [Counter(features(text)) for text in texts]
    frequency: Counter = Counter()
    for bag in bags:
        frequency.update(bag.keys())
    n, log = len(bags), math.log
    idf = {word: log((1 + n) / (1 + df)) + 1.0 for word, df in frequency.items()}
    found = []
    for bag in bags:
        weights = {word: idf[word] * (1.0 + log(count)) if count > 1 else idf[word]
                   for word, count in bag.items()}
        scale = 1.0 / (math.sqrt(sum(w * w for w in weights.values())) or 1.0)
        found.append({word: w * scale for word, w in weights.items()})
    return found


def _cosine(vector: Vector, centroid: Vector, centroid_norm: float) -> float:
    return sum(weight * centroid.get(word, 0.0) for word, weight in vector.items()) / centroid_norm


def clusters(items: Sequence[Vector], similar: float = SIMILAR) -> list[list[int]]:
    """Indexes of `items` per cluster, in the order given (each cluster's first member first).

    A cluster keeps the sum of its members' vectors; its words (not its characters) index it, so a
    text is compared only with the clusters it shares a word with."""
    sums: list[dict[str, float]] = []
    norms: list[float] = []
    members: list[list[int]] = []
    by_word: dict[str, set[int]] = {}
    for index, vector in enumerate(items):
        candidates = set().union(*(by_word.get(word, ()) for word in vector if word[0] != CHARACTER))
        best, best_score = None, 0.0
        for cluster in sorted(candidates):
            score = _cosine(vector, sums[cluster], norms[cluster])
            if score >= similar and score > best_score:
                best, best_score = cluster, score
        if best is None:
            best = len(members)
            sums.append({})
            norms.append(0.0)
            members.append([])
        total = sums[best]
        for word, weight in vector.items():
            total[word] = total.get(word, 0.0) + weight
            if word[0] != CHARACTER:
                by_word.setdefault(word, set()).add(best)
        norms[best] = math.sqrt(sum(w * w for w in total.values())) or 1.0
        members[best].append(index)
    return members


def keywords(items: Sequence[Vector], count: int = 5) -> list[str]:
    """The heaviest words of the items' centroid: what a cluster is about, at a glance."""
    total: Counter = Counter()
    for vector in items:
        total.update(vector)
    ranked = sorted(total.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked if not word.startswith(CHARACTER)][:count]
