"""(c) A single-process loop with a MinHash library (rensa), run by the datatrove venv's Python
(rensa is installed there by the benchmark, never a project dependency).

    python library_loop.py INPUT WORK NGRAM BANDS ROWS THRESHOLD SEED

The same rule as fuzzy dedup, written the plain way: fuzzy dedup's word shingles (Python sets of
n-gram strings), a rensa ``RMinHash`` of ``BANDS x ROWS`` permutations per document, one dict per
band from band key to the first (smallest) id that had it, each candidate pair verified by the
true Jaccard of the two shingle sets, union-find keeping the smallest id of each component.
Documents are read in id order (the input's parts are id-sorted).

Prints one JSON line (seconds, removed count); writes WORK/groups.jsonl and WORK/removed_ids.txt.
"""

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import regex
from rensa import RMinHash

WORD = regex.compile(r"[\p{L}\p{M}\p{N}_]+")


def shingles(text: str, n: int) -> set[str]:
    words = WORD.findall(text.lower())
    if len(words) < n:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def main() -> None:
    src, work = Path(sys.argv[1]), Path(sys.argv[2])
    n, bands, rows = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    threshold, seed = float(sys.argv[6]), int(sys.argv[7])
    t0 = time.perf_counter()
    ids, sets = [], []
    buckets = [{} for _ in range(bands)]
    candidates = set()
    for path in sorted(src.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                s = shingles(rec["text"], n)
                i = len(ids)
                ids.append(rec["id"])
                sets.append(s)
                if not s:
                    continue
                m = RMinHash(num_perm=bands * rows, seed=seed)
                m.update(list(s))
                sig = m.digest()
                for b in range(bands):
                    first = buckets[b].setdefault(tuple(sig[b * rows : (b + 1) * rows]), i)
                    if first != i:
                        candidates.add((first, i))
    parent = list(range(len(ids)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    linked = 0
    for a, b in candidates:
        sa, sb = sets[a], sets[b]
        if len(sa & sb) >= threshold * len(sa | sb):
            linked += 1
            ra, rb = find(a), find(b)
            if ra != rb:  # ids are in sorted order: the smaller index is the smaller id
                parent[max(ra, rb)] = min(ra, rb)
    groups = defaultdict(list)
    for i in range(len(ids)):
        groups[find(i)].append(ids[i])
    seconds = time.perf_counter() - t0
    removed = [ids[i] for i in range(len(ids)) if find(i) != i]
    with open(work / "groups.jsonl", "w") as fh:
        for members in groups.values():
            if len(members) > 1:
                fh.write(json.dumps(sorted(members)) + "\n")
    (work / "removed_ids.txt").write_text("".join(r + "\n" for r in removed))
    print(json.dumps({"seconds": seconds, "removed": len(removed), "candidate_pairs":
                      len(candidates), "linked_pairs": linked}))  # fmt: skip


if __name__ == "__main__":
    main()
