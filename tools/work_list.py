"""Pure work-list helpers: why a case comes first, and today's capped lists.
No database access.

A collector's cases are ordered by tier, then priority score:

1. ``1_promise``: an open promise to pay is due today or already overdue;
2. ``2_follow_up``: a call-back, activity, next action or resubmission is due
   today or overdue;
3. ``3_priority``: the rest, by priority score.
"""

import heapq

WORK_TIERS = [
    ("1_promise", "Promise due"),
    ("2_follow_up", "Follow-up due"),
    ("3_priority", "By priority"),
]


def work_tier(today, promise_date, action_date, activity_date):
    """The tier of a case on ``today`` (see the module docstring)."""
    if promise_date and promise_date <= today:
        return "1_promise"
    if (action_date and action_date <= today) or (activity_date and activity_date <= today):
        return "2_follow_up"
    return "3_priority"


def work_tier_sql(today_expr, promise_expr, action_expr, activity_expr):
    """The same rule as :func:`work_tier`, as a SQL CASE text.

    The arguments are SQL expressions written by the caller (column names or
    a ``%s`` placeholder), never user input."""
    return (
        f"CASE WHEN {promise_expr} <= {today_expr} THEN '1_promise'"
        f" WHEN {action_expr} <= {today_expr} OR {activity_expr} <= {today_expr} THEN '2_follow_up'"
        " ELSE '3_priority' END"
    )


def plan_today(queues, capacities, team_of, case_team=None):
    """Cap each collector's list for today and share out what is left over.

    ``queues`` maps a collector to the cases they work, best first, as
    ``(rank, case)`` where ``rank`` sorts the cases of every collector alike
    (promise due, then follow-up due, then priority score). ``capacities``
    maps a collector to how many cases they work in a day; ``team_of`` maps
    a collector to their team (or to the set of their teams); ``case_team``
    maps a case to its team.

    Each collector keeps their first ``capacity`` cases. The cases beyond
    their capacity go, best first, to members of the case's team (of the
    collector's team when the case's is not given; a case without a team
    is not shared) who have room left, always to the one with the most
    room. Returns ``{case: collector}`` for the cases planned today."""
    case_team = case_team or {}

    def teams(user):
        value = team_of.get(user)
        if value is None:
            return set()
        return set(value) if isinstance(value, (set, frozenset, list, tuple)) else {value}

    plan = {}
    room = {}
    leftovers = {}
    for user, queue in queues.items():
        capacity = max(capacities.get(user, 0), 0)
        for _rank, case in queue[:capacity]:
            plan[case] = user
        for rank, case in queue[capacity:]:
            if case in case_team:
                team = case_team[case]
            else:
                own = teams(user)
                team = next(iter(own)) if len(own) == 1 else None
            if team is not None:
                leftovers.setdefault(team, []).append((rank, case))
        if capacity > len(queue):
            room[user] = capacity - len(queue)
    for user, capacity in capacities.items():
        if user not in queues and capacity > 0:
            room[user] = capacity
    members = {}
    for user in room:
        for team in teams(user):
            members.setdefault(team, set()).add(user)
    for team in sorted(leftovers):
        heap = [(-room[user], user) for user in members.get(team, ()) if room[user] > 0]
        heapq.heapify(heap)
        for _rank, case in sorted(leftovers[team]):
            if not heap:
                break
            left, user = heapq.heappop(heap)
            plan[case] = user
            room[user] -= 1
            if left + 1 < 0:
                heapq.heappush(heap, (left + 1, user))
    return plan
