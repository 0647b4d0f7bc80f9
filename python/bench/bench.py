"""verify() per second on one thread, and p99 latency under 8 concurrent
threads: cognito_jwt against PyJWT + PyJWKClient (the same checks by hand)
and against cognitojwt, every token cache off (cognito_jwt's token cache in
a row of its own). Key sets are fetched once from 127.0.0.1 and cached on
every side, as each library does by default.

    pip install "pyjwt[crypto]==2.15.1" "cognitojwt[sync]==1.4.1" flask fastapi httpx
    maturin develop --release          # in python/
    python bench/bench.py

One run; the ratios matter, not the absolute figures.
"""

from __future__ import annotations

import os
import statistics
import threading
import time

import jwt
from jwt import PyJWKClient

import cognito_jwt
from cognito_jwt.testing import TestIssuer

CLIENT = "bench-client"
SECONDS = float(os.environ.get("BENCH_SECONDS", "2"))


def per_second(verify, tokens: list[str]) -> float:
    for token in tokens[:50]:
        verify(token)
    done, start = 0, time.perf_counter()
    deadline = start + SECONDS
    while time.perf_counter() < deadline:
        for token in tokens:
            verify(token)
        done += len(tokens)
    return done / (time.perf_counter() - start)


def p99_under_load(verify, tokens: list[str], threads: int = 8) -> float:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + SECONDS

    def work() -> None:
        mine: list[float] = []
        i = 0
        while time.perf_counter() < stop:
            token = tokens[i % len(tokens)]
            i += 1
            t0 = time.perf_counter()
            verify(token)
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return statistics.quantiles(latencies, n=100)[98] * 1e6


def main() -> None:
    issuer = TestIssuer("eu-west-1_Bench1")
    url = issuer.serve()
    # Distinct tokens, so that nothing can be served from a token cache by accident.
    tokens = [issuer.access_token(CLIENT, groups=["users"]) for _ in range(200)]

    ours = cognito_jwt.CognitoJwtVerifier(
        user_pool_id=issuer.pool_id, client_id=CLIENT, token_use="access", jwks_uri=url
    )
    ours.hydrate()
    cached = cognito_jwt.CognitoJwtVerifier(
        user_pool_id=issuer.pool_id, client_id=CLIENT, token_use="access", jwks_uri=url,
        token_cache_max_bytes=64 * 1024 * 1024,
    )
    cached.hydrate()

    jwks_client = PyJWKClient(url)  # caches the key set (5 min), as by default
    # cache_keys=True also keeps the parsed keys (off by default): the
    # closest to the key cache cognito_jwt always has.
    keys_client = PyJWKClient(url, cache_keys=True)

    def pyjwt_checks(token: str, key) -> dict:
        claims = jwt.decode(
            token, key.key, algorithms=["RS256"], issuer=issuer.issuer,
            options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": False},
        )
        if claims.get("token_use") != "access" or claims.get("client_id") != CLIENT:
            raise jwt.InvalidTokenError("wrong token use or client")
        return claims

    def pyjwt_keys_cached(token: str) -> dict:
        return pyjwt_checks(token, keys_client.get_signing_key_from_jwt(token))

    def pyjwt_verify(token: str) -> dict:
        key = jwks_client.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token, key.key, algorithms=["RS256"], issuer=issuer.issuer,
            options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": False},
        )
        if claims.get("token_use") != "access" or claims.get("client_id") != CLIENT:
            raise jwt.InvalidTokenError("wrong token use or client")
        return claims

    import cognitojwt

    os.environ["AWS_COGNITO_JWKS_PATH"] = url
    region = issuer.pool_id.split("_")[0]

    def cognitojwt_verify(token: str) -> dict:
        return cognitojwt.decode(token, region, issuer.pool_id, app_client_id=CLIENT)

    rows = [
        ("cognito_jwt verify()", ours.verify),
        ("PyJWT + PyJWKClient", pyjwt_verify),
        ("PyJWT + PyJWKClient(cache_keys=True)", pyjwt_keys_cached),
        ("cognitojwt.decode", cognitojwt_verify),
        ("cognito_jwt verify(), token cache on", cached.verify),
    ]
    for _, verify in rows:
        verify(tokens[0])
    results = [(name, per_second(v, tokens), p99_under_load(v, tokens)) for name, v in rows]
    base = results[1][1]
    print(f"{'':40} {'verify/s (1 thread)':>20} {'vs PyJWT':>9} {'p99 µs (8 threads)':>19}")
    for name, rate, p99 in results:
        print(f"{name:40} {rate:20,.0f} {rate / base:8.2f}x {p99:19,.0f}")
    print()
    http_rows(issuer, tokens, ours, pyjwt_verify, cognitojwt_verify)
    issuer.close()


def http_rows(issuer, tokens, ours, pyjwt_verify, cognitojwt_verify) -> None:
    """Requests per second for GET /api/me through each framework's test
    client (in-process: the framework's own overhead included, no sockets)."""
    from fastapi import Depends, FastAPI, Header, HTTPException
    from fastapi.testclient import TestClient
    from flask import Flask, g
    from flask import request as flask_request

    from cognito_jwt.fastapi import CognitoAuth as FastApiAuth
    from cognito_jwt.fastapi import install
    from cognito_jwt.flask import CognitoAuth, require_auth

    def flask_app(verify=None):
        app = Flask(__name__)
        if verify is None:
            CognitoAuth(app, ours)

            @app.get("/api/me")
            @require_auth()
            def me():
                return {"sub": g.cognito_claims["sub"]}
        else:

            @app.get("/api/me")
            def me():
                header = flask_request.headers.get("Authorization", "")
                try:
                    claims = verify(header.removeprefix("Bearer "))
                except Exception:
                    return {"error": "unauthorized"}, 401
                return {"sub": claims["sub"]}

        client = app.test_client()
        return lambda token: client.get("/api/me", headers={"Authorization": f"Bearer {token}"})

    def fastapi_app(verify=None):
        app = FastAPI()
        if verify is None:
            install(app)
            user = FastApiAuth(ours)

            @app.get("/api/me")
            async def me(claims: dict = Depends(user)):
                return {"sub": claims["sub"]}
        else:

            def user(authorization: str = Header("")):
                try:
                    return verify(authorization.removeprefix("Bearer "))
                except Exception:
                    raise HTTPException(401) from None

            @app.get("/api/me")
            def me(claims: dict = Depends(user)):
                return {"sub": claims["sub"]}

        client = TestClient(app)
        return lambda token: client.get("/api/me", headers={"Authorization": f"Bearer {token}"})

    print(f"{'GET /api/me (test client)':40} {'requests/s':>20} {'vs PyJWT':>9}")
    for framework, make in (("Flask", flask_app), ("FastAPI", fastapi_app)):
        rates = []
        for name, verify in (("cognito_jwt", None), ("PyJWT + PyJWKClient", pyjwt_verify), ("cognitojwt", cognitojwt_verify)):
            get = make(verify)
            assert get(tokens[0]).status_code == 200
            rates.append((name, per_second(get, tokens)))
        base = rates[1][1]
        for name, rate in rates:
            print(f"{framework + ', ' + name:40} {rate:20,.0f} {rate / base:8.2f}x")


if __name__ == "__main__":
    main()
