"""Pure distribution and work-list planning algorithms. No database access.

A distribution splits *items* (cases) among *slots* (the shares of the
collectors a supervisor distributes to). An item is ``(key, amount)``, plus a
zone for the zone method and a debtor for the client method. A slot is a
:class:`Slot`: a capacity (how many more cases it may receive, ``None`` for no
limit), the cases and amount it already holds, the zones it covers.

Every method returns ``(plan, unassigned)``: ``plan`` maps an item key to a
slot index, ``unassigned`` lists the keys no slot could take (capacity
reached, zone not covered).

Guarantees (tested on random portfolios in tests/test_distribution_tools.py):

* ``balanced``: slots whose capacity is not reached receive counts within one
  of each other; amounts are dealt largest first to the poorest slot, round
  by round, which leaves the slots' amounts within a fraction of one average
  case of each other;
* ``equal_count``: the same count guarantee, items dealt in the given order;
* ``by_zone``: an item only goes to a slot covering its zone; among the slots
  covering the same zones the ``balanced`` guarantees hold;
* ``by_client``: all items of one debtor go to one slot, a debtor's items go
  to the slot already holding that debtor when it is among the slots; the
  rest goes to the least loaded slot by count, then amount;
* ``manual``: everything to one slot, within its capacity.
"""

import bisect
import heapq
from dataclasses import dataclass
from dataclasses import field


@dataclass
class Slot:
    """One share of a distribution."""

    capacity: int | None = None  # more cases it may receive; None = no limit
    held_count: int = 0  # cases it already holds (only used with ``include_held``)
    held_amount: float = 0.0
    zones: frozenset = field(default_factory=frozenset)


def count_quotas(total, slots, include_held=False):
    """How many of ``total`` items each slot receives so that the counts
    (plus what each slot holds when ``include_held``) are as even as the
    capacities allow: water-filling, the lowest slots filled first.

    Returns a list of quotas summing to ``min(total, total capacity)``."""
    n = len(slots)
    if not n or total <= 0:
        return [0] * n
    base = [s.held_count if include_held else 0 for s in slots]
    cap = [float("inf") if s.capacity is None else max(s.capacity, 0) for s in slots]
    room = sum(min(c, total) for c in cap)
    to_give = int(min(total, room))
    # find the level L such that sum(clamp(L - base, 0, cap)) <= to_give, as high as possible
    lo, hi = min(base), max(base) + to_give + 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        given = sum(min(max(mid - b, 0), c) for b, c in zip(base, cap, strict=True))
        if given <= to_give:
            lo = mid
        else:
            hi = mid - 1
    quotas = [int(min(max(lo - b, 0), c)) for b, c in zip(base, cap, strict=True)]
    rest = to_give - sum(quotas)
    # the remainder goes one each to the slots at the level that still have room
    for index in sorted(range(n), key=lambda i: (base[i] + quotas[i], i)):
        if rest <= 0:
            break
        if quotas[index] < cap[index] and base[index] + quotas[index] == lo:
            quotas[index] += 1
            rest -= 1
    return quotas


def balanced(items, slots, include_held=False):
    """Even counts (within one) and amounts as close as possible.

    Items are sorted by amount, largest first, and dealt round by round: each
    round gives one item to every slot that still has quota, the largest item
    of the round to the slot with the smallest amount so far. A slot that
    falls behind in one round catches up in the next, so the amounts end
    close together."""
    quotas = count_quotas(len(items), slots, include_held)
    ordered = sorted(items, key=lambda item: (-item[1], item[0]))
    amounts = [s.held_amount if include_held else 0.0 for s in slots]
    left = list(quotas)
    active = [i for i, q in enumerate(left) if q > 0]
    plan = {}
    position = 0
    while position < len(ordered) and active:
        round_items = ordered[position : position + len(active)]
        position += len(round_items)
        poorest = sorted(active, key=lambda i: (amounts[i], i))
        for (key, amount), index in zip(round_items, poorest, strict=False):
            plan[key] = index
            amounts[index] += amount
            left[index] -= 1
        active = [i for i in active if left[i] > 0]
    unassigned = [key for key, _amount in ordered[position:]]
    _even_out(plan, dict(items), amounts)
    return plan, unassigned


def _even_out(plan, amount_of, amounts, max_swaps=None):
    """Swap pairs of items between the richest and the poorest slot while it
    narrows their gap; counts do not change. Heavy-tailed portfolios (a few
    very large debts) need it: dealing rounds alone leaves the slots that got
    the largest debts ahead."""
    members = {}
    for key, index in plan.items():
        members.setdefault(index, []).append((amount_of[key], key))
    if len(members) < 2:
        return
    for values in members.values():
        values.sort()
    max_swaps = max_swaps if max_swaps is not None else 20 * len(members)
    for _i in range(max_swaps):
        rich = max(members, key=lambda i: amounts[i])
        poor = min(members, key=lambda i: amounts[i])
        gap = amounts[rich] - amounts[poor]
        if gap <= 0:
            return
        poor_values = members[poor]
        poor_amounts = [value for value, _key in poor_values]
        best = None
        for position, (high, _key) in enumerate(members[rich]):
            # the best partner of ``high`` is the poor slot's item closest to high - gap / 2
            wanted = high - gap / 2.0
            at = bisect.bisect_left(poor_amounts, wanted)
            for candidate in (at - 1, at):
                if 0 <= candidate < len(poor_amounts) and poor_amounts[candidate] < high:
                    new_gap = abs(gap - 2.0 * (high - poor_amounts[candidate]))
                    if best is None or new_gap < best[0]:
                        best = (new_gap, position, candidate)
        if best is None or best[0] >= gap - 1e-9:
            return
        _new_gap, position, candidate = best
        high_item = members[rich].pop(position)
        low_item = poor_values.pop(candidate)
        bisect.insort(members[rich], low_item)
        bisect.insort(poor_values, high_item)
        plan[high_item[1]], plan[low_item[1]] = poor, rich
        delta = high_item[0] - low_item[0]
        amounts[rich] -= delta
        amounts[poor] += delta


def equal_count(items, slots, include_held=False):
    """Even counts (within one); items dealt in the given order, like cards."""
    quotas = count_quotas(len(items), slots, include_held)
    left = list(quotas)
    counts = [s.held_count if include_held else 0 for s in slots]
    plan = {}
    unassigned = []
    heap = [(counts[i], i) for i in range(len(slots)) if left[i] > 0]
    heapq.heapify(heap)
    for key, _amount in items:
        if not heap:
            unassigned.append(key)
            continue
        count, index = heapq.heappop(heap)
        plan[key] = index
        left[index] -= 1
        if left[index] > 0:
            heapq.heappush(heap, (count + 1, index))
    return plan, unassigned


def by_zone(items, slots, include_held=False):
    """Items are ``(key, amount, zone)``; each goes to a slot covering its zone.

    Slots covering exactly the same zones form a group; the items of the zones
    only one group covers are distributed ``balanced`` inside that group. An
    item whose zone several different groups cover goes to the least loaded
    of those slots (count, then amount)."""
    groups = {}
    for index, slot in enumerate(slots):
        if slot.zones:
            groups.setdefault(slot.zones, []).append(index)
    coverers = {}
    for zones in groups:
        for zone in zones:
            coverers.setdefault(zone, []).append(zones)
    plan = {}
    unassigned = []
    exclusive = {}
    shared = []
    for key, amount, zone in items:
        owners = coverers.get(zone) if zone else None
        if not owners:
            unassigned.append(key)
        elif len(owners) == 1:
            exclusive.setdefault(owners[0], []).append((key, amount))
        else:
            shared.append((key, amount, zone))
    counts = [0] * len(slots)
    amounts = [0.0] * len(slots)
    if include_held:
        counts = [s.held_count for s in slots]
        amounts = [s.held_amount for s in slots]
    taken = [0] * len(slots)
    for zones, group_items in exclusive.items():
        indexes = groups[zones]
        sub_plan, sub_left = balanced(group_items, [slots[i] for i in indexes], include_held)
        amount_of = dict(group_items)
        for key, local in sub_plan.items():
            index = indexes[local]
            plan[key] = index
            counts[index] += 1
            amounts[index] += amount_of[key]
            taken[index] += 1
        unassigned.extend(sub_left)
    for key, amount, zone in sorted(shared, key=lambda item: (-item[1], item[0])):
        candidates = [
            i
            for zones in coverers[zone]
            for i in groups[zones]
            if slots[i].capacity is None or taken[i] < slots[i].capacity
        ]
        if not candidates:
            unassigned.append(key)
            continue
        index = min(candidates, key=lambda i: (counts[i], amounts[i], i))
        plan[key] = index
        counts[index] += 1
        amounts[index] += amount
        taken[index] += 1
    return plan, unassigned


def by_client(items, slots, include_held=False):
    """Items are ``(key, amount, debtor, holder)``: ``holder`` is the index of
    the slot that already holds another case of the debtor, or ``None``.

    All items of a debtor go to one slot: the holder when it has room, else
    the slot with the fewest cases (then the smallest amount); the largest
    debtors are placed first."""
    debtors = {}
    for key, amount, debtor, holder in items:
        entry = debtors.setdefault(debtor, {"keys": [], "amount": 0.0, "holder": holder})
        entry["keys"].append(key)
        entry["amount"] += amount
        if entry["holder"] is None:
            entry["holder"] = holder
    counts = [s.held_count if include_held else 0 for s in slots]
    amounts = [s.held_amount if include_held else 0.0 for s in slots]
    taken = [0] * len(slots)

    def room(index, size):
        capacity = slots[index].capacity
        return capacity is None or taken[index] + size <= capacity

    plan = {}
    unassigned = []
    order = sorted(
        debtors.items(), key=lambda kv: (kv[1]["holder"] is None, -len(kv[1]["keys"]), -kv[1]["amount"], str(kv[0]))
    )
    for _debtor, entry in order:
        size = len(entry["keys"])
        index = entry["holder"]
        if index is None or not room(index, size):
            candidates = [i for i in range(len(slots)) if room(i, size)]
            if not candidates:
                unassigned.extend(entry["keys"])
                continue
            index = min(candidates, key=lambda i: (counts[i], amounts[i], i))
        for key in entry["keys"]:
            plan[key] = index
        counts[index] += size
        amounts[index] += entry["amount"]
        taken[index] += size
    return plan, unassigned


def manual(items, slots, include_held=False):
    """Everything to the first slot, within its capacity."""
    capacity = slots[0].capacity if slots else 0
    limit = len(items) if capacity is None else capacity
    plan = {key: 0 for key, _amount in items[:limit]}
    return plan, [key for key, _amount in items[limit:]]


def spread(values):
    """(max - min) of a list of numbers, 0 for an empty list."""
    return (max(values) - min(values)) if values else 0
