"""Dependency rules: what the project must never need, and where libraries may be imported."""

from __future__ import annotations

import ast
import re
from importlib import metadata
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
BANNED = {"flask-ask-sdk", "ask-sdk-webservice-support", "certvalidator", "oscrypto"}


def _name(requirement: str) -> str:
    return re.split(r"[ ;<>=!~\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_no_dependency_on_the_broken_webservice_stack() -> None:
    requires = metadata.requires("cornershop") or []
    assert not {_name(r) for r in requires} & BANNED


# One home module per third-party library (and the test CA, a shipped test double).
HOMES = {
    "flask": {"skill/web.py"},
    # The API Gateway Management API (live updates) is another AWS service: its own home.
    "boto3": {"skill/store/dynamodb.py", "skill/live_aws.py"},
    "botocore": {"skill/store/dynamodb.py", "skill/live_aws.py"},
    "cryptography": {"skill/verification.py", "skill/testing/alexa_ca.py"},
    "sqlite3": {"skill/store/sqlite.py"},
    "waitress": {"skill/server.py"},
}


@pytest.mark.parametrize("library", sorted(HOMES))
def test_each_library_has_one_home(library: str) -> None:
    users = set()
    for path in (REPO / "skill").rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            if any(n.split(".")[0] == library for n in names):
                users.add(str(path.relative_to(REPO)))
    assert users <= HOMES[library], f"{library} imported from {users - HOMES[library]}"


def test_adapters_do_not_import_each_other() -> None:
    adapters = {"skill.web", "skill.simulator", "skill.lambda_adapter", "lambda_function"}
    sources = {
        "skill.web": [REPO / "skill" / "web.py"],
        "skill.lambda_adapter": [REPO / "skill" / "lambda_adapter.py"],
        "skill.simulator": list((REPO / "skill" / "simulator").rglob("*.py")),
        "lambda_function": [REPO / "lambda" / "lambda_function.py"],
    }
    for adapter, files in sources.items():
        for path in files:
            tree = ast.parse(path.read_text("utf-8"))
            for node in ast.walk(tree):
                module = None
                if isinstance(node, ast.ImportFrom) and node.module:
                    module = node.module
                elif isinstance(node, ast.Import):
                    module = node.names[0].name
                if module is None:
                    continue
                allowed = {"skill.lambda_adapter"} if adapter == "lambda_function" else set()
                for other in adapters - {adapter} - allowed:
                    assert not module.startswith(other), f"{path} imports {module}"
