"""The filters every page shares (site, service line, role family, as-of date), from the URL."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from urllib.parse import urlencode

from statements.people import Scope

_TOKEN = re.compile(r"^[\w .:/&()+'-]{1,80}$")
ROLE_FAMILIES = ("clinical", "admin", "support", "contractor")
METRICS = ("compliance", "readiness")


class FilterError(ValueError):
    """A query parameter broke a rule: ``param`` names it, ``rule`` says which."""

    def __init__(self, param: str, rule: str) -> None:
        super().__init__(f"query parameter '{param}': {rule}")
        self.param = param
        self.rule = rule


@dataclass(frozen=True)
class Filters:
    """Page filters; empty strings mean "all", ``as_of`` None means "latest available".

    ``scope`` is not a URL parameter: the pages set it from the signed-in viewer, and every
    query's department condition (:func:`dashboards.queries.common.dept_where`) applies it.
    """

    site: str = ""
    service_line: str = ""
    role_family: str = ""
    as_of: dt.date | None = None
    scope: Scope = field(default_factory=lambda: Scope(all=True))

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> Filters:
        """Validate the filter parameters of ``args`` (a request's query string)."""
        values: dict[str, str] = {}
        for name in ("site", "service_line", "role_family"):
            raw = (args.get(name) or "").strip()
            if raw and not _TOKEN.match(raw):
                rule = "must be 1 to 80 letters, digits, spaces or - _ . : / & ( )"
                raise FilterError(name, rule)
            values[name] = raw
        if values["role_family"] and values["role_family"] not in ROLE_FAMILIES:
            raise FilterError("role_family", f"must be one of {', '.join(ROLE_FAMILIES)}")
        raw_date = (args.get("as_of") or "").strip()
        as_of = None
        if raw_date:
            try:
                as_of = dt.date.fromisoformat(raw_date)
            except ValueError as exc:
                raise FilterError("as_of", "must be an ISO 8601 date (YYYY-MM-DD)") from exc
        return cls(
            site=values["site"],
            service_line=values["service_line"],
            role_family=values["role_family"],
            as_of=as_of,
        )

    def query(self, **extra: str) -> str:
        """The URL query string of these filters plus ``extra`` (empty values dropped)."""
        items = {
            f.name: ("" if getattr(self, f.name) is None else str(getattr(self, f.name)))
            for f in fields(self)
            if f.name != "scope"
        }
        items.update(extra)
        return urlencode({k: v for k, v in items.items() if v})


def parse_metric(args: Mapping[str, str]) -> str:
    """The heatmap metric toggle (``compliance`` or ``readiness``)."""
    metric = (args.get("metric") or "compliance").strip()
    if metric not in METRICS:
        raise FilterError("metric", f"must be one of {', '.join(METRICS)}")
    return metric
