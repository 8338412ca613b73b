"""Pure geometry helpers over shapely: a zone's area read from GeoJSON and
checked, coordinates checked, and which areas hold which points, vectorised
for a whole book of debtors. No database access."""

import json

import numpy
import shapely
from shapely.geometry import shape
from shapely.validation import explain_validity

AREA_TYPES = ("Polygon", "MultiPolygon")


class AreaError(ValueError):
    """A GeoJSON area that cannot be a zone; the message says why."""


def valid_coordinates(latitude, longitude):
    """Whether a latitude and longitude are in range (the 0, 0 of an empty
    Odoo float field counts as no position, not as a position)."""
    if latitude is None or longitude is None:
        return False
    return -90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0


def has_position(latitude, longitude):
    """Whether a debtor has a position at all: both set, in range, and not
    the 0, 0 Odoo stores for empty coordinates."""
    return valid_coordinates(latitude, longitude) and not (latitude == 0.0 and longitude == 0.0)


def parse_area(text):
    """The shapely geometry of a zone's GeoJSON: a Polygon or MultiPolygon
    (bare, or the first feature of a Feature / FeatureCollection), with
    coordinates as longitude, latitude in range, and valid (closed rings,
    no self-intersection). Raises AreaError with the reason otherwise."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as error:
        raise AreaError(f"not JSON ({error})") from error
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            raise AreaError("a FeatureCollection must hold exactly one feature")
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in AREA_TYPES:
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise AreaError(f"a zone is a Polygon or a MultiPolygon, not {kind}")
    try:
        geometry = shape(data)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        raise AreaError(f"malformed coordinates ({error})") from error
    if geometry.is_empty:
        raise AreaError("the area is empty")
    minx, miny, maxx, maxy = geometry.bounds
    if not (valid_coordinates(miny, minx) and valid_coordinates(maxy, maxx)):
        raise AreaError("coordinates must be longitude (-180 to 180), latitude (-90 to 90)")
    if not geometry.is_valid:
        raise AreaError(explain_validity(geometry))
    return geometry


def areas_containing(areas, longitudes, latitudes):
    """For ``areas`` [(key, geometry)] and points given as two sequences,
    {key: boolean numpy array, True where the area holds the point}
    (points on the boundary count as inside). One vectorised test per area."""
    xs = numpy.asarray(longitudes, dtype=float)
    ys = numpy.asarray(latitudes, dtype=float)
    result = {}
    for key, geometry in areas:
        shapely.prepare(geometry)
        result[key] = shapely.intersects_xy(geometry, xs, ys)
    return result


def area_hits(areas, keys, longitudes, latitudes):
    """{point key: frozenset of the area keys holding it} for the points
    inside at least one of ``areas`` [(area key, geometry)]."""
    found = {}
    for area_key, flags in areas_containing(areas, longitudes, latitudes).items():
        for index in numpy.flatnonzero(flags):
            found.setdefault(keys[index], set()).add(area_key)
    return {key: frozenset(value) for key, value in found.items()}


def parse_coordinate(text):
    """A latitude or longitude written in a file: a decimal number with a
    point or a comma as decimal separator (``4.6097``, ``-74,0817``);
    None when it is not one."""
    value = (text or "").strip().replace(" ", "")
    if not value:
        return None
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    try:
        number = float(value)
    except ValueError:
        return None
    return number if numpy.isfinite(number) else None
