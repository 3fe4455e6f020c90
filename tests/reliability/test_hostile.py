"""Hostile JSON never reaches a 500 (issue 21): the failures found by hand, each a regression
test on both backends, the corpus replayed, and a bounded hypothesis run per route family."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings

from analytics.imports.validate import read_rows
from analytics.sandbox import check_sql
from lrs.credentials import new_credential
from lrs.ops.metrics import metrics_of
from statements.errors import BadRequest
from tests.reliability.hostile import FAMILIES, Probe, probes, statement_text
from tests.reliability.oracle import check, flask_sender

CORPUS = Path(__file__).parent / "corpus"
EXAMPLES = int(os.environ.get("LRS_FUZZ_EXAMPLES", "15"))
SID = "6f4b3f2e-5a1d-4c3b-9e8f-0a1b2c3d4e5f"
STATE = "/xapi/activities/state?activityId=http%3A%2F%2Fexample.org%2Fa&stateId=s&agent="
AGENT_Q = "%7B%22mbox%22%3A%22mailto%3Aa%40example.org%22%7D"
DOC_URLS = [
    STATE + AGENT_Q,
    "/xapi/activities/profile?activityId=http%3A%2F%2Fexample.org%2Fa&profileId=p",
    "/xapi/agents/profile?profileId=p&agent=" + AGENT_Q,
]


def _err(resp: Any, status: int = 400) -> dict[str, Any]:
    assert resp.status_code == status, resp.get_data()[:300]
    body = resp.get_json()
    assert set(body) == {"error", "errors", "status"} and body["status"] == status
    return dict(body["errors"][0])


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def _post(client: FlaskClient, headers: dict[str, str], text: str) -> Any:
    return client.post(
        "/xapi/statements",
        data=text.encode("utf-8", "surrogatepass"),
        headers={**headers, "Content-Type": "application/json"},
    )


# -- deep nesting --------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [500, 1000, 100_000])
def test_deeply_nested_extension_is_400_before_parsing(
    client: FlaskClient, headers: dict[str, str], depth: int
) -> None:
    err = _err(_post(client, headers, statement_text(SID, _nested(depth), "extension")))
    assert err["rule"] == "max_json_depth" and "LRS_MAX_JSON_DEPTH" in err["message"]
    assert client.get(f"/xapi/statements?statementId={SID}", headers=headers).status_code == 404


def test_depth_limit_is_exact_and_settable(
    client: FlaskClient, headers: dict[str, str], app: Flask
) -> None:
    # statement object (1) + result (2) + extensions (3) + the array nest
    assert _post(client, headers, statement_text(SID, _nested(61), "extension")).status_code == 200
    other = SID.replace("6f", "7f")
    assert _err(_post(client, headers, statement_text(other, _nested(62), "extension")))
    from dataclasses import replace

    from lrs.extensions import services

    svc = services(app)
    svc.settings = replace(svc.settings, max_json_depth=200)
    assert (
        _post(client, headers, statement_text(other, _nested(150), "extension")).status_code == 200
    )


@pytest.mark.parametrize("url", DOC_URLS)
@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_deeply_nested_document_is_400(
    client: FlaskClient, headers: dict[str, str], url: str, method: str
) -> None:
    body = ('{"a":' + _nested(1000) + "}").encode()
    resp = client.open(
        url,
        method=method,
        data=body,
        headers={**headers, "Content-Type": "application/json", "If-None-Match": "*"},
    )
    assert _err(resp)["rule"] == "max_json_depth"


def test_deeply_nested_agent_query_parameter_is_400(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    deep = '{"mbox":"mailto:a@example.org","name":' + _nested(2000) + "}"
    for path in ("/xapi/statements?agent=", "/xapi/agents?agent=", STATE):
        err = _err(client.get(path + deep, headers=headers))
        assert (err["path"], err["rule"]) == ("agent", "max_json_depth")


# -- text that cannot be stored -------------------------------------------------------------------


def test_lone_surrogate_in_verb_display_is_400_naming_the_path(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    err = _err(_post(client, headers, statement_text(SID, '"\\ud800"', "verb")))
    assert err == {
        "path": "$.verb.display.en-US",
        "rule": "unencodable",
        "message": "lone UTF-16 surrogates are not text",
    }


def test_valid_surrogate_pair_is_accepted_and_read_back_unchanged(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    assert (
        _post(client, headers, statement_text(SID, '"\\ud83d\\ude00"', "verb")).status_code == 200
    )
    back = client.get(f"/xapi/statements?statementId={SID}&format=exact", headers=headers)
    assert back.get_json()["verb"]["display"]["en-US"] == "\U0001f600"


@pytest.mark.parametrize("url", DOC_URLS)
def test_lone_surrogate_in_a_document_is_400(
    client: FlaskClient, headers: dict[str, str], url: str
) -> None:
    resp = client.put(
        url,
        data=b'{"x":["ok","\\udfff"]}',
        headers={**headers, "Content-Type": "application/json", "If-None-Match": "*"},
    )
    assert _err(resp)["path"] == "$.x[1]"


def test_lone_surrogate_in_agent_parameter_is_400(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    err = _err(
        client.get('/xapi/statements?agent={"mbox":"mailto:\\ud800@x.org"}', headers=headers)
    )
    assert (err["path"], err["rule"]) == ("agent.mbox", "unencodable")


def test_lone_surrogate_in_credentials_imports_and_sql_is_refused() -> None:
    with pytest.raises(BadRequest) as exc:
        new_credential("bad\udcff", ("all",), 0)
    assert exc.value.errors[0].path == "name"
    from analytics.imports.spec import KINDS

    rows = list(read_rows(KINDS["departments"], b'{"department_id":"\\ud800"}\n', "jsonl"))
    assert "unencodable" in rows[0][1]["__shape__"]
    with pytest.raises(BadRequest) as exc:
        check_sql("SELECT '\ud800'")
    assert exc.value.errors[0].rule == "unencodable"


@pytest.mark.parametrize(
    "fragment,rule",
    [
        ("NaN", "json_number"),
        ("-Infinity", "json_number"),
        ("1e400", "json_number"),
        ('{"k":1,"k":2}', "duplicate_key"),
    ],
)
def test_values_that_would_not_read_back_are_400(
    client: FlaskClient, headers: dict[str, str], fragment: str, rule: str
) -> None:
    assert _err(_post(client, headers, statement_text(SID, fragment, "extension")))["rule"] == rule


def test_bom_and_invalid_utf8_are_400(client: FlaskClient, headers: dict[str, str]) -> None:
    text = statement_text(SID, "1", "extension").encode()
    for body, rule in ((b"\xef\xbb\xbf" + text, "bom"), (text[:20] + b"\xff" + text[20:], "utf8")):
        resp = client.post(
            "/xapi/statements", data=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert _err(resp)["rule"] == rule


# -- counts --------------------------------------------------------------------------------------


def test_too_many_multipart_parts_is_400(client: FlaskClient, headers: dict[str, str]) -> None:
    part = b"--zz\r\nContent-Type: text/plain\r\nX-Experience-API-Hash: 00\r\n\r\nx\r\n"
    body = b"--zz\r\nContent-Type: application/json\r\n\r\n{}\r\n" + part * 200 + b"--zz--\r\n"
    resp = client.post(
        "/xapi/statements",
        data=body,
        headers={**headers, "Content-Type": "multipart/mixed; boundary=zz"},
    )
    assert _err(resp)["rule"] == "max_multipart_parts"


def test_too_many_query_parameters_is_400(client: FlaskClient, headers: dict[str, str]) -> None:
    flood = "&".join(f"p{i}=1" for i in range(51))
    err = _err(client.get("/xapi/statements?" + flood, headers=headers))
    assert err["rule"] == "max_query_params"
    few = client.get("/xapi/statements?limit=1", headers=headers)
    assert few.status_code == 200


@pytest.mark.parametrize("url", DOC_URLS)
def test_document_over_max_document_bytes_is_413_naming_the_setting(
    client: FlaskClient, headers: dict[str, str], url: str
) -> None:
    body = json.dumps({"x": "y" * (1024 * 1024)}).encode()
    resp = client.put(
        url,
        data=body,
        headers={**headers, "Content-Type": "application/json", "If-None-Match": "*"},
    )
    err = _err(resp, 413)
    assert err["rule"] == "max_document_bytes" and "LRS_MAX_DOCUMENT_BYTES" in err["message"]


# -- logs and metrics ----------------------------------------------------------------------------


def test_bad_input_logs_one_warning_line_without_traceback_and_counts(
    client: FlaskClient, headers: dict[str, str], app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for _ in range(3):
        _post(client, headers, statement_text(SID, _nested(1000), "extension"))
    refused = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(refused) == 3
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in refused)
    assert "max_json_depth" in refused[0].getMessage()
    counter = metrics_of(app).rejections.labels(status="400", reason="max_json_depth")
    assert counter._value.get() == 3


# -- corpus and hypothesis -----------------------------------------------------------------------


def _corpus() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*/*.bin"))


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_input_never_gets_a_server_error(
    client: FlaskClient, credential: Callable[..., dict[str, str]], path: Path
) -> None:
    send = flask_sender(client, credential("all", "admin"))
    status, problem = check(send, Probe.from_file(path.read_bytes()))
    assert problem is None, (status, problem)


@pytest.mark.parametrize("family", FAMILIES)
def test_hostile_json_never_gets_a_server_error(
    client: FlaskClient, credential: Callable[..., dict[str, str]], family: str
) -> None:
    send = flask_sender(client, credential("all", "admin"))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(probe=probes(family))
    def run(probe: Probe) -> None:
        status, problem = check(send, probe)
        assert problem is None, (status, problem, probe.method, probe.path[:200], probe.body[:200])

    run()


class _CountingStream:
    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        chunk = b"a" * (65536 if size < 0 else min(size, 65536))
        self.read_bytes += len(chunk)
        return chunk


@pytest.mark.parametrize("declared,drained", [(30 * 1024 * 1024, 30 * 1024 * 1024), (10**12, 0)])
def test_oversized_body_is_drained_up_to_the_bound_then_413(
    client: FlaskClient, headers: dict[str, str], declared: int, drained: int
) -> None:
    """Within LRS_MAX_DRAIN_BYTES the body is read (and discarded) before the 413; above it, not."""
    stream = _CountingStream()
    resp = client.post(
        "/xapi/statements",
        headers={**headers, "Content-Type": "application/json"},
        environ_overrides={"wsgi.input": stream, "CONTENT_LENGTH": str(declared)},
    )
    assert _err(resp, 413)["rule"] == "max_body_bytes"
    assert stream.read_bytes == drained
