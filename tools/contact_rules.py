"""Whether a debtor may be contacted at a given instant, and when next. No database, no Odoo.

A :class:`Policy` is the compiled form of a contact policy. :func:`check_contact` applies its rules
to a proposed contact in this order and reports the first one that refuses it:

* ``do_not_contact``, ``channel_not_authorised``, ``visits_forbidden``: refused for good;
* ``holiday``: the instant falls in a public holiday;
* ``hours``: the local time is outside the weekday's windows in at least one of the debtor's
  possible time zones (with an unknown zone, every zone of the country must agree);
* ``limit``: a cap on contacts per period of local calendar days is reached;
* ``conversation_gap``: a conversation on the same channel is too recent.

Hours are compared on the local wall clock; calendar days (limit periods, the gap, the start of a
day) are those of the first time zone. All datetimes are naive UTC, as Odoo stores them. The verdict
also gives the earliest instant at which no rule refuses the contact, assuming no other contact
happens meanwhile.
"""

import functools
import itertools
from dataclasses import dataclass
from datetime import datetime
from datetime import time
from datetime import timedelta

import pytz

RULES = (
    "do_not_contact",
    "channel_not_authorised",
    "visits_forbidden",
    "holiday",
    "hours",
    "limit",
    "conversation_gap",
)

# next_allowed is None when the contact stays refused this long after the proposed instant
HORIZON = timedelta(days=400)
# or when it takes more rounds than this to find it (each round reaches a later day, window or holiday end)
MAX_ROUNDS = 1000


@dataclass(frozen=True)
class Window:
    """Contact allowed on ``weekday`` (0 = Monday) from ``start`` to ``end`` local hours (8.5 = 08:30),
    ``start`` included, ``end`` (up to 24.0) excluded."""

    weekday: int
    start: float
    end: float


@dataclass(frozen=True)
class Limit:
    """At most ``max_contacts`` contacts in ``period_days`` local calendar days, the proposed day included.

    ``scope`` "all" counts every contact, "channel" the contacts on the proposed channel, "channels"
    the distinct channels used, the proposed one included. When ``channel`` is set, the limit only
    applies to contacts proposed on that channel. ``conversations_only`` counts only conversations."""

    scope: str
    period_days: int
    max_contacts: int
    channel: str | None = None
    conversations_only: bool = False


@dataclass(frozen=True)
class Holiday:
    """A public holiday from ``start`` (included) to ``end`` (excluded), naive UTC."""

    start: datetime
    end: datetime
    name: str = ""


@dataclass(frozen=True)
class Policy:
    """Compiled contact policy. Without windows, any hour is allowed; with windows, a weekday without
    any is closed all day. ``holidays`` are refused; after a conversation on a channel on local day D,
    that channel is closed until D + ``conversation_gap_days`` (when positive)."""

    name: str
    windows: tuple = ()
    limits: tuple = ()
    holidays: tuple = ()
    conversation_gap_days: int = 0
    authorised_only: bool = False
    allow_visits: bool = True


@dataclass(frozen=True)
class Contact:
    """A past contact with the debtor; ``conversation`` when the right party was reached."""

    when: datetime
    channel: str
    conversation: bool = False


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`check_contact`: the refusing rule (one of ``RULES``) and its details, and the
    earliest allowed instant (naive UTC; ``None`` when never, or not within ``HORIZON``)."""

    allowed: bool
    rule: str | None
    params: dict
    next_allowed: datetime | None


def _to_local(utc, tz):
    """The aware local datetime of the naive UTC instant ``utc``."""
    return pytz.utc.localize(utc).astimezone(tz)


def _to_utc(local, tz):
    """The naive UTC instant of the naive local datetime ``local``; an ambiguous time is taken in
    standard time and a time in a DST gap is shifted forward by the gap."""
    return tz.localize(local, is_dst=False).astimezone(pytz.utc).replace(tzinfo=None)


@functools.lru_cache(maxsize=4096)
def _day_start(day, tz):
    return _to_utc(datetime.combine(day, time()), tz)


def local_day_start(day, tz_name):
    """The naive UTC instant of 00:00 local time on ``day`` in the zone ``tz_name``."""
    return _day_start(day, pytz.timezone(tz_name))


@functools.lru_cache(maxsize=128)
def _schedule(windows):
    """Per weekday, the windows' (start, end) in seconds of the local day, sorted by start."""
    days = [[] for _weekday in range(7)]
    for window in windows:
        days[window.weekday].append((round(window.start * 3600), round(window.end * 3600)))
    return tuple(tuple(sorted(bounds)) for bounds in days)


def _inside(local, schedule):
    """Whether the local wall-clock time ``local`` is inside one of its weekday's windows."""
    seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return any(start <= seconds < end for start, end in schedule[local.weekday()])


@functools.lru_cache(maxsize=4096)
def _window_starts(schedule, tz, day):
    """The instants at which the windows of local ``day`` open in zone ``tz``, in order; a start
    shifted by a DST gap past the end of its window is left out."""
    midnight = datetime.combine(day, time())
    starts = (_to_utc(midnight + timedelta(seconds=start), tz) for start, _end in schedule[day.weekday()])
    return tuple(start for start in starts if _inside(_to_local(start, tz), schedule))


def _next_start_in_zone(t, day, schedule, tz):
    """The first window start after ``t`` (of local ``day``) in zone ``tz``, None if windows never open."""
    for offset in range(8):  # the same weekday next week included
        for start in _window_starts(schedule, tz, day + timedelta(days=offset)):
            if start > t:
                return start
    return None


def _next_window_start(t, schedule, zones, horizon_end):
    """The first instant from ``t`` up to ``horizon_end`` inside the windows in every zone, or None.

    The zones are checked in turn; one outside its windows pushes ``t`` to its next window start, and
    the search ends when all zones in a row agree."""
    agreeing = 0
    for tz in itertools.cycle(zones):
        local = _to_local(t, tz)
        if _inside(local, schedule):
            agreeing += 1
        else:
            t = _next_start_in_zone(t, local.date(), schedule, tz)
            if t is None or t > horizon_end:
                return None
            agreeing = 1
        if agreeing == len(zones):
            return t


def next_window_start(when, windows, timezones):
    """The earliest instant from ``when`` (naive UTC) at which the local time is inside ``windows`` in
    every zone of ``timezones``: ``when`` itself when already inside or without windows; None when
    that does not happen within ``HORIZON``.

    Around a DST change at night the result may be later than the first wall-clock match (a window
    start falling in a DST gap opens once the gap is over, shifted by it), never earlier."""
    if not windows:
        return when
    zones = [pytz.timezone(name) for name in timezones]
    return _next_window_start(when, _schedule(tuple(windows)), zones, when + HORIZON)


def _limit_count(limit, channel, contacts):
    """What ``limit`` counts among ``contacts`` (already those of the period), and whether it refuses."""
    if limit.conversations_only:
        contacts = [contact for contact in contacts if contact.conversation]
    if limit.scope == "all":
        count = len(contacts)
        return count, count >= limit.max_contacts
    if limit.scope == "channel":
        count = sum(1 for contact in contacts if contact.channel == channel)
        return count, count >= limit.max_contacts
    if limit.scope == "channels":
        count = len({contact.channel for contact in contacts} | {channel})
        return count, count > limit.max_contacts
    raise ValueError(f"Unknown limit scope {limit.scope!r}")


class _Check:
    """The time-dependent rules of ``policy`` for one proposed contact, prepared once so that they
    can be evaluated at successive instants while looking for the next allowed one."""

    def __init__(self, policy, when, channel, contacts, timezones):
        self.channel = channel
        self.horizon_end = when + HORIZON
        self.gap_days = policy.conversation_gap_days
        self.zones = [pytz.timezone(name) for name in timezones]
        self.primary = self.zones[0]
        self.schedule = _schedule(tuple(policy.windows)) if policy.windows else None
        self.holidays = sorted(policy.holidays, key=lambda holiday: holiday.start)
        self.holiday_blocks = []  # overlapping or touching holidays merged: [start, end]
        for holiday in self.holidays:
            if self.holiday_blocks and holiday.start <= self.holiday_blocks[-1][1]:
                self.holiday_blocks[-1][1] = max(self.holiday_blocks[-1][1], holiday.end)
            else:
                self.holiday_blocks.append([holiday.start, holiday.end])
        self.contacts = [contact for contact in contacts if contact.when <= when]
        self.limits = [limit for limit in policy.limits if limit.channel in (None, channel)]
        self.gap_since = self.gap_until = None
        conversations = [
            contact.when for contact in self.contacts if contact.conversation and contact.channel == channel
        ]
        if self.gap_days > 0 and conversations:
            self.gap_since = _to_local(max(conversations), self.primary).date()
            self.gap_until = _day_start(self.gap_since + timedelta(days=self.gap_days), self.primary)

    def _limit_at(self, limit, day):
        """What ``limit`` counts for a contact on local ``day``, and whether it refuses it."""
        since = _day_start(day - timedelta(days=limit.period_days - 1), self.primary)
        return _limit_count(limit, self.channel, [contact for contact in self.contacts if contact.when >= since])

    def failures(self, t, within_hours=False):
        """The rules refusing a contact at ``t``, in ``RULES`` order (one entry per refusing limit), as
        (rule, params, until): until is the earliest later instant at which that rule alone stops
        refusing (None: never), except for "hours" next to another rule, where it is just ``t``.
        ``within_hours`` skips the hours, known to be allowed at ``t``."""
        failures = []
        for holiday in self.holidays:
            if holiday.start <= t < holiday.end:
                until = next(end for start, end in self.holiday_blocks if start <= t < end)
                failures.append(("holiday", {"holiday": holiday.name, "until": until}, until))
                break
        hours_failing = False
        if self.schedule and not within_hours:
            for tz in self.zones:
                local = _to_local(t, tz)
                if not _inside(local, self.schedule):
                    hours_failing = True
                    failures.append(("hours", {"local": local, "tz": tz.zone}, t))
                    break
        day = _to_local(t, self.primary).date()
        for limit in self.limits:
            count, refused = self._limit_at(limit, day)
            if refused:
                reopen = next(
                    (
                        _day_start(day + timedelta(days=ahead), self.primary)
                        for ahead in range(1, limit.period_days + 1)
                        if not self._limit_at(limit, day + timedelta(days=ahead))[1]
                    ),
                    None,
                )
                params = {
                    "scope": limit.scope,
                    "period_days": limit.period_days,
                    "max_contacts": limit.max_contacts,
                    "channel": self.channel if limit.scope == "channel" else limit.channel,
                    "count": count,
                }
                failures.append(("limit", params, reopen))
        if self.gap_until and t < self.gap_until:
            params = {"days": self.gap_days, "since": self.gap_since, "channel": self.channel}
            failures.append(("conversation_gap", params, self.gap_until))
        if hours_failing and len(failures) == 1:
            # the window search is the costliest: left at t when another refusing rule goes further
            failures[0] = ("hours", failures[0][1], _next_window_start(t, self.schedule, self.zones, self.horizon_end))
        return failures

    def next_allowed(self, failures):
        """The earliest instant not refused, from the (non-empty) failures at the proposed instant: each
        round moves to the latest instant at which a failing rule stops refusing, and checks again."""
        for _round in range(MAX_ROUNDS):
            untils = [until for _rule, _params, until in failures]
            if None in untils:
                return None
            t = max(untils)
            if t > self.horizon_end:
                return None
            failures = self.failures(t, within_hours=[rule for rule, _params, _until in failures] == ["hours"])
            if not failures:
                return t
        return None


def _refused_for_good(rule, params):
    return Verdict(False, rule, params, None)


def check_contact(
    policy,
    when,
    channel,
    contacts=(),
    timezones=("UTC",),
    *,
    do_not_contact=False,
    authorised_channels=None,
    visit_channels=frozenset({"visit"}),
):
    """Whether ``policy`` allows a contact on ``channel`` at ``when`` (naive UTC), as a :class:`Verdict`.

    ``contacts`` are the debtor's recent :class:`Contact` (those after ``when`` are ignored);
    ``timezones`` the debtor's zone, or every zone of the country when it is unknown: the hours must
    hold in all of them, and the first one gives the calendar days. Without ``policy`` only
    ``do_not_contact`` applies. With ``policy.authorised_only``, a channel not in
    ``authorised_channels`` (None: none) is refused; without ``policy.allow_visits``, so is a channel
    in ``visit_channels``.
    """
    if do_not_contact:
        return _refused_for_good("do_not_contact", {})
    if policy is None:
        return Verdict(True, None, {}, when)
    if policy.authorised_only and channel not in (authorised_channels or ()):
        return _refused_for_good("channel_not_authorised", {"channel": channel})
    if not policy.allow_visits and channel in visit_channels:
        return _refused_for_good("visits_forbidden", {"channel": channel})
    check = _Check(policy, when, channel, contacts, timezones)
    failures = check.failures(when)
    if not failures:
        return Verdict(True, None, {}, when)
    rule, params, _until = failures[0]
    return Verdict(False, rule, params, check.next_allowed(failures))
