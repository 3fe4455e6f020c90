"""OpenID Connect sign-in for the dashboards (a relying party; see docs/sso.md).

``discovery`` reads and caches the provider's metadata, ``tokens`` validates ID tokens,
``pending`` keeps each sign-in's state/nonce/PKCE verifier until its single use, ``mapping``
turns group claims into roles and unit scopes, and ``views`` holds the routes.
"""
