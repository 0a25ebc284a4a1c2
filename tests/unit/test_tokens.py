"""Verifying tokens (HS256, RS256 with a public key, ES256 from a JWKS file) and minting them."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from api.auth.tokens import (
    ConfigurationError,
    TokenError,
    TokenVerifier,
    configuration_problem,
    mint_development_token,
)
from api.settings import Settings
from domain.api_keys import ApiKeyInputError, hash_secret, new_secret, parse_scopes

ISSUER, AUDIENCE = "https://id.example/", "okrql"
SECRET = "s" * 32


def claims(**extra: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u1",
        "exp": now + dt.timedelta(minutes=5),
    } | extra


def test_hs256_with_the_secret_is_verified() -> None:
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, secret=SECRET)
    token = jwt.encode(
        claims(email="a@b.example", email_verified=True, org="acme"), SECRET, algorithm="HS256"
    )
    verified = verifier.verify(token)
    assert (verified.subject, verified.verified_email, verified.organization) == (
        "u1",
        "a@b.example",
        "acme",
    )


def test_an_unverified_email_is_not_passed_on() -> None:
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, secret=SECRET)
    for flag in (False, "true", None):
        token = jwt.encode(claims(email="a@b.example", email_verified=flag), SECRET, "HS256")
        assert verifier.verify(token).verified_email is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"exp": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, "expired"),
        ({"iss": "https://other/"}, "issuer"),
        ({"aud": "other"}, "audience"),
        ({"sub": ""}, "subject"),
    ],
)
def test_bad_claims_are_refused(changes: dict[str, Any], message: str) -> None:
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, secret=SECRET)
    with pytest.raises(TokenError, match=message):
        verifier.verify(jwt.encode(claims(**changes), SECRET, algorithm="HS256"))


def test_a_token_without_expiry_is_refused() -> None:
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, secret=SECRET)
    body = claims()
    del body["exp"]
    with pytest.raises(TokenError, match="exp"):
        verifier.verify(jwt.encode(body, SECRET, algorithm="HS256"))


def _rsa_pem() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, pem.decode()


def test_rs256_with_the_public_key_is_verified_and_no_algorithm_confusion() -> None:
    private, pem = _rsa_pem()
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, public_key=pem)
    assert verifier.verify(jwt.encode(claims(), private, algorithm="RS256")).subject == "u1"

    # an HS256 token "signed" with the public key as a secret is not accepted
    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    body = json.dumps(claims(), default=lambda d: int(d.timestamp())).encode()
    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64(body)
    signature = hmac.new(pem.encode(), signing_input, hashlib.sha256).digest()
    forged = (signing_input + b"." + b64(signature)).decode()
    with pytest.raises(TokenError):
        verifier.verify(forged)
    other, _ = _rsa_pem()
    with pytest.raises(TokenError, match="signature"):
        verifier.verify(jwt.encode(claims(), other, algorithm="RS256"))


def test_a_public_key_file_path_is_read(tmp_path: Path) -> None:
    private, pem = _rsa_pem()
    path = tmp_path / "key.pem"
    path.write_text(pem)
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, public_key=str(path))
    assert verifier.verify(jwt.encode(claims(), private, algorithm="RS256")).subject == "u1"


def _jwks(path: Path, keys: dict[str, ec.EllipticCurvePrivateKey]) -> None:
    entries = []
    for kid, key in keys.items():
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
        entries.append(jwk | {"kid": kid, "alg": "ES256", "use": "sig"})
    path.write_text(json.dumps({"keys": entries}))


def test_es256_from_a_jwks_file_with_rotation(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    old, new = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    _jwks(path, {"old": old})
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_file=path)
    signed_old = jwt.encode(claims(), old, algorithm="ES256", headers={"kid": "old"})
    assert verifier.verify(signed_old).subject == "u1"
    signed_new = jwt.encode(claims(), new, algorithm="ES256", headers={"kid": "new"})
    with pytest.raises(TokenError, match="key"):
        verifier.verify(signed_new)
    # the provider rotates: the file changes, and the new key id is found in it
    _jwks(path, {"old": old, "new": new})
    os.utime(path, (1, 1))
    assert verifier.verify(signed_new).subject == "u1"


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "okrql_x"])
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(TokenError):
        TokenVerifier(issuer=ISSUER, audience=AUDIENCE, secret=SECRET).verify(token)


def test_unsigned_tokens_are_refused() -> None:
    token = jwt.encode(claims(), None, algorithm="none")
    with pytest.raises(TokenError, match="not accepted"):
        TokenVerifier(issuer=ISSUER, audience=AUDIENCE, secret=SECRET).verify(token)


def test_a_short_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        TokenVerifier(issuer=ISSUER, audience=AUDIENCE, secret="short")


def test_production_needs_jwt_settings() -> None:
    assert configuration_problem(Settings(environment="production")) is not None
    assert configuration_problem(Settings(environment="development")) is None
    ready = Settings(
        environment="production", jwt_secret=SECRET, jwt_issuer=ISSUER, jwt_audience=AUDIENCE
    )
    assert configuration_problem(ready) is None


def test_development_tokens_are_minted_and_verify() -> None:
    settings = Settings(jwt_secret=SECRET, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    token = mint_development_token(settings, email="Ada@Example.com", organization="demo", ttl=60)
    verified = TokenVerifier.from_settings(settings).verify(token)  # type: ignore[union-attr]
    assert verified.verified_email == "Ada@Example.com"
    assert verified.organization == "demo"
    with pytest.raises(ConfigurationError):
        mint_development_token(
            Settings(environment="production", jwt_secret=SECRET, jwt_issuer=ISSUER,
                     jwt_audience=AUDIENCE),
            email="a@b.example",
        )  # fmt: skip


def test_api_key_secrets_scopes_and_hashes() -> None:
    secret = new_secret()
    assert secret.startswith("okrql_")
    assert len(secret) == 6 + 43
    assert new_secret() != secret
    assert len(hash_secret(secret)) == 32
    assert parse_scopes(["checkins:write", " read ", "read"]) == ("read", "checkins:write")
    with pytest.raises(ApiKeyInputError):
        parse_scopes(["admin"])
    with pytest.raises(ApiKeyInputError):
        parse_scopes([""])
