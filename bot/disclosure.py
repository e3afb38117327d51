"""Disclosure control for published feedback and needs aggregates.

The people counted may be undocumented, trafficked or living with an abuser, so no published
number may single anyone out. Every table goes through `publish`, which combines two methods.

Cell key perturbation (as in the ABS TableBuilder and the Eurostat/SDC cell key method)
    Each stored record carries `rkey`, drawn uniformly from [0, 2**32) when it is written
    (`new_record_key`), unrelated to the person. A cell's cell key is the sum of its records'
    rkeys mod 2**32, cut to one of BUCKETS=256 buckets (`cell_key`: the top 8 bits). The noise is
    looked up in a fixed table, ptable[min(count, k + 2)][bucket] (`ptable`), and the published
    value is max(0, count + noise) (`perturb`). The same set of records therefore always gets the
    same noise, in whatever query it appears: asking again, or through another route to the same
    set, yields the same number, so noise cannot be averaged away by repetition. An empty cell has
    no key and stays 0. Totals are perturbed cells of their own (count and rkey sum of all records
    of the query), never the sum of the published cells.

    The ptable, for threshold k (rows are distributions over 256 buckets, laid out in order):

    * count 0: noise 0 (zero stays zero);
    * 1 <= count < k: the value becomes 0 or k, k with probability ~count/k (so ~unbiased), never
      the count itself. `publish` suppresses these cells anyway; the row only keeps `perturb` safe
      if it is ever called directly;
    * count >= k + 2: noise -2, -1, 0, +1, +2 on 20, 60, 96, 60, 20 buckets (mean exactly 0,
      variance ~1.1);
    * count == k and k + 1: the same row clamped so that the value stays >= k, i.e. the value is
      max(k, count + noise): k gets 0, +1, +2 on 176, 60, 20 buckets (mean +0.39) and k + 1
      gets -1, 0, +1, +2 on 80, 96, 60, 20 (mean +0.08).

    So for counts >= k the noise is within -2..+2, with mean 0 from k + 2 on, and a count >= k
    is never published below k: a published number never looks like a small cell, and each
    published value is consistent with at least three true counts (k <- k, k+1, k+2; v >= k+4
    <- v-2..v+2). The small upward bias at k and k + 1 is the chosen price: narrowing the noise
    near k instead (0 at k, -1..+1 at k + 1) would keep the mean at 0 but make the differencing
    attack below conclusive ten times as often (5.9% of attempts instead of 0.6%). The weights
    keep the tails light: heavier ones (38, 51, 78, 51, 38) blur single values a little more
    but let a differencing attacker be certain 3.6 times as often.

Threshold and secondary suppression
    A cell with 0 < count < k is published as {"count": null, "suppressed": true}. Zero cells
    are published as 0: they are not secret. Then, over the cross-table of the requested
    dimensions, every group whose sum can be learnt from published numbers is checked: the whole
    table (its sum is the total) and, with two or more dimensions, every one-dimensional slice
    (row, column, ...; its sum is another query's perturbed marginal, so treated as approximately
    known). While a group holds exactly one suppressed cell, or only suppressed cells of count 1
    (their sum would fix each of them, a suppressed cell being known to be >= 1), its smallest
    non-zero unsuppressed cell is suppressed too, until nothing changes. A sub-table of any size
    holding exactly one suppressed cell would have a slice holding exactly one, so slices cover
    all sub-tables. With two dimensions every primary cell is then audited against an attacker
    who knows every row and column sum exactly: it must lie on a cycle of suppressed cells along
    which 1 can be moved (alternately +1 and -1, each -1 cell >= 2), and if it does not, the
    cheapest such cycle (least count newly hidden) is completed by suppressing more.

What is guaranteed
    * No cell with 0 < count < k is ever published, and no published count is below k.
    * No suppressed cell's count can be derived exactly from a published table. Secondary
      suppression alone ensures this against an attacker who knew the exact total and the exact
      value of every published cell: every group holds no suppressed cell, or two or more not
      all equal to 1, so moving 1 between two of them fits everything as well. With two
      dimensions every cell below k also resists exact row and column sums, wherever the zero
      pattern allows it. On top of that the total and every cell are independently perturbed,
      so "total minus the published cells" does not even give the exact sum of the suppressed
      cells. The exceptions are structural, see the limits.
    * Differencing (two overlapping queries whose difference A minus B has d < k records, e.g.
      two periods, or "all countries" vs "all but one"): perturbed(A) - perturbed(B) is
      d + noise(A) - noise(B); the two noises are independent (A's key is B's key plus the
      unknown rkeys of the difference), each within -2..+2. Take the strongest attacker, who
      also knows 1 <= d <= k - 1 (the small group's own cell shows as suppressed). For every d
      the published differences overlap those of d - 1 and d + 1; for 1 < d < k - 1 every
      pair can also come from another d' in 1..k-1, so the count is never certain. d = 1 and
      d = k - 1 become certain in one case each: the two noises at opposite extremes (A
      published 3 below B, or k + 3 above it), probability (20/256)**2 ~ 0.6% per pair of
      queries. A Bayes-optimal guess of d in 1..4 (k = 5) is right 45% of the time (blind: 25%)
      and >= 90% sure 0.3% of the time. No bounded ptable avoids the extreme cases (the lowest
      and highest reachable differences each come from one d only), which is why the weights
      put little mass on -2 and +2. The tests check these properties exactly over the ptable and
      build, for random record sets, other record sets with another small difference that
      publish the very same pair.
    * With k = 2 a suppressed cell is known to hold exactly 1: use k >= 3 (the default is 5).

Limits (the accepted trade-off of the TableBuilder approach)
    * Approximate inference within the noise range remains possible: a suppressed cell can be
      bracketed from totals and marginals, give or take a few.
    * Bounded noise can pin values at its extremes: when independent noises all sit at their
      limits, interval reasoning across several queries can narrow a count further. Secondary
      suppression covers the worst case of that (exact sums) within one table.
    * Many different queries that difference the same small group against different record sets
      each give an independent noisy view of it; enough of them let an attacker average. Limit
      who can run ad-hoc queries, log queries, and prefer fixed, pre-defined tables.
    * The exact-sums audit is done for one and two dimensions; with three or more, the slice rule
      and perturbation are the protection.
    * When a group's non-zero cells are all suppressed already and are either one cell or all
      of count 1, nothing is left to add. For one cell the group's sum is that cell's count,
      below k for a primary cell and so suppressed wherever it would be published (for the
      whole table the total is null). For cells all of count 1 only the perturbation of the
      total (the same in any query) hides that; its noise of -2 (20 in 256) gives it away.
    * In two dimensions, zeros often leave no cycle through a small cell even if everything
      were suppressed (a 2 x 2 table with one zero is enough); exact row and column sums would
      then fix it, and the perturbation of every published number is the only protection.
      This is common in sparse tables: prefer fewer, coarser dimensions for small populations.
    * Keep k fixed for a deployment: rows k and k+1 of the ptable depend on it, so publishing the
      same records under two values of k gives two views of counts near the threshold.
"""

from __future__ import annotations

import heapq
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

KEY_SPACE = 2**32
BUCKETS = 256
DEFAULT_K = 5
MAX_NOISE = 2  # |noise| for counts >= k
# (noise, number of buckets) for counts >= k + 2: sums to BUCKETS and is symmetric, so the
# mean noise is exactly 0. Counts k and k + 1 use the same row clamped to stay >= k.
FULL_NOISE = ((-2, 20), (-1, 60), (0, 96), (1, 60), (2, 20))

Key = tuple[str | None, ...]


@dataclass(frozen=True)
class BaseCell:
    """What SQL GROUP BY returns: the dimension values, COUNT(*) and SUM(rkey)."""

    key: Key
    count: int
    rkey_sum: int


@dataclass(frozen=True)
class PublishedCell:
    key: Key
    count: int | None  # None when suppressed
    suppressed: bool


@dataclass(frozen=True)
class PublishedTable:
    k: int
    dimensions: tuple[str, ...]
    cells: tuple[PublishedCell, ...]
    total: int | None  # perturbed total; None if the total itself is below k

    def as_dict(self) -> dict:
        return {
            "k": self.k,
            "dimensions": list(self.dimensions),
            "cells": [{**dict(zip(self.dimensions, c.key, strict=True)), "count": c.count,
                       "suppressed": c.suppressed} for c in self.cells],
            "total": self.total,
        }


def new_record_key() -> int:
    """The random key stored with each record when it is written."""
    return secrets.randbelow(KEY_SPACE)


def cell_key(rkey_sum: int) -> int:
    """The bucket in [0, BUCKETS) of a set of records: top bits of (sum of rkeys) mod 2**32."""
    return (int(rkey_sum) % KEY_SPACE) * BUCKETS // KEY_SPACE


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, not {k!r}")


def _layout(weights: Iterable[tuple[int, int]]) -> tuple[int, ...]:
    row = tuple(noise for noise, n in sorted(weights) for _ in range(n))
    assert len(row) == BUCKETS
    return row


@lru_cache(maxsize=32)
def ptable(k: int = DEFAULT_K) -> tuple[tuple[int, ...], ...]:
    """The perturbation table for threshold k: row min(count, k + 2), column cell_key -> noise."""
    _check_k(k)
    rows = [(0,) * BUCKETS]
    for c in range(1, k):
        up = round(c * BUCKETS / k)  # buckets sending c to k; the rest send it to 0
        rows.append(_layout(((-c, BUCKETS - up), (k - c, up))))
    full = _layout(FULL_NOISE)
    assert sum(full) == 0 and max(map(abs, full)) <= MAX_NOISE
    rows.append(tuple(max(0, n) for n in full))  # count k: never below k
    rows.append(tuple(max(-1, n) for n in full))  # count k + 1
    rows.append(full)
    return tuple(rows)


def perturb(count: int, rkey_sum: int, k: int = DEFAULT_K) -> int:
    """The published value of a set of `count` records whose rkeys sum to `rkey_sum`."""
    if count < 0:
        raise ValueError("count must be >= 0")
    if count == 0:
        return 0
    table = ptable(k)
    return max(0, count + table[min(count, len(table) - 1)][cell_key(rkey_sum)])


def _order(key: Key) -> tuple:
    return tuple((v is None, "" if v is None else str(v)) for v in key)


def _groups(keys: list[Key], nonzero: list[int], ndims: int) -> list[list[int]]:
    """Cell groups whose sums are (approximately) inferable: the table and every 1-D slice."""
    groups: list[list[int]] = []
    if ndims >= 2:
        for d in range(ndims):
            slices: dict[Key, list[int]] = defaultdict(list)
            for i in nonzero:
                slices[keys[i][:d] + keys[i][d + 1:]].append(i)
            groups.extend(slices.values())
    groups.append(list(nonzero))  # the whole table last: covers found in rows and columns also cover it
    return groups


def _needs_cover(group: list[int], counts: list[int], suppressed: set[int]) -> bool:
    hidden = [i for i in group if i in suppressed]
    return len(hidden) == 1 or (len(hidden) >= 2 and all(counts[i] == 1 for i in hidden))


def _cheapest_cycle(x: int, keys: list[Key], counts: list[int], rows: dict, cols: dict,
                    suppressed: set[int], x_sign: int) -> tuple[tuple[int, int], list[int]] | None:
    """Dijkstra for a path row(x) -> column(x) closing a cycle through x along which x moves by
    x_sign and the others alternately the other way; cells moving by -1 need count >= 2.
    Cost = (count newly suppressed, cells newly suppressed). Returns (cost, new cells) or None."""
    start, target = ("r", keys[x][0]), ("c", keys[x][1])
    dist: dict[tuple, tuple[int, int]] = {start: (0, 0)}
    prev: dict[tuple, tuple[tuple, int]] = {}
    heap: list = [((0, 0), 0, start)]
    tick = 0
    while heap:
        cost, _, node = heapq.heappop(heap)
        if cost > dist[node]:
            continue
        if node == target:
            break
        side, value = node
        # entering a cell from a row node gives it -x_sign, from a column node +x_sign
        edges, sign, other = (rows[value], -x_sign, 1) if side == "r" else (cols[value], x_sign, 0)
        for i in edges:
            if i == x or (sign < 0 and counts[i] < 2):
                continue
            step = (0, 0) if i in suppressed else (counts[i], 1)
            new = (cost[0] + step[0], cost[1] + step[1])
            nxt = ("c" if other == 1 else "r", keys[i][other])
            if nxt not in dist or new < dist[nxt]:
                dist[nxt] = new
                prev[nxt] = (node, i)
                tick += 1
                heapq.heappush(heap, (new, tick, nxt))
    if target not in dist:
        return None
    added, node = [], target
    while node != start:
        node, i = prev[node]
        if i not in suppressed:
            added.append(i)
    return dist[target], added


def _audit_2d(keys: list[Key], counts: list[int], nonzero: list[int], primary: list[int],
              suppressed: set[int]) -> bool:
    """Make every primary cell undeterminable under exact row and column sums, where the zero
    pattern allows it. Returns whether anything was added."""
    rows: dict = defaultdict(list)
    cols: dict = defaultdict(list)
    for i in nonzero:
        rows[keys[i][0]].append(i)
        cols[keys[i][1]].append(i)
    changed = False
    for x in primary:
        options = []
        for sign in (1, -1) if counts[x] >= 2 else (1,):
            found = _cheapest_cycle(x, keys, counts, rows, cols, suppressed, sign)
            if found is not None:
                options.append(found)
        if not options:
            continue  # no cycle exists even if everything were hidden: see the module limits
        _, added = min(options, key=lambda o: o[0])
        if added:
            suppressed.update(added)
            changed = True
    return changed


def _suppress(keys: list[Key], counts: list[int], k: int, ndims: int) -> set[int]:
    nonzero = sorted((i for i, c in enumerate(counts) if c > 0), key=lambda i: _order(keys[i]))
    primary = [i for i in nonzero if counts[i] < k]
    suppressed = set(primary)
    if not primary:
        return suppressed
    groups = _groups(keys, nonzero, ndims)
    changed = True
    while changed:
        changed = False
        for group in groups:
            if _needs_cover(group, counts, suppressed):
                candidates = [i for i in group if i not in suppressed]
                if candidates:  # else the slice is that cell plus zeros: nothing to hide it with
                    suppressed.add(min(candidates, key=lambda i: (counts[i], _order(keys[i]))))
                    changed = True
        if not changed and ndims == 2:
            changed = _audit_2d(keys, counts, nonzero, primary, suppressed)
    return suppressed


def publish(dimensions: Sequence[str], cells: Iterable[BaseCell], total: BaseCell,
            k: int = DEFAULT_K) -> PublishedTable:
    """Publish a GROUP BY result: perturbed counts, cells below k and their covers suppressed.

    `cells` are the non-empty (or explicitly zero) cells of the cross-table of `dimensions`;
    `total` is COUNT(*) and SUM(rkey) over all records of the same query, so its count must be
    the sum of the cells' counts.
    """
    _check_k(k)
    dims = tuple(dimensions)
    cells = sorted(cells, key=lambda c: _order(c.key))
    keys = [tuple(c.key) for c in cells]
    counts = [c.count for c in cells]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate cell keys")
    for c in cells:
        if len(c.key) != len(dims):
            raise ValueError(f"cell key {c.key!r} does not match dimensions {dims!r}")
        if c.count < 0:
            raise ValueError("cell counts must be >= 0")
    if total.count != sum(counts):
        raise ValueError("total.count must be the count of all records of the query")
    suppressed = _suppress(keys, counts, k, len(dims))
    published = tuple(
        PublishedCell(key, None, True) if i in suppressed
        else PublishedCell(key, perturb(c.count, c.rkey_sum, k), False)
        for i, (key, c) in enumerate(zip(keys, cells, strict=True)))
    total_value = None if total.count < k else perturb(total.count, total.rkey_sum, k)
    return PublishedTable(k=k, dimensions=dims, cells=published, total=total_value)
