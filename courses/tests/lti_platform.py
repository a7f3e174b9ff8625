"""A real LTI 1.3 platform for the tests: its own RSA key, JWKS, OAuth2 token endpoint, OIDC login,
line items and scores (recorded), a Names and Roles membership endpoint, and a course page that frames
the tool. A threaded stdlib HTTP server on 127.0.0.1; nothing of pylti1p3 is mocked.
"""

from __future__ import annotations

import html
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
AGS_SCOPES = ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
              "https://purl.imsglobal.org/spec/lti-ags/scope/score"]


def _key_pair() -> tuple[str, dict]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    jwk = json.loads(JWK.from_pem(pem.encode()).export_public())
    return pem, {**jwk, "kid": jwk.get("kid") or uuid.uuid4().hex, "alg": "RS256", "use": "sig"}


@dataclass
class Recorded:
    token_requests: list = field(default_factory=list)
    line_items: list = field(default_factory=list)  # created, in order
    scores: list = field(default_factory=list)  # (line item id, body)
    failed_scores: list = field(default_factory=list)


class LtiTestPlatform:
    CLIENT_ID = "reflect-client"
    DEPLOYMENT_ID = "deployment-1"
    CONTEXT_ID = "lms-course-42"

    def __init__(self, host: str = "127.0.0.1"):
        self.private_pem, self.jwk = _key_pair()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.issuer = self.url
        self.recorded = Recorded()
        self.members: list[dict] = []
        self.tool_keys: dict = {"keys": []}
        self.fail_scores = 0  # how many score posts to answer with a 500
        self.fail_line_items = 0  # how many line-item creations to answer with a 500
        self.tool_login_url = ""  # for the framing page
        self.auth_claims: dict = {}  # what /auth signs, for browser launches
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LtiTestPlatform:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- registration in reflect ----------------------------------------------------------------------------

    def register(self, **fields):
        from courses.lti.models import LtiPlatform

        values = {"name": "Test LMS", "issuer": self.issuer, "client_id": self.CLIENT_ID,
                  "deployment_ids": self.DEPLOYMENT_ID, "auth_login_url": f"{self.url}/auth",
                  "auth_token_url": f"{self.url}/token", "key_set_url": f"{self.url}/jwks", **fields}
        return LtiPlatform.objects.create(**values)

    # --- id tokens ------------------------------------------------------------------------------------------

    def claims(self, *, sub: str, roles: list[str], nonce: str, message_type: str = "LtiResourceLinkRequest",
               resource_link: str = "link-1", email: str = "", name: str = "", custom: dict | None = None,
               **extra) -> dict:
        now = int(time.time())
        given, _, family = name.partition(" ")
        body = {
            "iss": self.issuer, "aud": self.CLIENT_ID, "sub": sub, "nonce": nonce, "iat": now, "exp": now + 300,
            "email": email, "given_name": given, "family_name": family, "name": name,
            CLAIM + "message_type": message_type, CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": self.DEPLOYMENT_ID, CLAIM + "roles": roles,
            CLAIM + "context": {"id": self.CONTEXT_ID, "title": "Machine Learning Systems", "label": "MLSys"},
            CLAIM + "target_link_uri": "", CLAIM + "custom": custom or {},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.url}/memberships", "service_versions": ["2.0"]},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": AGS_SCOPES, "lineitems": f"{self.url}/lineitems"},
        }
        if message_type == "LtiResourceLinkRequest":
            body[CLAIM + "resource_link"] = {"id": resource_link, "title": "Reflection"}
        else:
            body["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": f"{self.url}/deep-link-return", "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"], "data": "dl-data"}
        body.update(extra)
        return {k: v for k, v in body.items() if v is not None}

    def id_token(self, claims: dict, *, key_pem: str | None = None, kid: str | None = None) -> str:
        return jwt.encode(claims, key_pem or self.private_pem, algorithm="RS256",
                          headers={"kid": kid or self.jwk["kid"]})

    # --- as the tool sees it ---------------------------------------------------------------------------------

    def login_params(self, login_hint: str = "hint") -> dict:
        return {"iss": self.issuer, "login_hint": login_hint, "target_link_uri": "http://testserver/lti/launch/",
                "client_id": self.CLIENT_ID, "lti_deployment_id": self.DEPLOYMENT_ID}


def _handler(platform: LtiTestPlatform):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, body, content_type: str = "application/json", headers: dict | None = None):
            data = body if isinstance(body, bytes) else (
                body.encode() if isinstance(body, str) else json.dumps(body).encode())
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _authorized(self) -> bool:
            token = self.headers.get("Authorization", "")
            return token.startswith("Bearer tok-")

        def do_GET(self):
            path = urlsplit(self.path)
            if path.path == "/jwks":
                return self._send(200, {"keys": [platform.jwk]})
            if path.path == "/lineitems":
                if not self._authorized():
                    return self._send(401, {"error": "no token"})
                return self._send(200, platform.recorded.line_items)
            if path.path == "/memberships":
                if not self._authorized():
                    return self._send(401, {"error": "no token"})
                return self._send(200, {"id": f"{platform.url}/memberships",
                                        "context": {"id": platform.CONTEXT_ID}, "members": platform.members})
            if path.path == "/auth":
                return self._auth(parse_qs(path.query))
            if path.path == "/course":
                src = html.escape(platform.tool_login_url)
                return self._send(200, f"<!doctype html><title>LMS course</title><h1>LMS course</h1>"
                                       f"<iframe id='tool' title='reflect' src='{src}' width='1000' height='700'>"
                                       "</iframe>", "text/html")
            return self._send(404, {"error": "not found"})

        def _auth(self, query: dict):
            """The OIDC authorization endpoint: sign the waiting claims with the tool's nonce, post them back."""
            nonce, state = query["nonce"][0], query["state"][0]
            claims = {**platform.auth_claims, "nonce": nonce}
            token = platform.id_token(claims)
            page = (f"<!doctype html><title>LMS</title><form id='f' method='post' "
                    f"action='{html.escape(query['redirect_uri'][0])}'>"
                    f"<input type='hidden' name='id_token' value='{token}'>"
                    f"<input type='hidden' name='state' value='{html.escape(state)}'></form>"
                    "<script>document.getElementById('f').submit()</script>")
            return self._send(200, page, "text/html")

        def do_POST(self):
            path = urlsplit(self.path).path
            body = self._body()
            if path == "/token":
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                assertion = form.get("client_assertion", "")
                try:
                    kid = jwt.get_unverified_header(assertion).get("kid")
                    key = next(k for k in platform.tool_keys["keys"] if k["kid"] == kid)
                    jwt.decode(assertion, jwt.PyJWK(key).key, algorithms=["RS256"],
                               audience=f"{platform.url}/token")
                except Exception as error:  # noqa: BLE001 - any bad assertion is the same 401
                    return self._send(401, {"error": "invalid_client", "detail": str(error)})
                platform.recorded.token_requests.append(form)
                return self._send(200, {"access_token": f"tok-{uuid.uuid4().hex}", "token_type": "Bearer",
                                        "expires_in": 3600, "scope": form.get("scope", "")})
            if not self._authorized():
                return self._send(401, {"error": "no token"})
            if path == "/lineitems":
                if platform.fail_line_items > 0:
                    platform.fail_line_items -= 1
                    return self._send(500, "Line items are read-only right now", "text/plain")
                item = json.loads(body)
                item["id"] = f"{platform.url}/lineitems/{len(platform.recorded.line_items) + 1}"
                platform.recorded.line_items.append(item)
                return self._send(201, item)
            if path.startswith("/lineitems/") and path.endswith("/scores"):
                item_id = f"{platform.url}{path.removesuffix('/scores')}"
                score = json.loads(body)
                if platform.fail_scores > 0:
                    platform.fail_scores -= 1
                    platform.recorded.failed_scores.append((item_id, score))
                    return self._send(500, "The gradebook is down for maintenance", "text/plain")
                platform.recorded.scores.append((item_id, score))
                return self._send(200, {})
            return self._send(404, {"error": "not found"})

    return Handler


def launch(client, platform: LtiTestPlatform, *, claims_for_nonce, login_hint: str = "hint", **token_kwargs):
    """OIDC login then launch through the Django test client; `claims_for_nonce(nonce)` gives the claims."""
    response = client.post("/lti/login/", platform.login_params(login_hint))
    assert response.status_code == 302, response.content[:500]
    query = parse_qs(urlsplit(response["Location"]).query)
    claims = claims_for_nonce(query["nonce"][0])
    token = platform.id_token(claims, **token_kwargs)
    return client.post("/lti/launch/", {"id_token": token, "state": query["state"][0]})


def platform_running(host: str = "127.0.0.1"):
    """A real platform for one test: `yield from` it in a fixture named lti_platform."""
    platform = LtiTestPlatform(host).start()
    yield platform
    platform.stop()
