"""A local stand-in for the Alexa APIs a skill calls back: device address and customer profile.

Bespoken's ``address`` and ``userProfile`` settings make the skill's calls to
``apiEndpoint`` answer with the given data. Here that is a real HTTP server on
127.0.0.1 (a daemon thread, stopped with the ``with`` block): the simulator
puts its URL in ``context.System.apiEndpoint``, so a skill using the ASK SDK's
service clients, or plain HTTP, reaches it unchanged. It answers as Alexa does:

* ``GET /v1/devices/{deviceId}/settings/address`` and
  ``.../address/countryAndPostalCode``: the address, or 403 when none is set
  (the user has not granted the permission); a full address needs
  ``addressLine1``, the short form ``countryCode``;
* ``GET /v2/accounts/~current/settings/Profile.name``, ``.givenName``,
  ``.email``, ``.mobileNumber``: the value (a JSON string, or for the mobile
  number ``{"countryCode", "phoneNumber"}``), or 403 when not given;
* 401 without ``Authorization: Bearer <token>``, 404 for anything else.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["AlexaApis"]

_PROFILE = {
    "Profile.name": "name",
    "Profile.givenName": "givenName",
    "Profile.email": "email",
    "Profile.mobileNumber": "mobileNumber",
}
_ADDRESS_DOCS = "https://developer.amazon.com/docs/custom-skills/device-address-api.html"


class AlexaApis:
    """The fake APIs, serving ``address`` and ``profile`` (Bespoken's shapes) until closed."""

    def __init__(
        self,
        *,
        address: Mapping[str, Any] | None = None,
        profile: Mapping[str, Any] | None = None,
    ) -> None:
        if address is not None and not isinstance(address, Mapping):
            raise ValueError(f"address must be a mapping of address fields, not {address!r}.")
        if address and "addressLine1" not in address and "countryCode" not in address:
            raise ValueError(
                "The address is incomplete: give addressLine1 (a full address) or countryCode "
                f"and postalCode; see {_ADDRESS_DOCS}"
            )
        mobile = (profile or {}).get("mobileNumber")
        if (
            isinstance(mobile, Mapping)
            and mobile.get("phoneNumber")
            and not mobile.get("countryCode")
        ):
            raise ValueError("userProfile.mobileNumber needs a countryCode with its phoneNumber.")
        self.address = dict(address or {})
        self.profile = dict(profile or {})
        self.calls: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval: shutdown waits for it, and every test run starts one of these.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def __enter__(self) -> AlexaApis:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    # -- answers -------------------------------------------------------------
    def answer(self, path: str, authorized: bool) -> tuple[int, Any]:
        self.calls.append(path)
        if not authorized:
            return 401, {"type": "UNAUTHORIZED", "message": "No bearer token was sent."}
        parts = path.split("?")[0].strip("/").split("/")
        if parts[:2] == ["v1", "devices"] and parts[3:5] == ["settings", "address"]:
            if not self.address:
                return 403, _forbidden()
            if len(parts) == 6 and parts[5] == "countryAndPostalCode":
                keep = ("countryCode", "postalCode")
                return 200, {k: self.address.get(k) for k in keep}
            if len(parts) == 5:
                if "addressLine1" not in self.address:
                    return 403, _forbidden()
                return 200, self.address
        if parts[:4] == ["v2", "accounts", "~current", "settings"] and len(parts) == 5:
            key = _PROFILE.get(parts[4])
            if key is None:
                return 404, {"type": "NOT_FOUND", "message": f"No such setting {parts[4]}."}
            value = self.profile.get(key)
            return (200, value) if value is not None else (403, _forbidden())
        return 404, {"type": "NOT_FOUND", "message": "The simulator does not fake this API."}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        apis = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                authorized = self.headers.get("Authorization", "").startswith("Bearer ")
                status, body = apis.answer(self.path, authorized)
                data = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None  # quiet: a test's output is its transcript

        return Handler


def _forbidden() -> dict[str, str]:
    return {"type": "FORBIDDEN", "message": "The user has not granted this permission."}
