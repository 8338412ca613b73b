"""Pure helpers matching an address to a collection zone. No database access.

A zone's criteria are optional sets: countries, states, cities, and ZIP
patterns. A pattern is a prefix (``110``), a range (``110000-110999``), or a
prefix with a trailing ``*`` (``1100*``). An address matches a zone when it
meets every criterion the zone sets; a zone without any criterion matches
nothing. A zone may also have an area drawn on a map (a polygon): it then
holds the debtors located inside it (and meeting its other criteria, if
any), and is more specific than any zone of criteria alone; which areas
hold a debtor is computed beforehand (``tools/geo.py``) and given as
``area_hits``. When several zones match, the most specific wins (area, ZIP,
then city, then state, then country), then the lowest sequence.
"""

import unicodedata


def normalize_text(value):
    """Case- and accent-insensitive form of a city name."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value.strip().casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def split_list(value):
    """Items of a comma, semicolon or line separated list, stripped."""
    if not value:
        return []
    for separator in (";", "\n"):
        value = value.replace(separator, ",")
    return [item.strip() for item in value.split(",") if item.strip()]


def _zip_key(value):
    return "".join((value or "").split()).upper()


def zip_matches(zip_code, pattern):
    """Whether ``zip_code`` fits ``pattern`` (prefix, prefix*, or low-high)."""
    code = _zip_key(zip_code)
    pattern = _zip_key(pattern)
    if not code or not pattern:
        return False
    if "-" in pattern:
        low, _sep, high = pattern.partition("-")
        if len(low) != len(high):
            return False
        head = code[: len(low)]
        return len(head) == len(low) and low <= head <= high
    return code.startswith(pattern.rstrip("*"))


class ZoneCriteria:
    """The criteria of one zone, prepared once for matching many addresses."""

    __slots__ = ("cities", "countries", "has_area", "key", "sequence", "specificity", "states", "zips")

    def __init__(self, key, sequence=10, country_ids=(), state_ids=(), cities="", zips="", has_area=False):
        self.key = key
        self.sequence = sequence
        self.countries = frozenset(country_ids)
        self.states = frozenset(state_ids)
        self.cities = frozenset(normalize_text(city) for city in split_list(cities))
        self.zips = tuple(split_list(zips))
        self.has_area = has_area
        self.specificity = (has_area, bool(self.zips), bool(self.cities), bool(self.states), bool(self.countries))

    @property
    def empty(self):
        return not any(self.specificity)

    def matches(self, country_id, state_id, city, zip_code, area_hits=frozenset()):
        if self.empty:
            return False
        if self.has_area and self.key not in area_hits:
            return False
        if self.countries and country_id not in self.countries:
            return False
        if self.states and state_id not in self.states:
            return False
        if self.cities and normalize_text(city) not in self.cities:
            return False
        return not self.zips or any(zip_matches(zip_code, pattern) for pattern in self.zips)


def best_zone(zones, country_id, state_id, city, zip_code, area_hits=frozenset()):
    """The key of the most specific zone matching the address, or None;
    ``area_hits`` holds the keys of the zones whose area holds the debtor."""
    best = None
    for zone in zones:
        if zone.matches(country_id, state_id, city, zip_code, area_hits):
            rank = (zone.specificity, -zone.sequence)
            if best is None or rank > best[0]:
                best = (rank, zone.key)
    return best[1] if best else None
