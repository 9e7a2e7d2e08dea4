"""A gunicorn app for tests and load benchmarks: real verification, a throwaway CA.

It is ``skill.web.create_app`` with the verifier's trust roots and certificate
fetcher pointed at files the caller wrote (the test CA), because the real ones
would need Amazon's private key and the network. Everything else is production.

    CORNERSHOP_TEST_ROOTS=root.pem CORNERSHOP_TEST_CHAIN=chain.pem \
      gunicorn --pythonpath tests/support 'signed_app:app'
"""

from __future__ import annotations

import os
from pathlib import Path

from skill.config import Settings
from skill.verification import RequestVerifier
from skill.web import create_app

_settings = Settings.from_env()
_chain = Path(os.environ["CORNERSHOP_TEST_CHAIN"]).read_bytes()
_verifier = RequestVerifier(
    _settings.skill_id,
    trust_roots=Path(os.environ["CORNERSHOP_TEST_ROOTS"]).read_bytes(),
    fetch_cert_chain=lambda url: _chain,
)
app = create_app(_settings, verifier=_verifier.verify)
