"""Events worth telling someone, read from the warehouse after a models run.

Each detector reads the published output tables (ANALYTICS.md §9) as of a month and returns
:class:`statements.alerts.model.Event` rows with deterministic ids (kind + cell + month), so a
re-run raises nothing new. A missing table (an older warehouse, a model not run) yields no
events from that detector, never an error.

* ``flag_priority`` / ``flag_declining`` / ``flag_low``: a cell flagged this month that was not
  flagged (PRIORITY, DECLINING or LOW) the month before — one alert per episode, however the
  flag then moves; ``flag_escalated``: a flagged cell that became PRIORITY this month (its own
  kind, so a subscriber chooses whether an escalation is news);
* ``update_behind``: a cell UPDATE_IN_PROGRESS whose share of staff still ``update_due`` is
  above the straight-line burn-down from the change date to its retrain deadline (+ slack);
* ``harm_high``: a department's harm count above its funnel limit this month;
* ``time_to_red``: an unflagged cell forecast to turn red within N days;
* ``certification_cliff``: more than X % of a cell's required staff expire within 30 days.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from analytics.warehouse import Connection
from statements.alerts.model import Event, event_id

ATTENTION = ("PRIORITY", "DECLINING", "LOW")
FLAG_KIND = {"PRIORITY": "flag_priority", "DECLINING": "flag_declining", "LOW": "flag_low"}


@dataclass(frozen=True)
class Rules:
    """Thresholds of the non-flag events (LRS_ALERTS_* settings)."""

    time_to_red_days: int = 30
    cliff_share: float = 0.2
    cliff_min_staff: int = 5
    burn_down_slack: float = 0.1
    base_url: str = "http://127.0.0.1:8000"


def _tables(conn: Connection) -> set[str]:
    return {
        r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


def _names(conn: Connection) -> tuple[dict[str, tuple[str, str, str]], dict[str, str]]:
    depts = {
        str(d): (str(n), str(s), str(sl))
        for d, n, s, sl in conn.execute(
            "SELECT department_id, name, site, service_line FROM departments"
        ).fetchall()
    }
    comps = {
        str(c): str(n)
        for c, n in conn.execute("SELECT competency_id, name FROM competencies").fetchall()
    }
    return depts, comps


class Detector:
    """Reads one warehouse connection and builds events for ``month``."""

    def __init__(self, conn: Connection, month: date, as_of: date, rules: Rules, now_us: int):
        self.conn, self.month, self.as_of, self.rules, self.now_us = (
            conn,
            month,
            as_of,
            rules,
            now_us,
        )
        self.tables = _tables(conn)
        self.depts, self.comps = (
            _names(conn) if {"departments", "competencies"} <= self.tables else ({}, {})
        )

    def event(
        self, kind: str, severity: str, dept: str, comp: str | None, reason: str, **extra: Any
    ) -> Event:
        """An event about a cell, with names, place and a link to the heatmap."""
        name, site, line = self.depts.get(dept, (dept, None, None))
        comp_name = self.comps.get(comp, comp) if comp else None
        month = self.month.strftime("%Y-%m")
        title = f"{name}: {comp_name}" if comp_name else name
        query = f"department={dept}" + (f"&competency={comp}" if comp else "")
        return Event(
            id=event_id(kind, dept, comp, month),
            kind=kind,
            severity=severity,
            month=month,
            department_id=dept,
            competency_id=comp,
            title=title,
            reason=reason,
            link=f"{self.rules.base_url.rstrip('/')}/dashboards/readiness?{query}",
            site=site,
            service_line=line,
            department_name=name,
            competency_name=comp_name,
            evidence=extra,
            raised_us=self.now_us,
        )

    def rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        """Rows as dicts with JSON-able values (dates as ISO strings)."""
        cur = self.conn.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [
            {c: (v.isoformat() if isinstance(v, date) else v) for c, v in zip(cols, r, strict=True)}
            for r in cur.fetchall()
        ]

    def all(self) -> list[Event]:
        """Every detector's events, by id."""
        found = self.new_flags() + self.update_behind() + self.harm_high()
        found += self.time_to_red() + self.certification_cliff()
        return sorted(found, key=lambda e: e.id)

    # -- detectors ---------------------------------------------------------------------------
    def new_flags(self) -> list[Event]:
        """Cells newly PRIORITY / DECLINING / LOW this month."""
        if "flags" not in self.tables:
            return []
        marks = ", ".join(f"'{s}'" for s in ATTENTION)
        found = self.rows(
            f"""SELECT fl.*, prev.flag AS previous_flag FROM flags fl
                LEFT JOIN flags prev ON prev.department_id = fl.department_id
                     AND prev.competency_id = fl.competency_id
                     AND prev.month = fl.month - INTERVAL 1 MONTH
                WHERE fl.month = ? AND fl.flag IN ({marks})
                  AND (prev.flag IS NULL OR prev.flag NOT IN ({marks})
                       OR (prev.flag <> 'PRIORITY' AND fl.flag = 'PRIORITY'))
                ORDER BY fl.department_id, fl.competency_id""",
            [self.month],
        )
        out = []
        for row in found:
            explanation = _json(row.get("explanation"))
            reason = str(explanation.get("reason") or explanation.get("text") or row["flag"])
            row["explanation"] = explanation
            severity = "high" if row["flag"] == "PRIORITY" else "medium"
            escalated = row["previous_flag"] in ATTENTION
            out.append(
                self.event(
                    "flag_escalated" if escalated else FLAG_KIND[row["flag"]],
                    severity,
                    row["department_id"],
                    row["competency_id"],
                    reason,
                    flag_row=row,
                )
            )
        return out

    def update_behind(self) -> list[Event]:
        """UPDATE_IN_PROGRESS cells retraining slower than the burn-down line."""
        need = {"flags", "protocol_changes", "person_competency_status"}
        if not need <= self.tables:
            return []
        found = self.rows(
            """WITH ch AS (
                 SELECT competency_id, max(change_date) AS change_date,
                        arg_max(retrain_due_days, change_date) AS due_days
                 FROM protocol_changes WHERE invalidates_prior AND change_date <= ?
                 GROUP BY competency_id),
               st AS (
                 SELECT department_id, competency_id, count(*) AS n_required,
                        count(*) FILTER (WHERE status = 'update_due') AS n_update_due
                 FROM person_competency_status GROUP BY ALL)
               SELECT fl.department_id, fl.competency_id, ch.change_date, ch.due_days,
                      st.n_required, st.n_update_due
               FROM flags fl JOIN ch USING (competency_id)
               JOIN st USING (department_id, competency_id)
               WHERE fl.month = ? AND fl.flag = 'UPDATE_IN_PROGRESS' AND st.n_required > 0
               ORDER BY 1, 2""",
            [self.as_of, self.month],
        )
        out = []
        for row in found:
            elapsed = (self.as_of - date.fromisoformat(row["change_date"])).days
            expected = max(0.0, 1.0 - elapsed / max(int(row["due_days"] or 1), 1))
            remaining = row["n_update_due"] / row["n_required"]
            if remaining <= expected + self.rules.burn_down_slack:
                continue
            reason = (
                f"{row['n_update_due']} of {row['n_required']} staff still need the updated "
                f"training {elapsed} days after the change; the plan expected at most "
                f"{expected:.0%} by now."
            )
            out.append(
                self.event(
                    "update_behind",
                    "medium",
                    row["department_id"],
                    row["competency_id"],
                    reason,
                    burn_down=row | {"expected_share": round(expected, 3)},
                )
            )
        return out

    def harm_high(self) -> list[Event]:
        """Departments whose harm count is above its funnel limit this month."""
        if "incident_rates" not in self.tables or not self._has("incident_rates", "harm_high"):
            return []
        found = self.rows(
            "SELECT * FROM incident_rates WHERE month = ? AND harm_high ORDER BY department_id",
            [self.month],
        )
        return [
            self.event(
                "harm_high",
                "high",
                row["department_id"],
                None,
                f"{row['harm_events']} harm events this month, above what the department's "
                "size predicts.",
                incident_rates=row,
            )
            for row in found
        ]

    def time_to_red(self) -> list[Event]:
        """Cells not flagged yet but forecast to fall below target within N days."""
        if "forecast" not in self.tables or not self._has("forecast", "time_to_red_days"):
            return []
        found = self.rows(
            """SELECT department_id, competency_id, min(time_to_red_days) AS days,
                      min(red_on) AS red_on
               FROM forecast WHERE time_to_red_days IS NOT NULL AND time_to_red_days > 0
                 AND time_to_red_days < ?
               GROUP BY ALL ORDER BY 1, 2""",
            [self.rules.time_to_red_days],
        )
        return [
            self.event(
                "time_to_red",
                "medium",
                row["department_id"],
                row["competency_id"],
                f"Compliance is forecast to fall below target in {row['days']} days "
                f"(on {row['red_on']}).",
                forecast=row,
            )
            for row in found
        ]

    def certification_cliff(self) -> list[Event]:
        """Cells where more than X % of required staff expire within 30 days."""
        if "person_competency_status" not in self.tables:
            return []
        end = self.as_of + timedelta(days=30)
        found = self.rows(
            """SELECT department_id, competency_id, count(*) AS n_required,
                      count(*) FILTER (WHERE expires_on > ? AND expires_on <= ?) AS n_expiring
               FROM person_competency_status GROUP BY ALL
               HAVING count(*) >= ? ORDER BY 1, 2""",
            [self.as_of, end, self.rules.cliff_min_staff],
        )
        out = []
        for row in found:
            share = row["n_expiring"] / row["n_required"]
            if share <= self.rules.cliff_share:
                continue
            reason = (
                f"{row['n_expiring']} of {row['n_required']} required staff ({share:.0%}) "
                f"have certificates expiring by {end.isoformat()}."
            )
            out.append(
                self.event(
                    "certification_cliff",
                    "medium",
                    row["department_id"],
                    row["competency_id"],
                    reason,
                    expiring=row,
                )
            )
        return out

    def _has(self, table: str, column: str) -> bool:
        cols = self.conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall()
        return column in {c[0] for c in cols}


def _json(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        found = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
