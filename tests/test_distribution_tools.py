"""The pure distribution, zone and work-list algorithms, on random portfolios.

Property-style: each guarantee of tools/distribution.py is checked on many
seeded random portfolios (sizes, skewed amounts, capacities), so a failure
names the seed that breaks it."""

import random
from collections import Counter
from collections import defaultdict
from datetime import date

from odoo.tests import TransactionCase
from odoo.tests import tagged
from odoo.tools import SQL

from ..tools import distribution
from ..tools import work_list
from ..tools import zones as zone_tools

SEEDS = range(40)


def random_items(rng, n):
    """Case balances: mostly small, a heavy tail of large debts."""
    return [(f"case{i}", round(rng.lognormvariate(6, 1.3), 2)) for i in range(n)]


def totals(plan, items, n_slots):
    amount_of = dict(items)
    counts = [0] * n_slots
    amounts = [0.0] * n_slots
    for key, index in plan.items():
        counts[index] += 1
        amounts[index] += amount_of[key]
    return counts, amounts


@tagged("post_install", "-at_install")
class TestDistributionTools(TransactionCase):
    def test_balanced_counts_within_one_and_amounts_close(self):
        for seed in SEEDS:
            rng = random.Random(seed)
            n_slots = rng.randint(2, 12)
            items = random_items(rng, rng.randint(n_slots * 20, 600))
            plan, unassigned = distribution.balanced(items, [distribution.Slot() for _i in range(n_slots)])
            self.assertFalse(unassigned, f"seed {seed}")
            self.assertEqual(len(plan), len(items), f"seed {seed}: every case placed once")
            counts, amounts = totals(plan, items, n_slots)
            self.assertLessEqual(distribution.spread(counts), 1, f"seed {seed}: counts {counts}")
            # small portfolios: never more apart than one case (a single huge debt cannot be split)
            largest = max(amount for _key, amount in items)
            self.assertLessEqual(distribution.spread(amounts), largest, f"seed {seed}")

    def test_balanced_large_portfolios_within_one_percent(self):
        for seed in SEEDS:
            rng = random.Random(seed)
            n_slots = rng.randint(2, 12)
            items = random_items(rng, rng.randint(n_slots * 200, n_slots * 300))
            plan, _unassigned = distribution.balanced(items, [distribution.Slot() for _i in range(n_slots)])
            counts, amounts = totals(plan, items, n_slots)
            self.assertLessEqual(distribution.spread(counts), 1, f"seed {seed}")
            mean = sum(amounts) / n_slots
            self.assertLess(distribution.spread(amounts) / mean, 0.01, f"seed {seed}: amounts {amounts}")

    def test_balanced_respects_capacity(self):
        for seed in SEEDS:
            rng = random.Random(seed)
            slots = [distribution.Slot(capacity=rng.choice([None, None, 0, 3, 10, 25])) for _i in range(6)]
            items = random_items(rng, rng.randint(10, 200))
            plan, unassigned = distribution.balanced(items, slots)
            counts, _amounts = totals(plan, items, len(slots))
            room = sum(len(items) if s.capacity is None else s.capacity for s in slots)
            self.assertEqual(len(plan), min(len(items), room), f"seed {seed}")
            self.assertEqual(len(plan) + len(unassigned), len(items), f"seed {seed}")
            for slot, count in zip(slots, counts, strict=True):
                if slot.capacity is not None:
                    self.assertLessEqual(count, slot.capacity, f"seed {seed}")
            # slots that did not reach their capacity are within one of each other
            free = [c for s, c in zip(slots, counts, strict=True) if s.capacity is None or c < s.capacity]
            self.assertLessEqual(distribution.spread(free), 1, f"seed {seed}: {counts}")
            # and no capped slot was left below the uncapped level while cases went elsewhere
            if free:
                for slot, count in zip(slots, counts, strict=True):
                    if slot.capacity is not None and count < slot.capacity:
                        self.assertGreaterEqual(count, min(free), f"seed {seed}")

    def test_include_held_evens_out_total_workload(self):
        for seed in SEEDS:
            rng = random.Random(seed)
            slots = [distribution.Slot(held_count=rng.randint(0, 30)) for _i in range(5)]
            items = random_items(rng, rng.randint(60, 200))
            plan, _unassigned = distribution.balanced(items, slots, include_held=True)
            counts, _amounts = totals(plan, items, len(slots))
            final = [s.held_count + c for s, c in zip(slots, counts, strict=True)]
            # slots that received something end within one of each other, and above those that got nothing
            receiving = [f for f, c in zip(final, counts, strict=True) if c]
            self.assertLessEqual(distribution.spread(receiving), 1, f"seed {seed}: {final}")
            for f, c in zip(final, counts, strict=True):
                if not c:
                    self.assertGreaterEqual(f, min(receiving) - 1, f"seed {seed}: {final}")

    def test_equal_count_deals_in_order(self):
        for seed in SEEDS:
            rng = random.Random(seed)
            n_slots = rng.randint(1, 9)
            items = random_items(rng, rng.randint(1, 300))
            plan, unassigned = distribution.equal_count(items, [distribution.Slot() for _i in range(n_slots)])
            self.assertFalse(unassigned)
            counts, _amounts = totals(plan, items, n_slots)
            self.assertLessEqual(distribution.spread(counts), 1, f"seed {seed}")
        # the first (most urgent) cases go one to each collector
        items = [("a", 1.0), ("b", 1.0), ("c", 1.0), ("d", 1.0)]
        plan, _unassigned = distribution.equal_count(items, [distribution.Slot(), distribution.Slot()])
        self.assertNotEqual(plan["a"], plan["b"])

    def test_by_zone_only_to_covering_slots(self):
        zones = ["north", "south", "east", "west"]
        for seed in SEEDS:
            rng = random.Random(seed)
            slots = [
                distribution.Slot(zones=frozenset(rng.sample(zones, rng.randint(1, 2))))
                for _i in range(rng.randint(2, 8))
            ]
            items = [
                (key, amount, rng.choice(zones + [None])) for key, amount in random_items(rng, rng.randint(20, 300))
            ]
            plan, unassigned = distribution.by_zone(items, slots)
            zone_of = {key: zone for key, _amount, zone in items}
            for key, index in plan.items():
                self.assertIn(zone_of[key], slots[index].zones, f"seed {seed}")
            covered = set().union(*(s.zones for s in slots))
            for key in unassigned:
                self.assertNotIn(zone_of[key], covered, f"seed {seed}: an uncovered or zoneless case only")
            # slots covering exactly the same, exclusive zones share their cases within one
            by_zones = defaultdict(list)
            for index, slot in enumerate(slots):
                by_zones[slot.zones].append(index)
            counts = Counter(plan.values())
            for zone_set, indexes in by_zones.items():
                others = set().union(*(s.zones for s in slots if s.zones != zone_set))
                if not zone_set & others:
                    self.assertLessEqual(
                        distribution.spread([counts[i] for i in indexes]), 1, f"seed {seed}: {zone_set}"
                    )

    def test_by_client_keeps_debtor_with_one_collector(self):
        for seed in SEEDS:
            rng = random.Random(seed)
            n_slots = rng.randint(2, 6)
            debtors = [f"debtor{d}" for d in range(rng.randint(5, 60))]
            holders = {d: rng.choice([None, None, rng.randrange(n_slots)]) for d in debtors}
            items = []
            for key, amount in random_items(rng, rng.randint(20, 200)):
                debtor = rng.choice(debtors)
                items.append((key, amount, debtor, holders[debtor]))
            plan, unassigned = distribution.by_client(items, [distribution.Slot() for _i in range(n_slots)])
            self.assertFalse(unassigned)
            slot_of_debtor = {}
            for key, _amount, debtor, holder in items:
                slot_of_debtor.setdefault(debtor, plan[key])
                self.assertEqual(plan[key], slot_of_debtor[debtor], f"seed {seed}: one collector per debtor")
                if holder is not None:
                    self.assertEqual(plan[key], holder, f"seed {seed}: the debtor's collector is kept")
        # one case per debtor and no holder: counts within one
        items = [(f"c{i}", 10.0 + i, f"d{i}", None) for i in range(31)]
        plan, _unassigned = distribution.by_client(items, [distribution.Slot() for _i in range(4)])
        self.assertLessEqual(distribution.spread(list(Counter(plan.values()).values())), 1)

    def test_manual_all_to_one_within_capacity(self):
        items = [("a", 5.0), ("b", 6.0), ("c", 7.0)]
        plan, unassigned = distribution.manual(items, [distribution.Slot()])
        self.assertEqual(set(plan.values()), {0})
        self.assertFalse(unassigned)
        plan, unassigned = distribution.manual(items, [distribution.Slot(capacity=2)])
        self.assertEqual(len(plan), 2)
        self.assertEqual(unassigned, ["c"])

    def test_count_quotas(self):
        slots = [distribution.Slot(capacity=2), distribution.Slot(), distribution.Slot()]
        self.assertEqual(distribution.count_quotas(10, slots), [2, 4, 4])
        self.assertEqual(distribution.count_quotas(3, slots), [1, 1, 1])
        self.assertEqual(distribution.count_quotas(0, slots), [0, 0, 0])
        held = [distribution.Slot(held_count=5), distribution.Slot(held_count=0)]
        self.assertEqual(distribution.count_quotas(3, held, include_held=True), [0, 3])
        self.assertEqual(distribution.count_quotas(8, held, include_held=True), [2, 6])

    def test_zone_matching(self):
        co, bg, antioquia = 49, 23, 700
        zones = [
            zone_tools.ZoneCriteria("colombia", 90, country_ids=[co]),
            zone_tools.ZoneCriteria("antioquia", 20, country_ids=[co], state_ids=[antioquia]),
            zone_tools.ZoneCriteria("medellin", 20, country_ids=[co], cities="Medellín, Envigado"),
            zone_tools.ZoneCriteria("bogota_north", 10, country_ids=[co], zips="1101, 1102*, 110800-110899"),
            zone_tools.ZoneCriteria("nothing", 1),
        ]
        self.assertEqual(zone_tools.best_zone(zones, co, False, "Cali", "760001"), "colombia")
        self.assertEqual(zone_tools.best_zone(zones, co, antioquia, "Rionegro", ""), "antioquia")
        # city beats state, accents and case do not matter
        self.assertEqual(zone_tools.best_zone(zones, co, antioquia, "MEDELLIN ", ""), "medellin")
        self.assertEqual(zone_tools.best_zone(zones, co, False, "Bogotá", "110111"), "bogota_north")
        self.assertEqual(zone_tools.best_zone(zones, co, False, "Bogotá", "110221"), "bogota_north")
        self.assertEqual(zone_tools.best_zone(zones, co, False, "Bogotá", "110850"), "bogota_north")
        self.assertEqual(zone_tools.best_zone(zones, co, False, "Bogotá", "110900"), "colombia")
        self.assertIsNone(zone_tools.best_zone(zones, bg, False, "Sofia", "1000"))
        self.assertFalse(zone_tools.zip_matches("", "110"))
        self.assertTrue(zone_tools.zip_matches("SW1A 1AA", "sw1a"))

    def test_work_tier_rule_and_sql_twin(self):
        today = date(2026, 3, 10)
        cases = [
            (date(2026, 3, 10), None, None, "1_promise"),
            (date(2026, 3, 1), date(2026, 3, 10), None, "1_promise"),
            (date(2026, 3, 11), date(2026, 3, 9), None, "2_follow_up"),
            (None, None, date(2026, 3, 10), "2_follow_up"),
            (None, date(2026, 3, 11), date(2026, 3, 12), "3_priority"),
            (None, None, None, "3_priority"),
        ]
        for promise, action, activity, expected in cases:
            self.assertEqual(work_list.work_tier(today, promise, action, activity), expected)
            self.env.cr.execute(
                SQL(
                    "SELECT " + work_list.work_tier_sql("%s::date", "%s::date", "%s::date", "%s::date"),
                    promise,
                    today,
                    action,
                    today,
                    activity,
                    today,
                )
            )
            self.assertEqual(self.env.cr.fetchone()[0], expected, (promise, action, activity))

    def test_plan_today_caps_and_shares_leftovers_in_the_team(self):
        queues = {
            "ana": [((t, -s, c), c) for t, s, c in [("1", 0, "a1"), ("2", 0, "a2"), ("3", 9, "a3"), ("3", 1, "a4")]],
            "bo": [(("3", -5, "b1"), "b1")],
            "cy": [(("1", 0, "c1"), "c1")],
        }
        capacities = {"ana": 2, "bo": 2, "cy": 0, "dee": 2}
        team_of = {"ana": "t1", "bo": "t1", "cy": "t2", "dee": "t1"}
        plan = work_list.plan_today(queues, capacities, team_of)
        self.assertEqual(plan["a1"], "ana")
        self.assertEqual(plan["a2"], "ana")
        self.assertEqual(plan["b1"], "bo")
        # ana's leftovers, best first, go to team mates with room (dee has the most room)
        self.assertEqual(plan["a3"], "dee")
        self.assertEqual(plan["a4"], "bo")
        # cy has no capacity and no team mate with room
        self.assertNotIn("c1", plan)
        for seed in SEEDS:
            rng = random.Random(seed)
            users = [f"u{i}" for i in range(6)]
            caps = {u: rng.randint(0, 8) for u in users}
            teams = {u: rng.choice(["x", "y"]) for u in users}
            queues = {
                u: sorted(
                    ((rng.choice("123"), -rng.random(), f"{u}-{k}"), f"{u}-{k}") for k in range(rng.randint(0, 12))
                )
                for u in users
            }
            plan = work_list.plan_today(queues, caps, teams)
            load = Counter(plan.values())
            for u in users:
                self.assertLessEqual(load[u], caps[u], f"seed {seed}: capacity")
                own = [case for _rank, case in queues[u]]
                # a collector's own best cases are never given away while they have room
                kept = own[: caps[u]]
                self.assertTrue(all(plan.get(case) == u for case in kept), f"seed {seed}")
            for case, u in plan.items():
                owner = case.split("-")[0]
                self.assertEqual(teams[owner], teams[u], f"seed {seed}: leftovers stay in the team")
