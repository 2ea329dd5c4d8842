"""Which text similarity finds hot spots (R35): TF-IDF cosine or MinHash, both on rjieba words.

Generates hotline requests the way a 12345 desk writes them — the desk's boilerplate around the
requester's words, several wordings of each matter, several matters per place and category (a lamp
that is out and a lamp that burns all day are both 路灯) — with the matter known, clusters each
place × category group with each method, and prints pairwise precision, recall and F1 against the
matters, and the time per text. The decision and the figures are in docs/statistics.md.

    .venv/bin/python bench/hotspot_text.py [--texts 30000] [--seed 7]

MinHash uses datasketch (MinHash + MinHashLSH, 128 permutations), the usual implementation; it
is not a dependency of Huiyin: `pip install --target /tmp/x datasketch` and PYTHONPATH=/tmp/x.
"""
import argparse
import random
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.statistics import similar

PREFIXES = [
    "", "市民来电反映：", "来电人反映，", "网友留言：", "群众通过微信扫码反映：", "网格员上报：",
    "市民来电称",
]
SUFFIXES = [
    "", "希望相关部门尽快处理。", "请尽快解决。", "望核实处理。", "希望尽快解决，谢谢。",
    "请相关部门协调处理。",
]
PLACES = [
    "{v}东头", "{v}三组", "{v}五组", "{v}村委会门口", "{v}小学附近", "{v}幸福小区5号楼", "{v}主街",
    "{v}南侧公路边", "{v}卫生所旁", "{v}文化广场",
]
TIMES = [
    "好几天了", "一个多星期了", "已经半个月", "从上周开始", "三天了", "近一个月",
]
#: category -> matter -> wordings ({p} place, {t} how long)
MATTERS = {
    "lamp": {
        "out": [
            "{p}路灯不亮{t}，晚上出行不便", "{p}的路灯坏了{t}，夜里一片漆黑",
            "{p}几盏路灯损坏不亮，老人孩子走夜路很危险", "{p}晚上黑灯瞎火，路灯{t}没亮过",
            "{p}路灯不亮，夜间行人摔倒",
        ],
        "always_on": [
            "{p}路灯白天也亮着，浪费电", "{p}的路灯{t}全天常亮不关", "{p}大白天路灯一直开着，太浪费了",
        ],
        "pole": [
            "{p}路灯杆倾斜，随时可能倒下", "{p}一根路灯杆被车撞歪了，存在安全隐患",
            "{p}路灯杆底座锈断，杆子歪了",
        ],
    },
    "garbage": {
        "piles": [
            "{p}垃圾堆积{t}没人清运，气味难闻", "{p}垃圾箱满了{t}无人清理，苍蝇很多",
            "{p}生活垃圾没有及时清运，臭味很大", "{p}垃圾堆成了小山，夏天发臭",
        ],
        "burning": [
            "{p}有人焚烧垃圾，浓烟呛人", "{p}每天晚上烧秸秆和垃圾，烟雾很大",
            "{p}露天焚烧垃圾，空气污染严重",
        ],
    },
    "water": {
        "outage": [
            "{p}停水{t}，没有提前通知", "{p}自来水{t}断断续续，生活用水困难",
            "{p}家里没水{t}，做饭都成问题", "{p}突然停水，一直没有恢复供水",
        ],
        "dirty": [
            "{p}自来水发黄有异味，不敢饮用", "{p}水龙头放出来的水浑浊发黄", "{p}自来水有很重的铁锈味",
        ],
        "leak": [
            "{p}地下水管破裂，水流了一地", "{p}供水管道爆裂，路面积水结冰", "{p}自来水管漏水{t}没人修",
        ],
    },
    "heating": {
        "cold": [
            "{p}暖气不热，室内温度只有十二度", "{p}供暖{t}了家里暖气还是凉的",
            "{p}暖气片不热，老人冻得受不了", "{p}室温达不到标准，暖气温度太低",
        ],
        "fee": [
            "{p}供暖费收费标准不合理，要求说明", "{p}没有供暖却被收取取暖费",
            "{p}取暖费多收了，要求退还",
        ],
    },
    "noise": {
        "construction": [
            "{p}工地夜间施工噪音扰民，晚上睡不着觉", "{p}附近工地半夜还在施工，机器声音很大",
            "{p}建筑工地深夜作业噪声太大",
        ],
        "dancing": [
            "{p}广场舞音响声音太大，影响休息", "{p}每天晚上跳广场舞放音乐到十点，噪音扰民",
            "{p}广场舞音乐声太吵",
        ],
    },
    "road": {
        "potholes": [
            "{p}路面坑洼不平，车辆通行困难", "{p}道路破损严重，下雨天全是水坑",
            "{p}的路坑坑洼洼{t}没人修", "{p}路面塌陷出现大坑",
        ],
        "manhole": [
            "{p}井盖丢失，行人容易掉下去", "{p}一个下水井盖破损，存在安全隐患",
            "{p}井盖缺失{t}无人处理",
        ],
    },
    "wages": {
        "arrears": [
            "{p}工地拖欠农民工工资{t}，多次讨要无果", "{p}施工单位欠我们工资不给",
            "{p}包工头拖欠工人工资两个月", "{p}项目拖欠务工人员工资",
        ],
    },
}
VILLAGES = [
    "兴隆村", "前进村", "胜利村", "红旗社区", "幸福社区", "光明村", "新华社区", "东风村", "和平社区",
    "团结村",
]


def corpus(n: int, rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(group, matter, place, text): each village has a few hot matters and a spread of others."""
    rows = []
    hot = {v: [(rng.choice(list(MATTERS)), None) for _ in range(3)] for v in VILLAGES}
    for _ in range(n):
        village = rng.choice(VILLAGES)
        category = rng.choice(hot[village])[0] if rng.random() < 0.5 else rng.choice(list(MATTERS))
        matter = rng.choice(list(MATTERS[category]))
        place = rng.choice(PLACES).format(v=village if rng.random() < 0.7 else "")
        text = rng.choice(MATTERS[category][matter]).format(p=place, t=rng.choice(TIMES))
        text = rng.choice(PREFIXES) + text + ("，" if rng.random() < 0.5 else "。") + rng.choice(SUFFIXES)
        rows.append((f"{village}/{category}", matter, place, text))
    return rows


def scores(groups: dict[str, list[int]], truth: list[str], found: dict[int, int]) -> tuple[float, ...]:
    """Pairwise precision, recall and F1 within the groups: a pair is 'together' in the truth when
    it is the same matter, and found together when it is in the same cluster."""
    tp = fp = fn = 0
    for members in groups.values():
        for a, b in combinations(members, 2):
            same, together = truth[a] == truth[b], found[a] == found[b]
            tp += same and together
            fp += together and not same
            fn += same and not together
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def tfidf(texts, groups, threshold):
    found, start = {}, time.perf_counter()
    vectors = similar.vectors(texts)
    for key, members in groups.items():
        for number, cluster in enumerate(similar.clusters([vectors[i] for i in members], threshold)):
            for index in cluster:
                found[members[index]] = hash((key, number))
    return found, time.perf_counter() - start


def _root(parent: dict, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def minhash(texts, groups, threshold):
    from datasketch import MinHash, MinHashLSH

    found, start = {}, time.perf_counter()
    hashes = []
    for text in texts:
        m = MinHash(num_perm=128)
        m.update_batch([w.encode() for w in similar.distinct(text)])
        hashes.append(m)
    for key, members in groups.items():
        lsh = MinHashLSH(threshold=threshold, num_perm=128)
        parent = {i: i for i in members}
        for i in members:
            for j in lsh.query(hashes[i]):
                parent[_root(parent, i)] = _root(parent, j)
            lsh.insert(i, hashes[i])
        for i in members:
            found[i] = hash((key, _root(parent, i)))
    return found, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    rows = corpus(options.texts, random.Random(options.seed))
    texts, truth = [r[3] for r in rows], [r[1] for r in rows]
    groups = defaultdict(list)
    for index, row in enumerate(rows):
        groups[row[0]].append(index)
    similar.words("预热 warm up")  # the dictionary loads once per process
    print(f"{len(texts)} texts, {len(groups)} place × category groups, e.g. {texts[0]!r}")
    print(f"{'method':<10}{'threshold':>10}{'precision':>11}{'recall':>8}{'F1':>7}{'µs/text':>9}")
    methods = [("tf-idf", tfidf, (0.2, 0.25, 0.3, 0.35, 0.4))]
    try:
        import datasketch  # noqa: F401

        methods.append(("minhash", minhash, (0.3, 0.5, 0.7, 0.8)))
    except ImportError:
        print("(datasketch is not installed: MinHash skipped)")
    for name, method, thresholds in methods:
        for threshold in thresholds:
            found, seconds = method(texts, groups, threshold)
            precision, recall, f1 = scores(groups, truth, found)
            print(f"{name:<10}{threshold:>10}{precision:>11.3f}{recall:>8.3f}{f1:>7.3f}"
                  f"{1e6 * seconds / len(texts):>9.1f}")


if __name__ == "__main__":
    main()
