"""JSON Web Tokens: verifying the ones clients send, minting development ones.

A token is verified with one key chosen by its header's algorithm, never by anything else the
token says: HS256 with the configured secret; RS256 / ES256 with the configured public key or
the key of the JWKS file whose `kid` it names. Issuer, audience, expiry and subject are
required. The JWKS file is read once and kept in memory; it is read again only when a token
names a key id it does not hold and the file has changed since (a key rotation), so a request
never waits on the network.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from api.settings import Settings

HMAC_ALGORITHM = "HS256"
PUBLIC_KEY_ALGORITHMS = ("RS256", "ES256")
MIN_SECRET_BYTES = 32
DEVELOPMENT_SUBJECT_PREFIX = "okrql-dev:"


class TokenError(Exception):
    """A token that is missing, malformed, expired or wrongly signed (HTTP 401)."""


class ConfigurationError(Exception):
    """Settings that cannot verify tokens (the server refuses to start)."""


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    issuer: str
    subject: str
    # Only an email the issuer vouches for (`email_verified: true`).
    verified_email: str | None
    # The organisation slug the token names (`org` claim), if any.
    organization: str | None


def configuration_problem(settings: Settings) -> str | None:
    """Why these settings cannot serve (production needs JWT settings); None when they can."""
    if settings.is_production and not settings.jwt_configured:
        return (
            "production needs OKRQL_JWT_ISSUER, OKRQL_JWT_AUDIENCE and one of OKRQL_JWT_SECRET,"
            " OKRQL_JWT_PUBLIC_KEY or OKRQL_JWT_JWKS_FILE"
        )
    try:
        TokenVerifier.from_settings(settings)
    except ConfigurationError as error:
        return str(error)
    return None


def _public_key_algorithm(key: Any) -> str:
    if isinstance(key, RSAPublicKey):
        return "RS256"
    if isinstance(key, EllipticCurvePublicKey):
        return "ES256"
    raise ConfigurationError("OKRQL_JWT_PUBLIC_KEY must be an RSA or EC (P-256) public key")


def _load_public_key(value: str) -> tuple[str, Any]:
    """(algorithm, key) from PEM text, or from the file a path names."""
    text = value if value.lstrip().startswith("-----BEGIN") else None
    if text is None:
        try:
            text = Path(value).read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigurationError(f"cannot read OKRQL_JWT_PUBLIC_KEY: {error}") from None
    try:
        key = load_pem_public_key(text.encode())
    except ValueError as error:
        raise ConfigurationError(f"OKRQL_JWT_PUBLIC_KEY is not a PEM public key: {error}") from None
    return _public_key_algorithm(key), key


def _read_jwks(path: Path) -> dict[str | None, jwt.PyJWK]:
    """The signing keys of a JWKS file by key id; only RS256 and ES256 keys are kept."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        key_set = jwt.PyJWKSet.from_dict(data)
    except (OSError, ValueError, jwt.PyJWKSetError) as error:
        raise ConfigurationError(f"cannot read OKRQL_JWT_JWKS_FILE {path}: {error}") from None
    keys: dict[str | None, jwt.PyJWK] = {}
    for key in key_set.keys:
        if key.algorithm_name in PUBLIC_KEY_ALGORITHMS and key.public_key_use in (None, "sig"):
            keys[key.key_id] = key
    if not keys:
        raise ConfigurationError(f"OKRQL_JWT_JWKS_FILE {path} holds no RS256 or ES256 key")
    return keys


class _JwksFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.mtime = path.stat().st_mtime if path.exists() else 0.0
        self.keys = _read_jwks(path)
        self.lock = threading.Lock()

    def key(self, key_id: str | None) -> jwt.PyJWK | None:
        key = self.keys.get(key_id)
        if key is None and key_id is not None:
            # A key id not seen yet: the file may have been rotated; read it again if so.
            with self.lock:
                try:
                    mtime = self.path.stat().st_mtime
                except OSError:
                    return None
                if mtime != self.mtime:
                    try:
                        self.keys = _read_jwks(self.path)
                    except ConfigurationError:
                        return None
                    self.mtime = mtime
            key = self.keys.get(key_id)
        if key is None and key_id is None and len(self.keys) == 1:
            key = next(iter(self.keys.values()))
        return key


class TokenVerifier:
    """Verifies tokens against the configured keys, issuer and audience."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        secret: str | None = None,
        public_key: str | None = None,
        jwks_file: Path | None = None,
        leeway: int = 30,
    ) -> None:
        if secret is not None and len(secret.encode()) < MIN_SECRET_BYTES:
            raise ConfigurationError(f"OKRQL_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.secret = secret
        self.public_key = _load_public_key(public_key) if public_key else None
        self.jwks = _JwksFile(jwks_file) if jwks_file else None

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenVerifier | None:
        """The verifier the settings describe; None when JWT sign-in is not configured."""
        if not settings.jwt_configured:
            return None
        assert settings.jwt_issuer is not None
        assert settings.jwt_audience is not None
        return cls(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            secret=settings.jwt_secret or None,
            public_key=settings.jwt_public_key or None,
            jwks_file=settings.jwt_jwks_file,
            leeway=settings.jwt_leeway,
        )

    def _key(self, header: dict[str, Any]) -> tuple[str, Any]:
        algorithm = header.get("alg")
        if algorithm == HMAC_ALGORITHM and self.secret is not None:
            return algorithm, self.secret
        if algorithm in PUBLIC_KEY_ALGORITHMS:
            key_id = header.get("kid")
            if self.jwks is not None:
                jwk = self.jwks.key(key_id if isinstance(key_id, str) else None)
                if jwk is not None and jwk.algorithm_name == algorithm:
                    return algorithm, jwk.key
            if self.public_key is not None and self.public_key[0] == algorithm:
                return algorithm, self.public_key[1]
            raise TokenError("The token is signed with a key okrql does not know.")
        raise TokenError(f"Tokens signed with {algorithm!r} are not accepted.")

    def verify(self, token: str) -> VerifiedToken:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenError("The bearer token is not a well-formed JWT.") from None
        algorithm, key = self._key(header)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("The token has expired.") from None
        except jwt.InvalidSignatureError:
            raise TokenError("The token's signature is not valid.") from None
        except jwt.InvalidIssuerError:
            raise TokenError("The token's issuer is not accepted.") from None
        except jwt.InvalidAudienceError:
            raise TokenError("The token is not meant for this API (audience).") from None
        except jwt.MissingRequiredClaimError as error:
            raise TokenError(f"The token lacks the {error.claim!r} claim.") from None
        except jwt.PyJWTError:
            raise TokenError("The token is not valid.") from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise TokenError("The token's subject is empty.")
        email = claims.get("email")
        verified = claims.get("email_verified") is True and isinstance(email, str) and "@" in email
        organization = claims.get("org")
        return VerifiedToken(
            issuer=self.issuer,
            subject=subject,
            verified_email=email if verified else None,
            organization=organization if isinstance(organization, str) and organization else None,
        )


def mint_development_token(
    settings: Settings,
    *,
    email: str,
    organization: str | None = None,
    ttl: int = 3600,
    now: dt.datetime | None = None,
) -> str:
    """An HS256 token for `email`, signed with OKRQL_JWT_SECRET (never in production)."""
    if settings.is_production:
        raise ConfigurationError("development tokens are not minted in production")
    if not (settings.jwt_secret and settings.jwt_issuer and settings.jwt_audience):
        raise ConfigurationError(
            "minting needs OKRQL_JWT_SECRET, OKRQL_JWT_ISSUER and OKRQL_JWT_AUDIENCE"
        )
    if len(settings.jwt_secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigurationError(f"OKRQL_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
    if ttl <= 0:
        raise ConfigurationError("--ttl must be positive")
    issued = now or dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": DEVELOPMENT_SUBJECT_PREFIX + email.strip().lower(),
        "email": email.strip(),
        "email_verified": True,
        "iat": issued,
        "exp": issued + dt.timedelta(seconds=ttl),
    }
    if organization:
        claims["org"] = organization
    return jwt.encode(claims, settings.jwt_secret, algorithm=HMAC_ALGORITHM)
