"""Canonical keys for Agent / Group identity (Inverse Functional Identifiers).

The stores index agents by :func:`agent_key` and the ``agent`` query filter looks them up the
same way, so both sides agree on case rules: the ``mailto:`` domain of an ``mbox`` is case
insensitive (Data 2.3.1) and is lower-cased, as are SHA-1 hex digits; everything else
(the mailbox local part, ``openid``, account ``homePage`` and ``name``) is compared exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def normalise_mbox(mbox: str) -> str:
    """Lower-case the scheme and the domain of a ``mailto:`` IRI; keep the local part."""
    scheme, _, address = mbox.partition(":")
    local, at, domain = address.rpartition("@")
    if not at:
        return f"{scheme.lower()}:{address}"
    return f"{scheme.lower()}:{local}@{domain.lower()}"


def agent_key(agent: Mapping[str, Any]) -> str | None:
    """A canonical string for the IFI of an Agent or identified Group; None when there is none.

    ``mbox:mailto:a@example.org``, ``mbox_sha1sum:<hex>``, ``openid:<uri>`` or
    ``account:<homePage>|<name>``. Anonymous Groups (no IFI) give None. The first IFI found
    in that order is used; validation guarantees there is at most one.
    """
    mbox = agent.get("mbox")
    if isinstance(mbox, str):
        return "mbox:" + normalise_mbox(mbox)
    sha1 = agent.get("mbox_sha1sum")
    if isinstance(sha1, str):
        return "mbox_sha1sum:" + sha1.lower()
    openid = agent.get("openid")
    if isinstance(openid, str):
        return "openid:" + openid
    account = agent.get("account")
    if isinstance(account, Mapping):
        return f"account:{account.get('homePage')}|{account.get('name')}"
    return None
