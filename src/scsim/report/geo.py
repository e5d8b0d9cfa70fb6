"""Province outlines for the report's map: ECharts' china.json decoded to plain GeoJSON.

The vendored ``assets/china.json`` (npm ``echarts@4.9.0``, ``map/json/china.json``, Apache-2.0)
stores each ring as a string in ECharts' compressed encoding (``"UTF8Encoding": true``): every
point is two characters, each ``charCode - 64`` a zig-zag encoded delta from the previous point,
starting from the ring's ``encodeOffsets`` and in units of 1/1024 degree. :func:`decode` undoes
that (as ``decode`` in ECharts' ``src/coord/geo/parseGeoJson.js``), :func:`simplify` rounds the
coordinates and drops the points that rounding merges, and :func:`province_geojson` gives the
result with the provinces named as scsim names them (``scsim.population.census.PROVINCE_NAMES``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ASSETS = Path(__file__).parent / "assets"
CHINA_JSON = ASSETS / "china.json"
ENCODE_SCALE = 1024  # ECharts' default when the file gives no UTF8Scale
COORDINATE_DIGITS = 2  # about 1 km: plenty for a page-sized map, a fifth of the raw size

# The 31 provincial-level divisions of the census, by their names in china.json.
PROVINCES_ZH: dict[str, str] = {
    "北京": "Beijing",
    "天津": "Tianjin",
    "河北": "Hebei",
    "山西": "Shanxi",
    "内蒙古": "Inner Mongolia",
    "辽宁": "Liaoning",
    "吉林": "Jilin",
    "黑龙江": "Heilongjiang",
    "上海": "Shanghai",
    "江苏": "Jiangsu",
    "浙江": "Zhejiang",
    "安徽": "Anhui",
    "福建": "Fujian",
    "江西": "Jiangxi",
    "山东": "Shandong",
    "河南": "Henan",
    "湖北": "Hubei",
    "湖南": "Hunan",
    "广东": "Guangdong",
    "广西": "Guangxi",
    "海南": "Hainan",
    "重庆": "Chongqing",
    "四川": "Sichuan",
    "贵州": "Guizhou",
    "云南": "Yunnan",
    "西藏": "Tibet",
    "陕西": "Shaanxi",
    "甘肃": "Gansu",
    "青海": "Qinghai",
    "宁夏": "Ningxia",
    "新疆": "Xinjiang",
}
# Regions drawn in china.json that the 2020 census (and so every synthetic population) leaves out.
OUTSIDE_CENSUS_ZH: dict[str, str] = {"台湾": "Taiwan", "香港": "Hong Kong", "澳门": "Macau"}

Ring = list[list[float]]


class GeoError(ValueError):
    """The vendored map file cannot be read or decoded."""


def decode_ring(encoded: str, offset: Sequence[int], scale: float = ENCODE_SCALE) -> Ring:
    """One ring of points ``[[lon, lat], …]`` from its encoded string and start offset."""
    if len(encoded) % 2:
        raise GeoError(f"an encoded ring has an odd number of characters ({len(encoded)})")
    x, y = int(offset[0]), int(offset[1])
    out: Ring = []
    for i in range(0, len(encoded), 2):
        dx = ord(encoded[i]) - 64
        dy = ord(encoded[i + 1]) - 64
        x += (dx >> 1) ^ -(dx & 1)  # zig-zag: 0, -1, 1, -2, 2, …
        y += (dy >> 1) ^ -(dy & 1)
        out.append([x / scale, y / scale])
    return out


def decode(geojson: dict[str, Any]) -> dict[str, Any]:
    """Plain GeoJSON from ECharts' encoded form (a new object; plain input is returned as is)."""
    if not geojson.get("UTF8Encoding"):
        return geojson
    scale = geojson.get("UTF8Scale") or ENCODE_SCALE
    features = []
    for feature in geojson.get("features", []):
        geometry = feature.get("geometry") or {}
        kind = geometry.get("type")
        coordinates = geometry.get("coordinates") or []
        offsets = geometry.get("encodeOffsets") or []
        if kind == "Polygon":
            decoded: list[Any] = [
                decode_ring(ring, off, scale)
                for ring, off in zip(coordinates, offsets, strict=True)
            ]
        elif kind == "MultiPolygon":
            decoded = [
                [decode_ring(ring, off, scale) for ring, off in zip(polygon, poly_off, strict=True)]
                for polygon, poly_off in zip(coordinates, offsets, strict=True)
            ]
        else:
            raise GeoError(f"unexpected geometry type {kind!r} in an encoded map")
        features.append(
            {
                "type": "Feature",
                "properties": dict(feature.get("properties") or {}),
                "geometry": {"type": kind, "coordinates": decoded},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _round_ring(ring: Ring, digits: int) -> Ring | None:
    """The ring rounded, without repeated consecutive points; None when it collapses."""
    out: Ring = []
    for lon, lat in ring:
        point = [round(lon, digits), round(lat, digits)]
        if not out or point != out[-1]:
            out.append(point)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out if len(out) >= 3 else None


def simplify(geojson: dict[str, Any], digits: int = COORDINATE_DIGITS) -> dict[str, Any]:
    """Round coordinates to ``digits`` decimals; drop points and rings that rounding merges."""
    features = []
    for feature in geojson["features"]:
        geometry = feature["geometry"]
        polygons = (
            [geometry["coordinates"]]
            if geometry["type"] == "Polygon"
            else list(geometry["coordinates"])
        )
        kept = []
        for polygon in polygons:
            rings = [_round_ring(ring, digits) for ring in polygon]
            if rings and rings[0] is not None:  # an outer ring that survives, with its holes
                kept.append([r for r in rings if r is not None])
        if not kept:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": feature["properties"],
                "geometry": {"type": "MultiPolygon", "coordinates": kept},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def english_name(chinese: str) -> str | None:
    """The English name of a region of china.json (the census name for the 31 provinces)."""
    return PROVINCES_ZH.get(chinese) or OUTSIDE_CENSUS_ZH.get(chinese)


def load_china() -> dict[str, Any]:
    """The vendored china.json, decoded (not yet renamed or simplified)."""
    try:
        raw = json.loads(CHINA_JSON.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GeoError(f"cannot read the vendored map {CHINA_JSON}: {exc}") from None
    return decode(raw)


@functools.lru_cache(maxsize=1)
def _province_geojson_text() -> str:
    decoded = load_china()
    features = []
    for feature in decoded["features"]:
        chinese = str(feature["properties"].get("name", ""))
        name = english_name(chinese)
        if name is None:
            raise GeoError(f"the vendored map has a region {chinese!r} with no English name")
        feature = {
            **feature,
            "properties": {"name": name, "name_zh": chinese, "in_census": name not in
                           OUTSIDE_CENSUS_ZH.values()},
        }  # fmt: skip
        features.append(feature)
    simple = simplify({"type": "FeatureCollection", "features": features})
    return json.dumps(simple, ensure_ascii=False, separators=(",", ":"))


def province_geojson() -> dict[str, Any]:
    """China's provinces as plain GeoJSON, named as scsim names them, coordinates rounded.

    Each feature's properties: ``name`` (English), ``name_zh`` and ``in_census`` (False for
    Taiwan, Hong Kong and Macau, which no synthetic population includes).
    """
    return json.loads(_province_geojson_text())


def province_geojson_text() -> str:
    """:func:`province_geojson` as compact JSON text (cached), for embedding in a page."""
    return _province_geojson_text()


__all__ = [
    "OUTSIDE_CENSUS_ZH",
    "PROVINCES_ZH",
    "GeoError",
    "decode",
    "decode_ring",
    "english_name",
    "load_china",
    "province_geojson",
    "province_geojson_text",
    "simplify",
]
