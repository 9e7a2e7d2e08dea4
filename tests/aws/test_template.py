"""lambda/template.yaml: valid for cfn-lint, and in step with the code it deploys.

The table must be the one skill/store/dynamodb.py creates, the IAM policy must grant
exactly the DynamoDB calls the store makes, and the runtime and architecture must be
the ones `cornershop package` builds the layer for. The optional live updates
(EnableLiveUpdates) must grant their function only what skill/live_aws.py calls, on
its own records, stream and API.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from skill import packaging
from skill.store import dynamodb

REPO = Path(__file__).parents[2]
TEMPLATE = REPO / "lambda" / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt ...) as their long form."""


def _cfn_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_template() -> dict[str, Any]:
    data: dict[str, Any] = yaml.load(TEMPLATE.read_text("utf-8"), Loader=_CfnLoader)
    return data


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def the_function(template: dict[str, Any]) -> dict[str, Any]:
    """The skill's function (the live-updates function is ``LiveFunction``)."""
    assert set(resources_of_type(template, "AWS::Serverless::Function")) == {
        "Function",
        "LiveFunction",
    }
    function: dict[str, Any] = template["Resources"]["Function"]
    return function


# -- cfn-lint -------------------------------------------------------------------------
@pytest.mark.slow
def test_cfn_lint_reports_no_errors() -> None:
    # GIVEN the template WHEN cfn-lint checks it (its console script's entry point,
    # run by this interpreter, so the venv's cfn-lint is used)
    runner = "import sys; from cfnlint.runner import main; sys.exit(main())"
    proc = subprocess.run(
        [sys.executable, "-c", runner, "--format", "json", str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.stdout.strip(), f"cfn-lint printed nothing (exit {proc.returncode}): {proc.stderr}"
    findings = json.loads(proc.stdout)
    # THEN there is no error (warnings are allowed, and shown when this fails)
    errors = [f for f in findings if f["Level"] == "Error"]
    listing = "\n".join(
        f"{f['Level']} {f['Rule']['Id']} line {f['Location']['Start']['LineNumber']}: "
        f"{f['Message']}"
        for f in findings
    )
    assert not errors, listing


# -- the table ---------------------------------------------------------------------------
class _RecordingClient:
    """Just enough of a DynamoDB client to record what create_table asks for."""

    def __init__(self) -> None:
        self.created: dict[str, Any] = {}
        self.ttl: dict[str, Any] = {}

    def create_table(self, **kwargs: Any) -> None:
        self.created = kwargs

    def get_waiter(self, name: str) -> Any:
        class Waiter:
            def wait(self, **kwargs: Any) -> None:
                pass

        return Waiter()

    def describe_time_to_live(self, **kwargs: Any) -> dict[str, Any]:
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}

    def update_time_to_live(self, **kwargs: Any) -> None:
        self.ttl = kwargs["TimeToLiveSpecification"]


def test_table_is_the_one_the_dynamodb_store_creates() -> None:
    # GIVEN what skill.store.dynamodb.create_table asks DynamoDB for
    client = _RecordingClient()
    dynamodb.create_table(client, "cornershop")
    # WHEN the template's table is read
    (table,) = resources_of_type(load_template(), "AWS::DynamoDB::Table").values()
    props = table["Properties"]
    # THEN keys, indexes, billing and TTL are the same

    def key(items: list[dict[str, str]]) -> list[str]:
        return sorted(json.dumps(item, sort_keys=True) for item in items)

    assert key(props["AttributeDefinitions"]) == key(client.created["AttributeDefinitions"])
    assert key(props["KeySchema"]) == key(client.created["KeySchema"])
    assert props.get("GlobalSecondaryIndexes") == client.created.get("GlobalSecondaryIndexes")
    assert props.get("LocalSecondaryIndexes") == client.created.get("LocalSecondaryIndexes")
    assert props["BillingMode"] == client.created["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == client.ttl
    assert client.ttl == {"Enabled": True, "AttributeName": "expires_at"}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["DeletionPolicy"] == "Retain"


# -- IAM ---------------------------------------------------------------------------------
_CALL_ACTIONS = {
    "get_item": {"dynamodb:GetItem"},
    "put_item": {"dynamodb:PutItem"},
    "update_item": {"dynamodb:UpdateItem"},
    "delete_item": {"dynamodb:DeleteItem"},
    "query": {"dynamodb:Query"},
    "scan": {"dynamodb:Scan"},
    "batch_get_item": {"dynamodb:BatchGetItem"},
    "batch_write_item": {"dynamodb:BatchWriteItem"},
    "transact_get_items": {"dynamodb:GetItem"},
}
# TransactWriteItems is authorised per item, by the action of each item.
_TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def actions_the_store_uses(path: Path | None = None) -> set[str]:
    """The IAM actions behind every ``self._call("operation", ...)`` (and ``_write``, the
    same for writes) in the store (``path``: another copy of its source)."""
    tree = ast.parse((path or Path(dynamodb.__file__)).read_text("utf-8"))
    operations: set[str] = set()
    transact_keys: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"_call", "_write"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            operations.add(str(node.args[0].value))
        if isinstance(node, ast.Dict):
            transact_keys.update(
                str(k.value)
                for k in node.keys
                if isinstance(k, ast.Constant) and k.value in _TRANSACT_ACTIONS
            )
    assert operations, "found no self._call('operation', ...) in skill/store/dynamodb.py"
    actions = set()
    for operation in operations:
        if operation == "transact_write_items":
            actions |= {_TRANSACT_ACTIONS[k] for k in transact_keys}
        else:
            assert operation in _CALL_ACTIONS, f"map {operation} to its IAM action in this test"
            actions |= _CALL_ACTIONS[operation]
    return actions


def statements_of(function: dict[str, Any]) -> list[dict[str, Any]]:
    policies = function["Properties"]["Policies"]
    # explicit statements only (no SAM policy template such as DynamoDBCrudPolicy)
    assert all(isinstance(p, dict) and "Statement" in p for p in policies), policies
    return [s for p in policies for s in p["Statement"]]


def actions_of(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return set([actions] if isinstance(actions, str) else actions)


def test_iam_policy_covers_what_the_store_calls_on_this_table_only() -> None:
    # GIVEN the function's policies
    statements = statements_of(the_function(load_template()))
    granted = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        granted |= actions_of(statement)
        # on the table, and nothing else
        assert statement["Resource"] == {"Fn::GetAtt": ["Table", "Arn"]}, statement
    # THEN every DynamoDB action the store's calls need is granted
    used = actions_the_store_uses()
    assert used <= granted, used - granted
    # and nothing else, but for a ConditionCheck inside TransactWriteItems (a checkout
    # guards the catalog's version with one; granted before the code uses it)
    assert granted - used <= {"dynamodb:ConditionCheckItem"}
    assert "dynamodb:ConditionCheckItem" in granted
    assert not any("*" in a for a in granted)


def test_the_action_scan_sees_every_kind_of_transaction_item(tmp_path: Path) -> None:
    # GIVEN the store's source with one more transaction, holding a ConditionCheck and
    # a Delete (so the scan cannot pass by never finding one)
    source = Path(dynamodb.__file__).read_text("utf-8")
    extra = (
        "\n\ndef _more(self):\n"
        "    self._write('transact_write_items', 'x', TransactItems=[\n"
        "        {'ConditionCheck': {'TableName': 't'}}, {'Delete': {'TableName': 't'}}])\n"
    )
    copy = tmp_path / "dynamodb.py"
    copy.write_text(source + extra, "utf-8")
    # WHEN it is scanned THEN their actions are among those the policy must grant
    found = actions_the_store_uses(copy)
    assert {"dynamodb:ConditionCheckItem", "dynamodb:DeleteItem"} <= found
    assert actions_the_store_uses() <= found


# -- the function and the layer -------------------------------------------------------------
def test_function_matches_what_cornershop_package_builds() -> None:
    template = load_template()
    function = the_function(template)["Properties"]
    (layer,) = resources_of_type(template, "AWS::Serverless::LayerVersion").values()
    layer_props = layer["Properties"]
    # Runtime and architecture are the ones the layer's locks and bytecode are made for.
    assert function["Runtime"] == f"python{packaging.target_python_version(REPO)}"
    assert function["Runtime"] in {"python3.12", "python3.13"}
    for arch in packaging.ARCHITECTURES:
        packaging.check_lock(REPO, arch)  # made for this Runtime, else PackagingError
    assert function["Architectures"] == [packaging.DEFAULT_ARCH] == ["arm64"]
    assert function["Runtime"] in layer_props["CompatibleRuntimes"]
    assert layer_props["CompatibleArchitectures"] == function["Architectures"]
    # Local paths are relative to the template; they name the artifacts in dist/.
    here = TEMPLATE.parent
    assert (here / function["CodeUri"]).resolve() == REPO / "dist" / packaging.FUNCTION_ZIP
    assert (here / layer_props["ContentUri"]).resolve() == REPO / "dist" / packaging.LAYER_ZIP
    assert function["Layers"] == [{"Ref": "DependenciesLayer"}]
    # The handler exists, and the function gives up before Alexa does (8 s).
    module, _, attribute = function["Handler"].partition(".")
    source = (REPO / "lambda" / f"{module}.py").read_text("utf-8")
    assert f"def {attribute}(" in source
    assert function["Timeout"] < 8
    assert 128 <= function["MemorySize"] <= 1024


def test_function_environment_and_alexa_trigger() -> None:
    template = load_template()
    function = the_function(template)["Properties"]
    assert function["Environment"]["Variables"] == {
        "CORNERSHOP_STORE": {"Fn::Sub": "dynamodb://${Table}"},
        "ALEXA_SKILL_ID": {"Ref": "SkillId"},
    }
    alexa = [e for e in function["Events"].values() if e["Type"] == "AlexaSkill"]
    assert alexa == [{"Type": "AlexaSkill", "Properties": {"SkillId": {"Ref": "SkillId"}}}]
    assert template["Parameters"]["SkillId"]["Type"] == "String"
    # The skill's endpoint is the alias, where SnapStart applies (never $LATEST).
    outputs = template["Outputs"]
    assert outputs["FunctionArn"]["Value"] == {"Ref": "Function.Alias"}


def test_web_service_is_optional_and_serves_two_routes() -> None:
    template = load_template()
    parameter = template["Parameters"]["EnableWebService"]
    assert parameter["Default"] == "false"
    assert template["Conditions"]["WebService"] == {
        "Fn::Equals": [{"Ref": "EnableWebService"}, "true"]
    }
    web_kinds = ("AWS::ApiGatewayV2::", "AWS::Lambda::Permission")
    web = {
        name: r
        for name, r in template["Resources"].items()
        if r["Type"].startswith(web_kinds) and r.get("Condition") != "LiveUpdates"
    }
    assert web, "no HTTP API resources"
    assert {name: r.get("Condition") for name, r in web.items()} == dict.fromkeys(web, "WebService")
    routes = {
        r["Properties"]["RouteKey"] for r in web.values() if r["Type"] == "AWS::ApiGatewayV2::Route"
    }
    assert routes == {"POST /alexa", "GET /healthz"}
    (integration,) = (r for r in web.values() if r["Type"] == "AWS::ApiGatewayV2::Integration")
    assert integration["Properties"]["IntegrationUri"] == {"Ref": "Function.Alias"}
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"
    permissions = [r for r in web.values() if r["Type"] == "AWS::Lambda::Permission"]
    assert [p["Properties"]["FunctionName"] for p in permissions] == [
        {"Ref": "Function.Alias"}
    ] * len(permissions)
    # The function's own events add no HTTP API (it would not honour the condition).
    events = the_function(template)["Properties"]["Events"].values()
    assert {e["Type"] for e in events} == {"AlexaSkill"}
    assert template["Outputs"]["WebServiceUrl"]["Condition"] == "WebService"


# -- SnapStart and the alias ----------------------------------------------------------------
def test_snapstart_is_offered_off_by_default_for_published_versions() -> None:
    template = load_template()
    parameter = template["Parameters"]["EnableSnapStart"]
    # off by default: SnapStart for Python is billed per cached snapshot and per restore
    assert (parameter["Default"], parameter["AllowedValues"]) == ("false", ["true", "false"])
    assert template["Conditions"]["SnapStart"] == {
        "Fn::Equals": [{"Ref": "EnableSnapStart"}, "true"]
    }
    function = the_function(template)["Properties"]
    assert function["SnapStart"] == {
        "ApplyOn": {"Fn::If": ["SnapStart", "PublishedVersions", "None"]}
    }
    # SnapStart needs published versions, and Python 3.12 or later
    assert function["AutoPublishAlias"] == "live"
    assert function["AutoPublishAliasAllProperties"] is True
    major, minor = (int(n) for n in function["Runtime"].removeprefix("python").split("."))
    assert (major, minor) >= (3, 12)


def _refs(node: Any) -> set[str]:
    """Names referenced anywhere in ``node``: Ref, GetAtt, ${...} in Sub, and conditions."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value.split(".")[0])
            elif key == "Fn::GetAtt":
                found.add(value[0])
            elif key == "Fn::Sub" and isinstance(value, str):
                found |= {n.split(".")[0] for n in re.findall(r"\$\{([^}!]+)\}", value)}
            elif key == "Fn::If":
                found.add(value[0])
                found |= _refs(value[1:])
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def test_a_changed_parameter_or_layer_publishes_a_new_version() -> None:
    # SAM publishes a version when the function's properties change as written, so a new
    # parameter value or layer would leave the alias on a version with the old settings.
    # Every parameter and layer the function's configuration depends on (directly or
    # through a condition) must therefore be named in the version's description, whose
    # change makes CloudFormation publish a new version.
    template = load_template()
    properties = dict(the_function(template)["Properties"])
    description = properties.pop("VersionDescription")
    properties.pop("Events")  # the trigger is not part of a version
    parameters = set(template["Parameters"])
    conditions = template["Conditions"]
    depends = set()
    for name in _refs(properties):
        if name in conditions:
            depends |= _refs(conditions[name]) & parameters
        elif name in parameters or template["Resources"].get(name, {}).get("Type") == (
            "AWS::Serverless::LayerVersion"
        ):
            depends.add(name)
    assert {"SkillId", "EnableSnapStart", "DependenciesLayer"} <= depends
    assert depends <= _refs(description), depends - _refs(description)


# -- live updates (EnableLiveUpdates) ----------------------------------------------------------
def live_resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template["Resources"].items() if r.get("Condition") == "LiveUpdates"}


def stream_filter_matches(record: dict[str, Any], template: dict[str, Any] | None = None) -> bool:
    """Whether the live event source mapping's filter lets a stream record through: the
    subset of Lambda's filter syntax the pattern uses (lists of values, prefix)."""
    template = template or load_template()
    (mapping,) = resources_of_type(template, "AWS::Lambda::EventSourceMapping").values()
    (only,) = mapping["Properties"]["FilterCriteria"]["Filters"]
    pattern = json.loads(only["Pattern"])

    def matches(pattern: Any, value: Any) -> bool:
        if isinstance(pattern, dict):
            return isinstance(value, dict) and all(
                k in value and matches(p, value[k]) for k, p in pattern.items()
            )
        assert isinstance(pattern, list), pattern
        for option in pattern:
            if isinstance(option, dict):
                assert set(option) == {"prefix"}, option
                if isinstance(value, str) and value.startswith(option["prefix"]):
                    return True
            elif option == value:
                return True
        return False

    return matches(pattern, record)


def test_live_updates_are_optional_off_by_default_and_need_a_secret() -> None:
    template = load_template()
    enable = template["Parameters"]["EnableLiveUpdates"]
    assert (enable["Default"], enable["AllowedValues"]) == ("false", ["true", "false"])
    assert template["Conditions"]["LiveUpdates"] == {
        "Fn::Equals": [{"Ref": "EnableLiveUpdates"}, "true"]
    }
    secret = template["Parameters"]["LiveSecret"]
    assert secret["NoEcho"] is True and secret["Default"] == ""
    pattern = re.compile(secret["AllowedPattern"])
    assert pattern.fullmatch("") and pattern.fullmatch("a" * 64)
    assert not pattern.fullmatch("a" * 31)  # skill.live_token.MIN_SECRET_LENGTH
    rule = template["Rules"]["LiveUpdatesNeedASecret"]
    assert rule["RuleCondition"] == template["Conditions"]["LiveUpdates"]
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "LiveSecret"}, ""]}]
    }
    # Everything it adds is conditional; the table's stream too.
    names = set(live_resources(template))
    assert {"LiveFunction", "LiveStream", "LiveApi", "LiveStage", "LivePermission"} <= names
    for name in template["Resources"]:
        if name.startswith("Live"):
            assert name in names, name
    (table,) = resources_of_type(template, "AWS::DynamoDB::Table").values()
    assert table["Properties"]["StreamSpecification"] == {
        "Fn::If": ["LiveUpdates", {"StreamViewType": "NEW_IMAGE"}, {"Ref": "AWS::NoValue"}]
    }
    outputs = template["Outputs"]
    assert outputs["LiveUpdatesUrl"]["Condition"] == "LiveUpdates"


def test_live_websocket_api_has_the_three_routes_on_the_live_function() -> None:
    template = load_template()
    live = live_resources(template)
    (api,) = (r for r in live.values() if r["Type"] == "AWS::ApiGatewayV2::Api")
    assert api["Properties"]["ProtocolType"] == "WEBSOCKET"
    routes = [r["Properties"] for r in live.values() if r["Type"] == "AWS::ApiGatewayV2::Route"]
    assert sorted(r["RouteKey"] for r in routes) == ["$connect", "$default", "$disconnect"]
    assert {r["ApiId"]["Ref"] for r in routes} == {"LiveApi"}
    assert {r["Target"]["Fn::Sub"] for r in routes} == {"integrations/${LiveIntegration}"}
    integration = template["Resources"]["LiveIntegration"]["Properties"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["IntegrationUri"]["Fn::Sub"].endswith(
        ":lambda:path/2015-03-31/functions/${LiveFunction.Arn}/invocations"
    )
    # One stage name everywhere: the stage, the function's endpoint, the IAM resource,
    # API Gateway's permission to invoke, and the URL the dashboard connects to.
    stage = template["Resources"]["LiveStage"]["Properties"]
    assert stage["AutoDeploy"] is True
    name = stage["StageName"]
    function = template["Resources"]["LiveFunction"]["Properties"]
    endpoint = function["Environment"]["Variables"]["CORNERSHOP_LIVE_ENDPOINT"]["Fn::Sub"]
    assert endpoint.startswith("https://${LiveApi}.execute-api.") and endpoint.endswith(f"/{name}")
    url = template["Outputs"]["LiveUpdatesUrl"]["Value"]["Fn::Sub"]
    assert url == endpoint.replace("https://", "wss://")
    permission = template["Resources"]["LivePermission"]["Properties"]
    assert permission["FunctionName"] == {"Ref": "LiveFunction"}
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["SourceArn"]["Fn::Sub"].endswith(":${LiveApi}/" + name + "/*")
    push = next(
        s for s in statements_of(template["Resources"]["LiveFunction"]) if s["Sid"] == "LivePush"
    )
    assert push["Resource"]["Fn::Sub"].endswith(f":${{LiveApi}}/{name}/POST/@connections/*")


def test_live_function_runs_the_live_entry_point_from_the_function_zip() -> None:
    template = load_template()
    function = template["Resources"]["LiveFunction"]["Properties"]
    main = the_function(template)["Properties"]
    assert function["CodeUri"] == main["CodeUri"]
    assert (function["Runtime"], function["Architectures"]) == (
        main["Runtime"],
        main["Architectures"],
    )
    module, _, attribute = function["Handler"].partition(".")
    assert module == "live_function"
    assert f"def {attribute}(" in (REPO / "lambda" / f"{module}.py").read_text("utf-8")
    # No layer: tests/aws/test_live.py checks it imports only what Lambda provides.
    assert "Layers" not in function
    variables = function["Environment"]["Variables"]
    assert variables["CORNERSHOP_STORE"] == {"Fn::Sub": "dynamodb://${Table}"}
    assert variables["CORNERSHOP_LIVE_SECRET"] == {"Ref": "LiveSecret"}
    # The table's stream, order items only, with partial batch responses.
    mapping = template["Resources"]["LiveStream"]["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert mapping["FunctionName"] == {"Ref": "LiveFunction"}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["StartingPosition"] == "LATEST"
    assert mapping["ParallelizationFactor"] == 1
    (only,) = mapping["FilterCriteria"]["Filters"]
    assert json.loads(only["Pattern"]) == {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "ORDER#"}]}}},
    }


def test_live_stream_filter_passes_order_records_only() -> None:
    template = load_template()
    events = REPO / "tests" / "events" / "aws" / "live"

    def record(name: str) -> dict[str, Any]:
        (only,) = json.loads((events / f"{name}.json").read_text("utf-8"))["Records"]
        return dict(only)

    assert stream_filter_matches(record("stream_order_placed"), template)
    assert stream_filter_matches(record("stream_order_ready"), template)
    assert not stream_filter_matches(record("stream_cart_changed"), template)
    removed = record("stream_order_placed")
    removed["eventName"] = "REMOVE"
    assert not stream_filter_matches(removed, template)
    connection = record("stream_order_placed")
    connection["dynamodb"]["Keys"] = {"pk": {"S": "LIVE#main"}, "sk": {"S": "CONN#abc="}}
    assert not stream_filter_matches(connection, template)


_LIVE_CALL_ACTIONS = {
    ("dynamodb", "put_item"): "dynamodb:PutItem",
    ("dynamodb", "delete_item"): "dynamodb:DeleteItem",
    ("dynamodb", "query"): "dynamodb:Query",
    ("management", "post_to_connection"): "execute-api:ManageConnections",
}


def actions_live_uses() -> set[str]:
    """The IAM actions behind every ``self.dynamodb.<call>`` / ``self.management.<call>``
    in skill/live_aws.py."""
    from skill import live_aws

    tree = ast.parse(Path(live_aws.__file__).read_text("utf-8"))
    calls = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "self"
            and node.value.attr in {"dynamodb", "management"}
        ):
            calls.add((node.value.attr, node.attr))
    assert calls, "found no self.dynamodb.<call> in skill/live_aws.py"
    for call in calls:
        assert call in _LIVE_CALL_ACTIONS, f"map {call} to its IAM action in this test"
    return {_LIVE_CALL_ACTIONS[c] for c in calls}


def test_live_function_has_least_privilege() -> None:
    template = load_template()
    statements = {s["Sid"]: s for s in statements_of(template["Resources"]["LiveFunction"])}
    assert set(statements) == {"LiveConnections", "LiveStream", "LivePush"}
    assert all(s["Effect"] == "Allow" for s in statements.values())
    # Connection records: only the calls live_aws.py makes, on the table, and only in
    # the LIVE#<shop> partitions: never an order, a cart or a counter.
    records = statements["LiveConnections"]
    assert actions_of(records) == {"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"}
    assert records["Resource"] == {"Fn::GetAtt": ["Table", "Arn"]}
    assert records["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["LIVE#*"]}}
    # Reading this table's streams, as Lambda's event source mapping does.
    stream = statements["LiveStream"]
    assert actions_of(stream) == {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
    assert stream["Resource"] == {"Fn::Sub": "${Table.Arn}/stream/*"}
    # Posting to this API's connections only.
    push = statements["LivePush"]
    assert actions_of(push) == {"execute-api:ManageConnections"}
    assert push["Resource"]["Fn::Sub"].startswith(
        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${LiveApi}/"
    )
    # What the code calls is exactly what is granted, beside the stream's reads.
    granted = set().union(*(actions_of(s) for s in statements.values()))
    assert granted - actions_of(stream) == actions_live_uses()
    assert not any("*" in a for a in granted)
    # SAM adds no managed policy with broader reads (a SAM DynamoDB event would).
    assert "Events" not in template["Resources"]["LiveFunction"]["Properties"]
