"""Fuzzing RequestVerifier: whatever arrives, the only exception is VerificationError.

Two targets, 2000 derandomized examples each (``FUZZ_SETTINGS``), with a throwaway CA as the
trust root, an injected fetcher and the clock pinned at the CA's "now":

* **Requests.** Random header dicts (any names, case variants of the real ones, values of any
  type), valid headers with bit-flipped bodies, truncated or bit-flipped signatures, and
  certificate URLs built from pieces (schemes, user info, hosts, ports, paths, tails) with a
  correctly signed body. One verifier serves them all, so its key cache is exercised too.
* **Chains.** The fetcher returns a mutated chain (bits flipped, truncated, certificates
  dropped, reordered or duplicated, garbage, not bytes at all, or raises) for a correctly
  signed request; a fresh verifier each time, so the chain is really fetched and validated.

Besides "only VerificationError", a request the verifier accepts must be one that deserves it:
the exact body that was signed, with the real signature, and a URL ``check_cert_url`` allows.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fuzz.strategies import (
    FUZZ_SETTINGS,
    bit_flips,
    cert_urls,
    header_names,
    header_values,
    truncations,
)
from hypothesis import event as note_event
from hypothesis import given
from hypothesis import strategies as st

from skill.errors import VerificationError
from skill.testing.alexa_ca import ThrowawayCA, envelope
from skill.verification import RequestVerifier, check_cert_url

SKILL_ID = "amzn1.ask.skill.fuzz"

pytestmark = pytest.mark.filterwarnings(
    "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
)


@pytest.fixture(scope="module")
def ca() -> ThrowawayCA:
    return ThrowawayCA()


@pytest.fixture(scope="module")
def signed(ca: ThrowawayCA) -> tuple[bytes, dict[str, str]]:
    """One correctly signed request: the body and its two headers."""
    body = envelope(timestamp=ca.now, application_id=SKILL_ID)
    return body, ca.headers(body)


@pytest.fixture(scope="module")
def verifier(ca: ThrowawayCA) -> Iterator[RequestVerifier]:
    yield RequestVerifier(
        SKILL_ID, trust_roots=ca.root_pem, fetch_cert_chain=ca.fetcher(), clock=lambda: ca.now
    )


def verify(verifier: RequestVerifier, headers: Any, body: Any, label: str = "") -> bool:
    """True if accepted, False if refused with VerificationError; anything else propagates."""
    try:
        verifier.verify(headers, body)
    except VerificationError:
        note_event(f"refused {label}".strip())
        return False
    note_event(f"accepted {label}".strip())
    return True


# ----------------------------------------------------------------------------- requests


@st.composite
def requests(draw: st.DrawFn, body: bytes, headers: dict[str, str]) -> tuple[Any, Any]:
    """(headers, body): random, or the signed request with one kind of damage."""
    kind = draw(st.sampled_from(["random", "flipped body", "signature", "url", "case"]))
    note_event(f"request {kind}")
    if kind == "random":
        random_headers = draw(st.dictionaries(header_names, header_values, max_size=5))
        random_body = draw(st.one_of(st.binary(max_size=300), bit_flips(body, max_flips=40)))
        return random_headers, random_body
    out = dict(headers)
    if kind == "flipped body":
        return out, draw(bit_flips(body))
    if kind == "signature":
        signature = out["Signature-256"]
        out["Signature-256"] = draw(
            st.one_of(
                truncations(signature),
                bit_flips(base64.b64decode(signature)).map(
                    lambda raw: base64.b64encode(raw).decode()
                ),
                st.just(signature + "="),
                st.just(signature.replace("+", "-").replace("/", "_")),  # url-safe alphabet
                st.just(f" {signature}\n"),
            )
        )
        return out, body
    if kind == "url":
        out["SignatureCertChainUrl"] = draw(cert_urls)
        return out, body
    # case variants and duplicates of the header names, same values
    renamed: dict[Any, Any] = {}
    for name, value in out.items():
        renamed[draw(st.sampled_from([name, name.lower(), name.upper(), name.swapcase()]))] = value
    if draw(st.booleans()):
        extra = draw(st.sampled_from(list(out)))
        renamed[extra.lower() if extra.lower() not in renamed else extra.upper()] = draw(
            st.sampled_from([out[extra], draw(header_values)])
        )
    return renamed, body


@FUZZ_SETTINGS
@given(data=st.data())
def test_fuzz_requests_only_raise_verification_error(
    verifier: RequestVerifier, signed: tuple[bytes, dict[str, str]], data: st.DataObject
) -> None:
    body, good_headers = signed
    headers, candidate = data.draw(requests(body, good_headers), label="request")
    # WHEN verified THEN VerificationError is the only possible exception...
    if verify(verifier, headers, candidate):
        # ...and acceptance means the signed body, the real signature and an allowed URL.
        assert candidate == body
        found = {str(k).lower(): v for k, v in headers.items()}
        assert str(found["signature-256"]).strip() == good_headers["Signature-256"]
        check_cert_url(str(found["signaturecertchainurl"]))


# ----------------------------------------------------------------------------- chains


@st.composite
def chains(draw: st.DrawFn, chain: bytes) -> Any:
    """What a fetcher might hand back instead of the real PEM chain."""
    blocks = [
        part + b"-----END CERTIFICATE-----\n"
        for part in chain.split(b"-----END CERTIFICATE-----\n")
        if part.strip()
    ]
    kind = draw(
        st.sampled_from(
            ["flipped", "truncated", "reordered", "leaf only", "garbage", "wrapped", "not bytes"]
        )
    )
    note_event(f"chain {kind}")
    if kind == "flipped":
        return draw(bit_flips(chain, max_flips=16))
    if kind == "truncated":
        return chain[: draw(st.integers(0, len(chain) - 1))]
    if kind == "reordered":
        return b"".join(draw(st.permutations(blocks + draw(st.lists(st.sampled_from(blocks))))))
    if kind == "leaf only":
        return blocks[0]
    if kind == "garbage":
        return draw(st.binary(max_size=2000))
    if kind == "wrapped":  # a real chain with junk around or between the certificates
        junk = draw(st.binary(max_size=50))
        return draw(st.sampled_from([junk + chain, chain + junk, blocks[0] + junk + blocks[1]]))
    return draw(st.one_of(st.none(), st.text(max_size=20), st.integers(), st.just(chain.decode())))


class Raising:
    """A fetcher that fails the way a transport might."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __call__(self, url: str) -> bytes:
        raise self.error


fetch_errors = st.sampled_from(
    [
        TimeoutError("timed out"),
        ConnectionResetError("reset"),
        OSError("unreachable"),
        ValueError("bad url"),
        RuntimeError("broken fetcher"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
    ]
)


@FUZZ_SETTINGS
@given(data=st.data())
def test_fuzz_fetched_chains_only_raise_verification_error(
    ca: ThrowawayCA, signed: tuple[bytes, dict[str, str]], data: st.DataObject
) -> None:
    # GIVEN a correctly signed request and a fetcher that hands back a damaged chain (or fails)
    body, headers = signed
    fetch: Callable[[str], Any]
    if data.draw(st.integers(0, 5), label="fetcher fails") == 5:
        fetch = Raising(data.draw(fetch_errors, label="fetch error"))
    else:
        payload = data.draw(chains(ca.chain_pem()), label="fetched chain")
        fetch = lambda url: payload  # noqa: E731
    verifier = RequestVerifier(
        SKILL_ID, trust_roots=ca.root_pem, fetch_cert_chain=fetch, clock=lambda: ca.now
    )
    # WHEN verified THEN only VerificationError (acceptance needs the real leaf's key, which
    # the signature check proves, so a reordered or padded but genuine chain may pass)
    if verify(verifier, headers, body):
        assert not isinstance(fetch, Raising)
