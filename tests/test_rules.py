"""The answer rules of templates/rules.jinja, evaluated as copier evaluates them, without renders.

Each validator and default is read from the layers' questions.yml and rendered in a Jinja
environment rooted at the template root with copier's filters, which is what copier does for
every question: fast enough for a table of every question and for property tests.
"""

from __future__ import annotations

import keyword
import re
import sys
from functools import cache
from typing import Any

import jinja2
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2.sandbox import SandboxedEnvironment

from conftest import REPO_ROOT

LAYERS = ("devops", "data", "platform", "mlops")
MAX_MESSAGE = 76  # copier's prompt cuts a message at the terminal's width (80 columns, less frame)
ENVIRONMENTS = ("dev", "staging", "prod")
BOUNDED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def questions(layer: str) -> dict[str, dict[str, Any]]:
    loaded = yaml.safe_load((REPO_ROOT / "templates" / layer / "questions.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


@cache
def environment() -> SandboxedEnvironment:
    """Like copier's: loader at the template root, ansible's filters, the template's envops."""
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(REPO_ROOT)),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
        keep_trailing_newline=True,
    )


@cache
def compiled(source: str) -> jinja2.Template:
    return environment().from_string(source)


def rules_module() -> Any:
    return environment().get_template("templates/rules.jinja").module


def context(layer: str, answers: dict[str, str], upstream: dict[str, str]) -> dict[str, Any]:
    """The names copier puts in a validator's context (mlhier passes no --data here).

    ``upstream`` holds the devops answers; the platform and mlops layers also read the data
    answers, those the data layer takes by default on top of them (and mlops the platform's).
    """
    external: dict[str, dict[str, str]] = {"devops": upstream} if layer != "devops" else {}
    if layer in ("platform", "mlops") and upstream:
        external["data"] = data_defaults(tuple(sorted(upstream.items())))
    if layer == "mlops" and upstream:
        external["platform"] = with_defaults("platform", {}, upstream)
    return {"layer": layer, **answers, "_external_data": external, "_copier_conf": {"data": {}}}


@cache
def data_defaults(devops: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The data layer's answers at their defaults over the devops answers ``devops``."""
    return with_defaults("data", {}, dict(devops))


def with_defaults(
    layer: str, given: dict[str, str], upstream: dict[str, str] | None = None
) -> dict[str, str]:
    """Every answer of ``layer``: ``given`` ones, the others from their (rendered) defaults."""
    answers: dict[str, str] = {}
    for name, question in questions(layer).items():
        if name in given:
            answers[name] = given[name]
        else:
            scope = context(layer, answers, upstream or {})
            answers[name] = compiled(str(question["default"])).render(scope).strip()
    return answers


def refusal(layer: str, question: str, answers: dict[str, str], upstream: dict[str, str]) -> str:
    """The validator's message for ``answers[question]``, empty when the value is accepted."""
    source = questions(layer)[question]["validator"]
    return compiled(source).render(context(layer, answers, upstream)).strip()


DEVOPS_DEFAULTS = with_defaults("devops", {})


def check(layer: str, question: str, value: str, others: dict[str, str] | None = None) -> str:
    """Refusal of ``value`` for ``question``, every other answer at its default."""
    if layer == "devops":
        answers = with_defaults("devops", {**(others or {}), question: value})
        return refusal("devops", question, answers, {})
    upstream = with_defaults("devops", others or {})
    answers = with_defaults(layer, {question: value}, upstream)
    return refusal(layer, question, answers, upstream)


# (layer, question, bad value, what the message must say). Every question has a row here; the
# trailing-newline rows below add one more for every question.
BAD_VALUES = [
    ("devops", "project_name", "Demo", "lowercase, digits, single hyphens"),
    ("devops", "project_name", "de", "3-40 characters long (it has 2)"),
    ("devops", "project_name", "x" * 41, "3-40 characters long (it has 41)"),
    ("devops", "project_name", "1demo", "a letter first"),
    ("devops", "project_name", "demo--x", "single hyphens"),
    ("devops", "project_name", "demo-", "single hyphens"),
    ("devops", "project_name", "my_project", "single hyphens"),
    ("devops", "project_name", "sthree-lake", "reserved by S3"),
    ("devops", "package_name", "class", '"class" is a Python keyword'),
    ("devops", "package_name", "os", '"os" is a standard-library module'),
    ("devops", "package_name", "distutils", "standard-library module"),  # gone in 3.12
    ("devops", "package_name", "compression", "standard-library module"),  # new in 3.14
    ("devops", "package_name", "typer", '"typer" is taken by a dependency'),
    ("devops", "package_name", "pyarrow", "taken by a dependency"),
    ("devops", "package_name", "pkg_", "no _ at the end"),
    ("devops", "package_name", "My_pkg", "1-40 of a-z, 0-9, _"),
    ("devops", "package_name", "pkg-name", "1-40 of a-z, 0-9, _"),
    ("devops", "package_name", "_private", "a letter first"),
    ("devops", "package_name", "p" * 41, "1-40 of a-z"),
    ("devops", "description", "", "1-200 characters of text"),
    ("devops", "description", "d" * 201, "1-200 characters of text"),
    ("devops", "description", "two\nlines", "must be one line"),
    ("devops", "description", " padded", "must not start or end with spaces"),
    ("devops", "author_name", "Ann <ann@x.io>", "must not contain any of <>"),
    ("devops", "author_name", " ", "1-100 characters of text"),
    ("devops", "author_email", "not-an-email", "an e-mail address like name@example.com"),
    ("devops", "author_email", "a@b", "an e-mail address"),
    ("devops", "python_version", "3.10", "one of 3.11, 3.12, 3.13"),
    ("devops", "python_version", "3.14", "one of 3.11, 3.12, 3.13"),
    ("devops", "aws_region", "xx-nowhere-1", "an AWS region code like eu-west-1"),
    ("devops", "aws_region", "eu_west_1", "an AWS region code"),
    ("devops", "aws_region", "EU-WEST-1", "an AWS region code"),
    ("devops", "aws_account_id", "12345", "exactly 12 digits"),
    ("devops", "aws_account_id", "12345678901a", "exactly 12 digits"),
    ("devops", "aws_account_id", "1234567890123", "exactly 12 digits"),
    ("devops", "github_org", "-org", "single inner hyphens"),
    ("devops", "github_org", "my--org", "single inner hyphens"),
    ("devops", "github_org", "o" * 40, "1-39 letters"),
    ("devops", "github_repo", "repo.git", 'end in ".git"'),
    ("devops", "github_repo", "..", 'must not be "." or ".."'),
    ("devops", "github_repo", "my repo", "(a GitHub repository)"),
    ("devops", "publish_to_pypi", "maybe", "must be true or false"),
    ("devops", "aws_account_id_dev", "12345", "exactly 12 digits"),
    ("devops", "aws_account_id_staging", "12345678901a", "exactly 12 digits"),
    ("devops", "aws_account_id_prod", "1234567890123", "exactly 12 digits"),
    ("devops", "monthly_budget_usd", "0", "a whole number of US dollars from 1 to 1000000"),
    ("devops", "monthly_budget_usd", "1000001", "from 1 to 1000000"),
    ("devops", "monthly_budget_usd", "12.5", "a whole number"),
    ("devops", "monthly_budget_usd", "-5", "a whole number"),
    ("devops", "license", "GPL-3.0", "one of MIT, Apache-2.0, Proprietary"),
    ("devops", "license", "mit", "one of MIT, Apache-2.0, Proprietary"),
    ("devops", "code_owners", "@my-org", "the repository owner cannot own code"),
    ("devops", "code_owners", "@alice @MY-ORG", "the repository owner cannot own code"),
    ("devops", "code_owners", "my-org/ml", "@user or @org/team"),
    ("devops", "code_owners", "@alice  @bob", "separated by single spaces"),
    ("devops", "code_owners", "@-alice", "@user or @org/team"),
    ("devops", "code_owners", "", "@user or @org/team"),
    ("data", "project_name_data", "Demo", "lowercase, digits, single hyphens"),
    ("data", "package_name_data", "pkg_", "no _ at the end"),
    ("data", "package_name_data", "json", "standard-library module"),
    ("data", "python_version_data", "3.14", "one of 3.11, 3.12, 3.13"),
    ("data", "aws_region_data", "moon-base-1", "an AWS region code"),
    ("data", "aws_account_id_data", "0000", "exactly 12 digits"),
    ("data", "aws_account_id_dev_data", "0000", "exactly 12 digits"),
    ("data", "aws_account_id_staging_data", "x" * 12, "exactly 12 digits"),
    ("data", "aws_account_id_prod_data", "", "exactly 12 digits"),
    ("data", "github_org_data", "org-", "single inner hyphens"),
    ("data", "org_name", "Acme", "lowercase letters, digits, single inner hyphens"),
    ("data", "org_name", "acme_corp", "lowercase letters"),
    ("data", "org_name", "xn--acme", "single inner hyphens"),
    ("data", "org_name", "a" * 20, "at most 10 characters here, bucket names stop at 63"),
    ("data", "zone_raw", "Raw", "2-12 lowercase letters or digits"),
    ("data", "zone_raw", "logs", "the lake uses that name itself"),
    ("data", "zone_raw", "r" * 13, "2-12 lowercase letters or digits"),
    ("data", "zone_stage", "quarantine", "the lake uses that name itself"),
    ("data", "zone_stage", "landing", "the lake uses that name itself"),
    ("data", "zone_curated", "athena", "the lake uses that name itself"),
    ("data", "zone_stage", "raw", "must differ from the other zones (raw)"),
    ("data", "zone_curated", "GOLD", "2-12 lowercase letters or digits"),
    ("data", "zone_curated", "stage", "must differ from the other zones (raw, stage)"),
    ("platform", "project_name_platform", "Demo", "lowercase, digits, single hyphens"),
    ("platform", "package_name_platform", "sklearn", "taken by a dependency"),
    ("platform", "python_version_platform", "3.10", "one of 3.11, 3.12, 3.13"),
    ("platform", "aws_region_platform", "mars-1", "an AWS region code"),
    ("platform", "aws_account_id_platform", "1234", "exactly 12 digits"),
    ("platform", "aws_account_id_dev_platform", "1234", "exactly 12 digits"),
    ("platform", "aws_account_id_staging_platform", "", "exactly 12 digits"),
    ("platform", "aws_account_id_prod_platform", "12345678901x", "exactly 12 digits"),
    ("platform", "org_name_platform", "Acme", "lowercase letters, digits, single inner"),
    ("platform", "org_name_platform", "a" * 20, "bucket names stop at 63"),
    ("platform", "zone_curated_platform", "logs", "the lake uses that name itself"),
    ("platform", "accuracy_threshold", "0", "a number above 0 and at most 1"),
    ("platform", "accuracy_threshold", "1.5", "a number above 0 and at most 1"),
    ("platform", "accuracy_threshold", "0.12345", "up to 4 decimals"),
    ("platform", "accuracy_threshold", "ninety", "a number above 0 and at most 1"),
    ("platform", "instance_type", "m5.large", "a SageMaker instance type like ml.m5.large"),
    ("platform", "instance_type", "ml.m5", "a SageMaker instance type"),
    ("mlops", "project_name_mlops", "Demo", "lowercase, digits, single hyphens"),
    ("mlops", "package_name_mlops", "sklearn", "taken by a dependency"),
    ("mlops", "python_version_mlops", "3.10", "one of 3.11, 3.12, 3.13"),
    ("mlops", "aws_region_mlops", "mars-1", "an AWS region code"),
    ("mlops", "aws_account_id_mlops", "1234", "exactly 12 digits"),
    ("mlops", "aws_account_id_dev_mlops", "1234", "exactly 12 digits"),
    ("mlops", "aws_account_id_staging_mlops", "", "exactly 12 digits"),
    ("mlops", "aws_account_id_prod_mlops", "12345678901x", "exactly 12 digits"),
    ("mlops", "org_name_mlops", "Acme", "lowercase letters, digits, single inner"),
    ("mlops", "zone_raw_mlops", "logs", "the lake uses that name itself"),
    ("mlops", "zone_curated_mlops", "raw", "must differ from the other zones (raw)"),
    ("mlops", "serving_instance_type", "m5.large", "a SageMaker instance type like ml.m5.large"),
    ("mlops", "serverless_staging", "maybe", "must be true or false"),
    ("mlops", "latency_budget_ms", "0", "a whole number from 1 to 60000"),
    ("mlops", "latency_budget_ms", "60001", "a whole number from 1 to 60000"),
    ("mlops", "latency_budget_ms", "0200", "a whole number from 1 to 60000"),
    ("mlops", "latency_budget_ms", "fast", "a whole number from 1 to 60000"),
]

GOOD_VALUES = [
    ("devops", "project_name", "p" * 40),
    ("devops", "project_name", "a-1"),
    ("devops", "package_name", "a"),
    ("devops", "package_name", "p" * 40),
    ("devops", "package_name", "data_tools"),
    ("devops", "description", "d" * 200),
    ("devops", "author_name", "Åsa Öberg & Co."),
    ("devops", "author_email", "first.last+ml@data.example.co.uk"),
    ("devops", "python_version", "3.13"),
    ("devops", "aws_region", "us-gov-west-1"),
    ("devops", "aws_region", "cn-northwest-1"),
    ("devops", "aws_region", "il-central-1"),
    ("devops", "aws_account_id", "000000000000"),
    ("devops", "aws_account_id_prod", "999999999999"),
    ("devops", "monthly_budget_usd", "1"),
    ("devops", "monthly_budget_usd", "1000000"),
    ("devops", "github_org", "a"),
    ("devops", "github_org", "A" * 39),
    ("devops", "github_repo", "a.b_c-d"),
    ("devops", "publish_to_pypi", "true"),
    ("devops", "publish_to_pypi", "False"),
    ("devops", "license", "MIT"),
    ("devops", "license", "Apache-2.0"),
    ("devops", "code_owners", "@alice"),
    ("devops", "code_owners", "@my-org/ml-engineering @alice @other-org"),
    ("devops", "code_owners", "@My-Org/Data_Team.v2"),
    ("data", "org_name", "a"),
    ("data", "zone_raw", "landing2"),
    ("data", "zone_curated", "gold"),
    ("platform", "accuracy_threshold", "1"),
    ("platform", "accuracy_threshold", "1.0"),
    ("platform", "accuracy_threshold", "0.0001"),
    ("platform", "accuracy_threshold", ".75"),
    ("platform", "instance_type", "ml.c7i.48xlarge"),
    ("platform", "instance_type", "ml.g6e-xl.2xlarge"),
    ("mlops", "latency_budget_ms", "1"),
    ("mlops", "latency_budget_ms", "60000"),
    ("mlops", "serverless_staging", "False"),
]


def str_questions(layer: str) -> list[str]:
    return [name for name, question in questions(layer).items() if question["type"] == "str"]


TRAILING_NEWLINE = [(layer, name) for layer in LAYERS for name in str_questions(layer)]


def test_every_question_has_a_bad_value_in_the_table() -> None:
    asked = {(layer, name) for layer in LAYERS for name in questions(layer)}
    assert asked == {(layer, name) for layer, name, _, _ in BAD_VALUES}


@pytest.mark.parametrize(("layer", "question", "value", "rule"), BAD_VALUES)
def test_bad_value_is_refused_naming_the_question_and_the_rule(
    layer: str, question: str, value: str, rule: str
) -> None:
    message = check(layer, question, value)

    assert message.startswith(question)
    assert rule in message
    assert len(message) <= MAX_MESSAGE, message


@pytest.mark.parametrize(("layer", "question"), TRAILING_NEWLINE)
def test_trailing_newline_is_refused_for_every_question(layer: str, question: str) -> None:
    defaults = {
        "devops": DEVOPS_DEFAULTS,
        "data": with_defaults("data", {}, DEVOPS_DEFAULTS),
        "platform": with_defaults("platform", {}, DEVOPS_DEFAULTS),
        "mlops": with_defaults("mlops", {}, DEVOPS_DEFAULTS),
    }
    value = defaults[layer][question]

    assert check(layer, question, value) == ""
    message = check(layer, question, value + "\n")
    assert message.startswith(question)
    assert "one line" in message
    assert len(message) <= MAX_MESSAGE


@pytest.mark.parametrize(("layer", "question", "value"), GOOD_VALUES)
def test_good_edge_value_is_accepted(layer: str, question: str, value: str) -> None:
    assert check(layer, question, value) == ""


def test_missing_devops_layer_is_named() -> None:
    message = refusal("data", "project_name_data", {"project_name_data": ""}, {})

    assert message == "the devops layer is not applied here: .copier-answers.devops.yml is missing"


def test_missing_data_layer_is_named() -> None:
    message = refusal("platform", "project_name_platform", {"project_name_platform": ""}, {})

    assert message == "the data layer is not applied here: .copier-answers.data.yml is missing"


def test_missing_platform_layer_is_named() -> None:
    message = refusal("mlops", "project_name_mlops", {"project_name_mlops": ""}, {})

    missing = ".copier-answers.platform.yml is missing"
    assert message == f"the platform layer is not applied here: {missing}"


def test_platform_defaults_come_from_both_layers_below() -> None:
    devops = with_defaults("devops", {"project_name": "churn", "aws_account_id_dev": "1" * 12})

    platform = with_defaults("platform", {}, devops)

    assert platform["project_name_platform"] == "churn"
    assert platform["aws_account_id_dev_platform"] == "1" * 12
    assert platform["org_name_platform"] == data_defaults(tuple(sorted(devops.items())))["org_name"]
    assert platform["zone_curated_platform"] == "curated"


def test_package_names_exclude_every_public_standard_library_module() -> None:
    public = {name.lower() for name in sys.stdlib_module_names if not name.startswith("_")}

    assert public <= set(rules_module().STDLIB)
    assert {word.lower() for word in [*keyword.kwlist, *keyword.softkwlist]} - {"_"} <= set(
        rules_module().KEYWORDS
    )


# Distribution names whose import name differs.
IMPORT_NAMES = {
    "pyyaml": "yaml",
    "scikit-learn": "sklearn",
    "pyarrow-stubs": "",  # stubs only: nothing to import
    "types-pyyaml": "",
}
REQUIREMENT = re.compile(r'^\s*"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?[=<>!~]', re.MULTILINE)


def test_package_names_exclude_every_dependency_of_the_generated_project() -> None:
    pyprojects = sorted((REPO_ROOT / "templates").glob("*/project/**/pyproject.toml.jinja"))
    distributions = {
        name.lower() for path in pyprojects for name in REQUIREMENT.findall(path.read_text())
    }
    imports = {IMPORT_NAMES.get(name, name.replace("-", "_")) for name in distributions} - {""}

    assert {"duckdb", "pyarrow", "yaml", "moto", "pytest", "ruff"} <= imports
    for name in sorted(imports):
        assert "taken by a dependency" in check("devops", "package_name", name), name


def test_derived_package_name_avoids_a_taken_name() -> None:
    answers = with_defaults("devops", {"project_name": "numpy"})

    assert answers["package_name"] == "numpy_pkg"
    assert refusal("devops", "package_name", answers, {}) == ""


# --- properties: the two layers share each rule; derived bucket names always fit ---------------

SHARED = ["project_name", "package_name", "python_version", "aws_region", "aws_account_id"]
SHARED += ["github_org"]

TEXT = st.text(alphabet="abcxyz019-_.AZ \n", max_size=45)
CANDIDATES: dict[str, st.SearchStrategy[str]] = {
    "project_name": st.from_regex(r"[a-z][a-z0-9]{0,12}(-[a-z0-9]{1,9}){0,4}", fullmatch=True),
    "package_name": st.from_regex(r"[a-z][a-z0-9_]{0,42}", fullmatch=True)
    | st.sampled_from(sorted(sys.stdlib_module_names)),
    "python_version": st.from_regex(r"3[.]1[0-9]", fullmatch=True),
    "aws_region": st.from_regex(
        r"(eu|us|ap|xx|cn)(-gov|-isob)?-(west|southeast|nowhere|central)-[0-9]", fullmatch=True
    ),
    "aws_account_id": st.from_regex(r"[0-9]{11,13}", fullmatch=True),
    "github_org": st.from_regex(r"[A-Za-z0-9-]{0,41}", fullmatch=True),
}


@pytest.mark.parametrize("name", SHARED)
def test_devops_and_data_accept_the_same_values(name: str) -> None:
    upstream = dict(DEVOPS_DEFAULTS)
    data_answers = with_defaults("data", {}, upstream)

    @BOUNDED
    @given(value=CANDIDATES[name] | TEXT | TEXT.map(lambda text: text + "\n"))
    def same_verdict(value: str) -> None:
        devops = refusal("devops", name, {**DEVOPS_DEFAULTS, name: value}, {})
        data = refusal("data", f"{name}_data", {**data_answers, f"{name}_data": value}, upstream)
        assert bool(devops) == bool(data), (value, devops, data)
        for message in (devops, data):
            assert len(message) <= MAX_MESSAGE, message

    same_verdict()


# Valid devops answers by construction (filtering valid ones out of random text is too slow).
VALID_DEVOPS = st.fixed_dictionaries(
    {
        "project_name": (
            st.from_regex(r"[a-z][a-z0-9]{2,12}(-[a-z0-9]{1,8}){0,3}", fullmatch=True)
            | st.from_regex(r"[a-z]{20,30}-[a-z]{5,9}", fullmatch=True)
        ).filter(lambda name: not name.startswith(("sthree", "amzn-s3-demo"))),
        "aws_region": st.from_regex(
            r"(af|ap|ca|cn|eu|il|me|mx|sa|us)(-gov|-iso[a-z]?)?"
            r"-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[1-9]",
            fullmatch=True,
        ),
        "aws_account_id": st.from_regex(r"[0-9]{12}", fullmatch=True),
        "github_org": st.from_regex(r"[A-Za-z0-9](-?[A-Za-z0-9]){0,38}", fullmatch=True),
    }
)


def bucket_names(data: dict[str, str]) -> list[str]:
    """The lake's bucket names as config/datalake.yaml renders them."""
    project = rules_module().bucket_project(data["project_name_data"], data["aws_region_data"])
    zones = [data["zone_raw"], data["zone_stage"], data["zone_curated"], "logs", "landing"]
    zones.append("athena")
    return [
        "-".join(
            (project, data["org_name"], zone, data["aws_region_data"], data["aws_account_id_data"])
        )
        + f"-{environment}"
        for zone in zones
        for environment in ENVIRONMENTS
    ]


S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def assert_valid_buckets(data: dict[str, str]) -> None:
    for name in bucket_names(data):
        assert S3_BUCKET.fullmatch(name), name
        assert ".." not in name
        assert not name.startswith(("xn--", "sthree-", "amzn-s3-demo-")), name


def data_answers_on(devops_answers: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Devops answers completed by their defaults (which must pass too), and data defaults."""
    upstream = with_defaults("devops", devops_answers)
    for name in questions("devops"):
        assert refusal("devops", name, upstream, {}) == "", (name, upstream)
    return upstream, with_defaults("data", {}, upstream)


@BOUNDED
@given(devops_answers=VALID_DEVOPS)
def test_any_valid_devops_answers_give_valid_data_defaults(devops_answers: dict[str, str]) -> None:
    upstream, data = data_answers_on(devops_answers)

    for name in questions("data"):
        assert refusal("data", name, data, upstream) == "", (name, data)
    assert_valid_buckets(data)


@BOUNDED
@given(
    devops_answers=VALID_DEVOPS,
    org=st.from_regex(r"[a-z0-9](-?[a-z0-9]){0,11}", fullmatch=True),
    zones=st.lists(st.from_regex(r"[a-z][a-z0-9]{1,11}", fullmatch=True), min_size=3, max_size=3),
)
def test_any_data_answers_the_rules_accept_give_valid_bucket_names(
    devops_answers: dict[str, str], org: str, zones: list[str]
) -> None:
    upstream, defaults = data_answers_on(devops_answers)
    chosen = dict(
        zip(["org_name", "zone_raw", "zone_stage", "zone_curated"], [org, *zones], strict=True)
    )
    data = {**defaults, **chosen}
    messages = {name: refusal("data", name, data, upstream) for name in chosen}

    for name, message in messages.items():
        assert message == "" or message.startswith(name)
        assert len(message) <= MAX_MESSAGE, message
    if not any(messages.values()):
        assert_valid_buckets(data)
