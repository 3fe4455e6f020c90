"""Format checks of the xAPI data types (statements.fields)."""

from __future__ import annotations

import pytest

from statements.fields import (
    is_duration,
    is_iri,
    is_irl,
    is_language_tag,
    is_mbox,
    is_uuid,
    is_version,
    parse_timestamp,
    tag,
    untag,
)


@pytest.mark.parametrize(
    "value",
    ["http://example.com", "http://example.com/über", "urn:uuid:1234", "tag:example.com,2020:x"],
)
def test_iri_accepts(value: str) -> None:
    assert is_iri(value)


@pytest.mark.parametrize(
    "value", ["", "abc", "ab=c://should.fail.com", "http://example.com/a b", "/relative/path"]
)
def test_iri_refuses(value: str) -> None:
    assert not is_iri(value)


def test_irl_needs_more_than_a_scheme() -> None:
    assert is_irl("http://example.com/file.txt")
    assert not is_irl("http://")
    assert not is_irl("should fail")


@pytest.mark.parametrize(
    "value",
    [
        "6f1d2b3c-1111-4a2b-8c3d-123456789abc",
        "6F1D2B3C-1111-4A2B-8C3D-123456789ABC",
        "00000000-0000-0000-0000-000000000002",
    ],
)
def test_uuid_accepts_either_case(value: str) -> None:
    assert is_uuid(value)


@pytest.mark.parametrize(
    "value",
    [
        "AA97B177-9383-4934-8543-0F91A7A028368",  # too many digits
        "MA97B177-9383-4934-8543-0F91A7A02836",  # not hex
        "6f1d2b3c11114a2b8c3d123456789abc",  # no hyphens
        "{6f1d2b3c-1111-4a2b-8c3d-123456789abc}",
        "",
    ],
)
def test_uuid_refuses(value: str) -> None:
    assert not is_uuid(value)


@pytest.mark.parametrize(
    "value", ["en-US", "en", "zh-Hant", "sr-Latn-RS", "ase", "es-419", "de-CH-1901", "x-private"]
)
def test_language_tag_accepts(value: str) -> None:
    assert is_language_tag(value)


@pytest.mark.parametrize("value", ["a12345678", "a12345", "en_US", "en-", "", "xx", "123"])
def test_language_tag_refuses(value: str) -> None:
    assert not is_language_tag(value)


@pytest.mark.parametrize("value", ["mailto:learner@example.org", "mailto:a.b+c@sub.example.co.uk"])
def test_mbox_accepts(value: str) -> None:
    assert is_mbox(value)


@pytest.mark.parametrize(
    "value",
    [
        "learner@example.org",
        "mailto:should.fail.com",
        "http://should.fail.com",
        "mailto:",
        "mailto:a b@example.org",
        "MAILTO:learner@example.org",
    ],
)
def test_mbox_refuses(value: str) -> None:
    assert not is_mbox(value)


@pytest.mark.parametrize(
    "value", ["PT1H0M0.1S", "PT4H35M59.14S", "PT16559.14S", "P3Y1M29DT4H35M59.14S", "P3Y", "P4W"]
)
def test_duration_accepts(value: str) -> None:
    assert is_duration(value)


@pytest.mark.parametrize(
    "value", ["P", "PT", "P1YT", "P4W1D", "PA1H0M0S", "P0003-06-04T12:30:05", "should fail", "1H"]
)
def test_duration_refuses(value: str) -> None:
    assert not is_duration(value)


V2_VALID = [
    "2008-09-15T15:53:00.601+00:00",
    "2008-09-15T15:53:00Z",
    "2008-09-15T15:53:00.123456789-05:00",
    "2008-09-15t15:53:00z",
]
V1_ONLY_VALID = [
    "2008-09-15T15:53:00",
    "2008-09-15T15:53Z",
    "20080915T155300Z",
    "20080915T1553-0500",
]
NEVER_VALID = [
    "should fail",
    "01/011/2015",
    "2008-09-15",
    "2008-09-15T15:53:00.601-00",
    "2008-09-15T15:53:00.601-0000",
    "2008-09-15T15:53:00.601-00:00",
    "2008-13-15T15:53:00Z",
    "2008-02-30T15:53:00Z",
    "2008-09-15T15:53:00+0500",
    "2008-09-15 15:53:00Z",
]


@pytest.mark.parametrize("value", V2_VALID)
def test_timestamp_rfc3339_accepted_by_both_versions(value: str) -> None:
    assert parse_timestamp(value, rfc3339=True) is not None
    assert parse_timestamp(value, rfc3339=False) is not None


@pytest.mark.parametrize("value", V1_ONLY_VALID)
def test_timestamp_iso8601_forms_only_for_1_0_3(value: str) -> None:
    assert parse_timestamp(value, rfc3339=False) is not None
    assert parse_timestamp(value, rfc3339=True) is None


@pytest.mark.parametrize("value", NEVER_VALID)
def test_timestamp_refused_by_both_versions(value: str) -> None:
    assert parse_timestamp(value, rfc3339=False) is None
    assert parse_timestamp(value, rfc3339=True) is None


def test_parse_timestamp_keeps_the_offset() -> None:
    parsed = parse_timestamp("2008-09-15T15:53:00.601+02:00", rfc3339=True)
    assert parsed is not None and parsed.utcoffset() is not None
    assert parsed.utcoffset().total_seconds() == 7200  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "request_version", "ok"),
    [
        ("1.0", "1.0.3", True),
        ("1.0.9", "1.0.3", True),
        ("2.0.0", "1.0.3", False),
        ("1.0.3", "2.0.0", True),
        ("2.0", "2.0.0", True),
        ("2.0.0", "2.0.0", True),
        ("0.9.9", "2.0.0", False),
        ("1.1.0", "2.0.0", False),
        ("2.1.0", "2.0.0", False),
        ("should fail", "2.0.0", False),
    ],
)
def test_version(value: str, request_version: str, ok: bool) -> None:
    assert is_version(value, request_version) is ok


def test_tag_round_trip() -> None:
    assert untag(tag("iri", "bad")) == ("iri", "bad")
    assert untag("plain text") == ("invalid", "plain text")
