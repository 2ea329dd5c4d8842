"""Similar texts for hot spots (app/statistics/similar.py): the fast clustering (sums and squared
norms kept per cluster, vectors as tuples) finds what the plain definition of docs/statistics.md
finds — each text joins the most similar centroid at SIMILAR or more among the clusters it shares
a word with, else starts one."""
import math

from app.statistics import similar

TEXTS = [
    "路灯不亮（福兴社区）\n福兴社区3号楼门前路灯不亮，晚上出行不便。",
    "路灯坏了\n福兴社区3号楼前面的路灯坏了好几天，一到晚上黑灯瞎火。",
    "路灯白天一直亮着\n福兴社区广场的路灯白天也亮着，浪费电。",
    "暖气不热\n家里暖气温度只有十几度，老人孩子受不了。",
    "供暖温度低\n暖气不热，室内温度只有十几度。",
    "占道经营\n早市摊贩占道经营，车辆和行人无法通行。",
    "#c#编程 路灯不亮\n3号楼门前路灯不亮。",
    "暖气不热\n家里暖气温度只有十几度，老人孩子受不了。",
]


def plain_clusters(items: list[dict[str, float]], threshold: float = similar.SIMILAR) -> list[list[int]]:
    """The definition, with each centroid's norm computed from scratch."""
    sums, members = [], []
    for index, vector in enumerate(items):
        words = {word for word in vector if word[0] != similar.CHARACTER}
        best, best_score = None, 0.0
        for number, total in enumerate(sums):
            if not words & {word for word in total if word[0] != similar.CHARACTER}:
                continue
            norm = math.sqrt(sum(w * w for w in total.values())) or 1.0
            score = sum(w * total.get(word, 0.0) for word, w in vector.items()) / norm
            if score >= threshold and score > best_score:
                best, best_score = number, score
        if best is None:
            best = len(sums)
            sums.append({})
            members.append([])
        for word, weight in vector.items():
            sums[best][word] = sums[best].get(word, 0.0) + weight
        members[best].append(index)
    return members


def test_clusters_are_those_of_the_definition_at_every_threshold():
    vectors = similar.vectors(TEXTS * 3)
    for threshold in (0.1, 0.25, 0.4, 0.7):
        assert similar.clusters(vectors, threshold) == plain_clusters(vectors, threshold)
    assert len(similar.clusters(vectors)) < len(vectors)


def test_a_cluster_keeps_its_sum_its_norm_and_its_keywords():
    items = similar.weighted(TEXTS * 3)
    vectors = similar.vectors(TEXTS * 3)
    for cluster in similar.clustered(items):
        exact = math.sqrt(sum(w * w for w in cluster.total.values()))
        assert math.isclose(cluster.norm, exact, rel_tol=1e-12)
        assert similar.heaviest(cluster.total) == similar.keywords([vectors[i] for i in cluster.members])


def test_a_vector_lists_its_words_before_its_characters():
    for names, _, words_count in similar.weighted(TEXTS):
        kinds = [name.startswith(similar.CHARACTER) for name in names]
        assert kinds == sorted(kinds)
        assert words_count == kinds.count(False)
