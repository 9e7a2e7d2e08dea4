"""The customer's given name, from the Alexa Customer Profile API, within a time budget.

The lookup must never block or fail a checkout: it runs on a worker thread and
the caller waits at most ``timeout`` seconds. A missing permission (HTTP 403)
is reported so the skill can send an ``AskForPermissionsConsent`` card.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from ask_sdk_model.services import ApiClient, ApiClientRequest, ApiClientResponse

from skill.logs import get_logger

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

GIVEN_NAME_PERMISSION = "alexa::profile:given_name:read"
_log = get_logger("profile")


class ProfileName:
    """What the lookup found. (A plain class: a dataclass costs ~0.3 ms of cold start.)"""

    __slots__ = ("given_name", "permission_missing")

    def __init__(self, given_name: str | None = None, permission_missing: bool = False) -> None:
        self.given_name = given_name
        self.permission_missing = permission_missing

    def __repr__(self) -> str:
        return f"ProfileName({self.given_name!r}, permission_missing={self.permission_missing})"


class NameLookup(Protocol):
    def __call__(self, handler_input: Any) -> ProfileName: ...


class NoProfile:
    """For offline use: never calls out, never asks for permission."""

    def __call__(self, handler_input: Any) -> ProfileName:
        return ProfileName()


class FixedProfile:
    """A supported test double: always answers the same."""

    def __init__(self, given_name: str | None = None, permission_missing: bool = False) -> None:
        self.given_name = given_name
        self.permission_missing = permission_missing

    def __call__(self, handler_input: Any) -> ProfileName:
        return ProfileName(self.given_name, self.permission_missing)


class BoundedApiClient(ApiClient):  # type: ignore[misc]
    """An ASK ``ApiClient`` on urllib with a timeout (the SDK's default has none).

    Only https is allowed, except plain http to loopback so tests can stand up
    a local Profile API without certificates.
    """

    def __init__(self, timeout: float = 1.0) -> None:
        self.timeout = timeout
        self._ssl: Any = None

    def _ssl_context(self) -> Any:
        # Loading the CA bundle costs ~15 ms of CPU; do it once per process, not per call.
        if self._ssl is None:
            import ssl

            self._ssl = ssl.create_default_context()
        return self._ssl

    def invoke(self, request: ApiClientRequest) -> ApiClientResponse:
        # Imported here: urllib.request pulls in http.client, email and ssl, which
        # would cost every Lambda cold start for a call only checkout makes.
        import urllib.error
        import urllib.request

        parts = urlsplit(request.url)
        loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise urllib.error.URLError("Alexa API calls must use https.")
        data = json.dumps(request.body).encode() if request.body else None
        req = urllib.request.Request(
            request.url, data=data, method=request.method, headers=dict(request.headers or [])
        )
        try:
            context = self._ssl_context() if parts.scheme == "https" else None
            with urllib.request.urlopen(req, timeout=self.timeout, context=context) as resp:
                body = resp.read(65536).decode("utf-8", "replace")
                status = resp.status
                headers = list(resp.headers.items())
        except urllib.error.HTTPError as exc:
            # The SDK deserialises error bodies into an enum that lacks codes the
            # API really sends (ACCESS_DENIED), which would hide the status. Only
            # the status matters to us, so hand the SDK an empty error body.
            exc.close()
            body, status, headers = "{}", exc.code, list(exc.headers.items())
        return ApiClientResponse(headers=headers, status_code=status, body=body)


class AlexaProfile:
    """Looks the given name up through the SDK's UPS service client, within ``timeout`` seconds."""

    def __init__(self, timeout: float = 1.0) -> None:
        self.timeout = timeout
        self._pool: ThreadPoolExecutor | None = None

    def _executor(self) -> ThreadPoolExecutor:
        from concurrent.futures import ThreadPoolExecutor

        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="profile")
        return self._pool

    def __call__(self, handler_input: Any) -> ProfileName:
        factory = handler_input.service_client_factory
        system = handler_input.request_envelope.context.system
        if factory is None or not system.api_access_token or not system.api_endpoint:
            return ProfileName()
        from concurrent.futures import TimeoutError as FutureTimeout

        future: Future[ProfileName] = self._executor().submit(self._fetch, factory)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            _log.warning("profile lookup exceeded %.2fs; checking out without a name", self.timeout)
            return ProfileName()

    @staticmethod
    def _fetch(factory: Any) -> ProfileName:
        from ask_sdk_model.services import ServiceException

        try:
            name = factory.get_ups_service().get_profile_given_name()
        except ServiceException as exc:
            if exc.status_code in (401, 403):
                return ProfileName(permission_missing=True)
            _log.warning("profile lookup failed with HTTP %s", exc.status_code)
            return ProfileName()
        except Exception as exc:  # any failure means "no name", never a failed checkout
            _log.warning("profile lookup failed: %s", type(exc).__name__)
            return ProfileName()
        return ProfileName(given_name=str(name).strip() or None if name else None)
