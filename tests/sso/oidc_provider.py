"""Run the real OpenID provider (npm ``oidc-provider``, tests/sso/provider/) on loopback.

``npm ci`` runs once into a cache directory keyed by the lock file's hash
(``$LRS_TEST_NPM_CACHE`` or ``~/.cache/lrs-tests``); each test provider is a ``node`` process
on a free 127.0.0.1 port, configured by a JSON file (client, accounts, signing keys).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

SOURCE = Path(__file__).resolve().parent / "provider"
NODE = shutil.which("node")
NPM = shutil.which("npm")
START_TIMEOUT_S = 60.0


def missing_tools() -> str:
    """Why the provider cannot run here ('' when node and npm are both present)."""
    if NODE is None or NPM is None:
        return "node/npm not installed: the OpenID provider tests need Node 20+ and npm"
    return ""


def install() -> Path:
    """The directory holding node_modules/oidc-provider, installed by ``npm ci`` if needed."""
    lock = (SOURCE / "package-lock.json").read_bytes()
    digest = hashlib.sha256(lock + (SOURCE / "package.json").read_bytes()).hexdigest()[:16]
    root = Path(os.environ.get("LRS_TEST_NPM_CACHE") or Path.home() / ".cache" / "lrs-tests")
    target = root / f"oidc-provider-{digest}"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".install.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # xdist workers install once, one at a time
        if not (target / "node_modules" / "oidc-provider" / "package.json").exists():
            work = Path(tempfile.mkdtemp(dir=root, prefix=".npm-"))
            for name in ("package.json", "package-lock.json"):
                shutil.copy(SOURCE / name, work / name)
            subprocess.run(
                [str(NPM), "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                cwd=work,
                check=True,
                capture_output=True,
                timeout=600,
            )
            shutil.rmtree(target, ignore_errors=True)
            work.rename(target)
    return target


def new_signing_key(kid: str | None = None) -> dict[str, Any]:
    """A fresh RSA private key as a JWK (with a random ``kid`` unless given)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key))
    jwk.pop("key_ops", None)  # ["sign"] would stop the provider verifying id_token_hint
    jwk.update(kid=kid or uuid.uuid4().hex[:12], use="sig", alg="RS256")
    return jwk


class OpenIdProvider:
    """One ``oidc-provider`` process; :meth:`restart` swaps its signing key on the same port."""

    def __init__(
        self, home: Path, scratch: Path, client: dict[str, Any], accounts: dict[str, Any]
    ) -> None:
        self.home, self.scratch = home, scratch
        self.client, self.accounts = client, accounts
        self.port = 0
        self.issuer = ""
        self.keys: list[dict[str, Any]] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self._script: Path | None = None

    def start(self, key: dict[str, Any] | None = None) -> str:
        """Start with signing ``key`` (a new one by default); return the issuer URL."""
        self.keys = [key or new_signing_key()]
        conf = {
            "port": self.port,
            "client": self.client,
            "accounts": self.accounts,
            "jwks": {"keys": self.keys},
        }
        conf_path = self.scratch / f"provider-{uuid.uuid4().hex[:8]}.json"
        conf_path.write_text(json.dumps(conf))
        script = self.home / f"provider-{os.getpid()}-{uuid.uuid4().hex[:6]}.mjs"
        shutil.copy(SOURCE / "provider.mjs", script)  # beside node_modules, for its imports
        self._script = script
        self._log = open(self.scratch / "provider.log", "ab")  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            [str(NODE), str(script), str(conf_path)],
            cwd=self.home,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, "NODE_ENV": "test"},
        )
        assert self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], START_TIMEOUT_S)
        line = self._proc.stdout.readline() if ready else b""
        if not line:
            self.stop()
            raise RuntimeError(f"provider did not start; see {self.scratch / 'provider.log'}")
        self.issuer = json.loads(line)["issuer"]
        self.port = int(self.issuer.rsplit(":", 1)[1])
        return self.issuer

    def restart(self, key: dict[str, Any] | None = None) -> None:
        """Stop and start again on the same port with a new signing key (key rotation)."""
        self.stop()
        self.start(key)

    @property
    def public_jwks(self) -> dict[str, Any]:
        """The public half of the current signing keys."""
        public = []
        for jwk in self.keys:
            public.append({k: v for k, v in jwk.items() if k in {"kty", "n", "e", "kid", "alg"}})
        return {"keys": public}

    def stop(self) -> None:
        """Terminate the process (idempotent)."""
        if self._proc is not None:
            self._proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=10)
            if self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._script is not None:
            self._script.unlink(missing_ok=True)
            self._script = None
