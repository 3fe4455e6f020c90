"""Group claims -> roles and unit scopes; bad maps fail at start with the rule named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lrs.sso.discovery import Discovery, ProviderMetadata
from lrs.sso.http import ProviderError
from lrs.sso.mapping import access_for, claimed_groups, parse_group_map
from lrs.sso.pending import MAX_AGE_US, Pending, PendingSignIns, TooManyPending
from statements.people import Access, Scope

MAP = parse_group_map(
    json.dumps(
        {
            "quality": {"roles": ["viewer", "staff"], "scope": "all"},
            "d1": {"roles": ["viewer"], "scope": "department:D1"},
            "d2-edu": {"roles": ["educator"], "scope": "department:D2,site:North"},
        }
    )
)


def test_no_mapped_group_means_no_access() -> None:
    assert access_for(("cafeteria",), MAP) == Access()
    assert access_for((), MAP).roles == ()
    assert not access_for(("cafeteria",), MAP).can_read


def test_union_of_mapped_groups() -> None:
    got = access_for(("d1", "d2-edu", "other"), MAP)
    assert got.roles == ("viewer", "educator")
    assert got.scope == Scope(sites=("North",), departments=("D1", "D2"))
    assert access_for(("d1", "quality"), MAP).scope == Scope(all=True)


def test_claimed_groups_forms() -> None:
    assert claimed_groups({"groups": ["a", 3, "b"]}, "groups") == ("a", "b")
    assert claimed_groups({"roles": "a"}, "roles") == ("a",)
    assert claimed_groups({}, "groups") == ()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[1]", "JSON object"),
        ("{", "not JSON"),
        ('{"g": {"roles": []}}', "roles must be"),
        ('{"g": {"roles": ["boss"], "scope": "all"}}', "unknown role"),
        ('{"g": {"roles": ["viewer"], "scope": "ward:7"}}', "scope item"),
        ('{"g": {"roles": ["viewer"]}}', "scope must be"),
        ('{"g": {"roles": ["viewer"], "scope": "all", "x": 1}}', "must be"),
    ],
)
def test_bad_map_names_the_rule(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as info:
        parse_group_map(text)
    assert "LRS_OIDC_GROUP_MAP" in str(info.value)


DOC = {
    "issuer": "https://idp.test/realms/h",
    "authorization_endpoint": "https://idp.test/auth",
    "token_endpoint": "https://idp.test/token",
    "jwks_uri": "https://idp.test/jwks",
}


def test_discovery_cached_and_issuer_checked() -> None:
    calls: list[str] = []
    now = [0.0]

    def fetch(url: str) -> dict[str, object]:
        calls.append(url)
        return DOC

    disc = Discovery(DOC["issuer"], fetch=fetch, monotonic=lambda: now[0])
    meta = disc.metadata()
    assert meta.end_session_endpoint is None and meta.signing_algs == ("RS256",)
    disc.metadata()
    assert calls == ["https://idp.test/realms/h/.well-known/openid-configuration"]
    now[0] = 7200.0
    disc.metadata()
    assert len(calls) == 2
    with pytest.raises(ProviderError, match="issuer"):
        ProviderMetadata.parse("https://idp.test/realms/other", DOC)
    with pytest.raises(ProviderError, match="jwks_uri"):
        ProviderMetadata.parse(DOC["issuer"], {**DOC, "jwks_uri": ""})


def test_discovery_refuses_plain_http_endpoints_off_loopback() -> None:
    with pytest.raises(ProviderError, match="https"):
        ProviderMetadata.parse(DOC["issuer"], {**DOC, "token_endpoint": "http://idp.test/token"})
    with pytest.raises(ProviderError, match="https"):
        Discovery("http://idp.test").metadata()


def test_pending_sign_ins_single_use_expiry_and_cap(tmp_path: Path) -> None:
    table = PendingSignIns(tmp_path / "p.sqlite", limit=3)
    for n in range(3):
        table.put(Pending(f"s{n}", "n", "v", "/dashboards/", 1_000))
    with pytest.raises(TooManyPending):
        table.put(Pending("s3", "n", "v", "/dashboards/", 1_000))
    assert table.take("s0", 2_000) == Pending("s0", "n", "v", "/dashboards/", 1_000)
    assert table.take("s0", 2_000) is None  # single use
    assert table.take("s1", 1_000 + MAX_AGE_US + 1) is None  # too old to finish
    table.put(Pending("s4", "n", "v", "/", 1_000 + MAX_AGE_US + 5))  # purges the old ones
    assert table.take("s2", 1_000) is None
