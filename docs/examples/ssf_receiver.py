"""A Shared Signals receiver for a Cat House service written in Python (issue 29).

Standard library + PyJWT (Debian: python3-jwt python3-cryptography; pip: "pyjwt[crypto]"). It
  * receives the auth service's Security Event Tokens pushed to POST /ssf/events (RFC 8935), or polls
    for them (RFC 8936) when CATHOUSE_SSF_POLL_URL is set (a service the auth service cannot reach),
  * verifies each SET (ES256 by a key of the auth service's JWKS, typ secevent+jwt, iss, aud),
  * keeps a bounded deny-list of revoked sessions (sid) and users (sub, with the revocation time),
  * verifies access tokens on GET /whoami and refuses those the deny-list names, before they expire.

docs/verifying-tokens.md explains it; test/events/python-receiver.test.ts runs this very file
against the real service. Settings come from the environment:
  CATHOUSE_AUTH_URL      the auth service (its JWKS is at /.well-known/jwks.json)
  CATHOUSE_ISSUER        JWT_ISSUER of access tokens (default cathouse-auth)
  CATHOUSE_AUDIENCE      JWT_AUDIENCE of user access tokens (default cathouse)
  CATHOUSE_SSF_ISSUER    SSF_ISSUER: the `iss` of SETs
  CATHOUSE_SSF_AUDIENCE  this receiver's service client id: the `aud` of its stream's SETs
  PORT                   where to listen (0: any free port; the port is printed on stdout)
  TOKEN_LIFETIME_SECONDS the auth service's ACCESS_TOKEN_TTL_SECONDS (default 900)
  CATHOUSE_SSF_POLL_URL  poll instead of (or besides) push: the stream's delivery.endpoint_url
  CATHOUSE_CLIENT_SECRET the service client's secret (client id: CATHOUSE_SSF_AUDIENCE), for the poll's token
"""
import base64
import json
import os
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from jwt import PyJWKClient

AUTH_URL = os.environ.get("CATHOUSE_AUTH_URL", "https://auth.cathouse.example")
ISSUER = os.environ.get("CATHOUSE_ISSUER", "cathouse-auth")
AUDIENCE = os.environ.get("CATHOUSE_AUDIENCE", "cathouse")
SSF_ISSUER = os.environ.get("CATHOUSE_SSF_ISSUER", AUTH_URL)
SSF_AUDIENCE = os.environ["CATHOUSE_SSF_AUDIENCE"]
LIFETIME = int(os.environ.get("TOKEN_LIFETIME_SECONDS", "900"))

CAEP = "https://schemas.openid.net/secevent/caep/event-type/"
RISC = "https://schemas.openid.net/secevent/risc/event-type/"

# One JWKS client for access tokens and SETs: both are signed with the auth service's keys.
jwks = PyJWKClient(f"{AUTH_URL}/.well-known/jwks.json", cache_keys=True, lifespan=600)


class DenyList:
    """Revoked sessions and subjects, each kept only while a token it refuses could still be valid."""

    def __init__(self, lifetime: int, max_entries: int = 100_000):
        self.lifetime = lifetime
        self.max_entries = max_entries
        self.entries: "OrderedDict[str, int]" = OrderedDict()  # key -> revoked at (seconds)
        self.lock = threading.Lock()

    def revoke(self, key: str, revoked_at: int) -> None:
        with self.lock:
            latest = max(revoked_at, self.entries.pop(key, revoked_at))
            if latest + self.lifetime <= time.time():
                return
            self.entries[key] = latest  # newest last: the first entry expires first
            while self.entries:
                first_key, first_at = next(iter(self.entries.items()))
                if len(self.entries) <= self.max_entries and first_at + self.lifetime > time.time():
                    break
                del self.entries[first_key]

    def _revoked_at(self, key: str):
        at = self.entries.get(key)
        return None if at is None or at + self.lifetime <= time.time() else at

    def is_revoked(self, claims: dict) -> bool:
        with self.lock:
            if "sid" in claims and self._revoked_at(f"sid:{claims['sid']}") is not None:
                return True
            at = self._revoked_at(f"sub:{claims['sub']}")
            # A subject's tokens issued at or before the revocation; a later sign-in's pass.
            return at is not None and claims["iat"] <= at


deny_list = DenyList(LIFETIME)


def verify_set(token: str) -> dict:
    """The claims of a SET for this receiver; raises jwt.InvalidTokenError otherwise."""
    header = jwt.get_unverified_header(token)
    if header.get("typ") != "secevent+jwt":
        raise jwt.InvalidTokenError("not a SET (typ must be secevent+jwt)")
    if header.get("alg") != "ES256" or not isinstance(header.get("kid"), str):
        raise jwt.InvalidTokenError("a SET is ES256 with a kid")
    try:
        key = jwks.get_signing_key_from_jwt(token).key
    except jwt.PyJWKClientError as error:
        # An unknown kid is the SET's fault (400); a JWKS that cannot be fetched is ours (503).
        if str(error).startswith("Unable to find a signing key"):
            raise jwt.InvalidTokenError("the SET was signed by an unknown key") from error
        raise
    claims = jwt.decode(token, key, algorithms=["ES256"], issuer=SSF_ISSUER, audience=SSF_AUDIENCE,
                        options={"require": ["iss", "aud", "iat", "jti"]})
    if "sub" in claims or "exp" in claims or len(claims.get("events", {})) != 1 or "sub_id" not in claims:
        raise jwt.InvalidTokenError("not an SSF 1.0 SET (no sub, no exp, one event, a sub_id)")
    return claims


def user_of(subject) -> "str | None":
    if isinstance(subject, dict) and subject.get("format") == "iss_sub" and subject.get("iss") == ISSUER:
        return subject.get("sub")
    return None


def apply_event(claims: dict) -> str:
    """Updates the deny-list from one verified SET; returns what it did."""
    uri, event = next(iter(claims["events"].items()))
    at = event.get("event_timestamp", claims["iat"])
    sub_id = claims["sub_id"]
    complex_subject = sub_id.get("format") == "complex"
    user = user_of(sub_id.get("user") if complex_subject else sub_id)
    if uri == CAEP + "session-revoked" and complex_subject and sub_id.get("session", {}).get("format") == "opaque":
        deny_list.revoke(f"sid:{sub_id['session']['id']}", at)
        return "session"
    revokes_user = uri in (CAEP + "session-revoked", CAEP + "token-claims-change", RISC + "account-disabled",
                           RISC + "account-purged")
    revokes_client = uri == CAEP + "credential-change" and event.get("credential_type") == "client-secret" \
        and event.get("change_type") == "revoke"
    if user and (revokes_user or revokes_client):
        deny_list.revoke(f"sub:{user}", at)
        return "subject"
    return "none"


def verify_user(token: str) -> dict:
    """A user access token's claims, unless invalid or revoked (jwt.InvalidTokenError)."""
    if jwt.get_unverified_header(token).get("typ") != "at+jwt":
        raise jwt.InvalidTokenError("not an access token (typ must be at+jwt)")
    key = jwks.get_signing_key_from_jwt(token).key
    claims = jwt.decode(token, key, algorithms=["ES256"], issuer=ISSUER, audience=AUDIENCE,
                        options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]})
    if deny_list.is_revoked(claims):
        raise jwt.InvalidTokenError("the access token has been revoked")
    return claims


def post_json(url: str, body: bytes, headers: dict) -> dict:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def poll_forever(poll_url: str, client_secret: str) -> None:
    """RFC 8936 long polls: each request acknowledges what the last answer brought (or refuses it in setErrs)."""
    ack: list = []
    set_errs: dict = {}
    token, token_expires = "", 0.0
    while True:
        try:
            if time.time() > token_expires - 30:
                form = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
                basic = base64.b64encode(f"{SSF_AUDIENCE}:{client_secret}".encode()).decode()
                answer = post_json(f"{AUTH_URL}/api/v1/auth/token", form,
                                   {"authorization": f"Basic {basic}", "content-type": "application/x-www-form-urlencoded"})
                token, token_expires = answer["access_token"], time.time() + answer["expires_in"]
            body = json.dumps({"ack": ack, "setErrs": set_errs, "maxEvents": 100, "returnImmediately": False}).encode()
            answer = post_json(poll_url, body, {"authorization": f"Bearer {token}", "content-type": "application/json"})
            ack, set_errs = [], {}
            for jti, set_token in answer.get("sets", {}).items():
                try:
                    claims = verify_set(set_token)
                except jwt.PyJWKClientError:
                    continue  # keys unreachable: not acknowledged, so it comes again
                except jwt.InvalidTokenError as error:
                    set_errs[jti] = {"err": "invalid_request", "description": str(error)}
                    continue
                print(json.dumps({"applied": apply_event(claims), "jti": claims["jti"]}), flush=True)
                ack.append(jti)
        except Exception as error:  # noqa: BLE001 (a poller keeps going through outages)
            print(json.dumps({"poll_error": str(error)}), file=sys.stderr, flush=True)
            time.sleep(1)


class Handler(BaseHTTPRequestHandler):
    def answer(self, status: int, body: "dict | None" = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802 (http.server's name)
        if self.path != "/ssf/events":
            return self.answer(404)
        length = int(self.headers.get("content-length", "0"))
        if length > 65536:
            return self.answer(413)
        try:
            claims = verify_set(self.rfile.read(length).decode().strip())
        except jwt.PyJWKClientError as error:
            # The keys could not be fetched: 503 so the transmitter retries (a 400 would be final).
            return self.answer(503, {"err": "invalid_key", "description": str(error)})
        except jwt.InvalidTokenError as error:
            # RFC 8935 section 2.3: the SET is refused with an error code and a description.
            return self.answer(400, {"err": "invalid_request", "description": str(error)})
        print(json.dumps({"applied": apply_event(claims), "jti": claims["jti"]}), flush=True)
        return self.answer(202)

    def do_GET(self):  # noqa: N802
        if self.path != "/whoami":
            return self.answer(404)
        auth = self.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return self.answer(401, {"error": "invalid_token"})
        try:
            claims = verify_user(auth[7:].strip())
        except jwt.InvalidTokenError as error:
            return self.answer(401, {"error": "invalid_token", "detail": str(error)})
        return self.answer(200, {"sub": claims["sub"], "sid": claims["sid"]})

    def log_message(self, *args):  # keep stdout for the events printed above
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "0"))), Handler)
    if os.environ.get("CATHOUSE_SSF_POLL_URL"):
        threading.Thread(target=poll_forever, args=(os.environ["CATHOUSE_SSF_POLL_URL"], os.environ["CATHOUSE_CLIENT_SECRET"]),
                         daemon=True).start()
    print(json.dumps({"listening": server.server_address[1]}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
