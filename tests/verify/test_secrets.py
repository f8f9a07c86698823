"""Fake credentials are built from pieces so this file itself never holds one a scanner would flag."""

from __future__ import annotations

import pytest

from overseer.config.verify import SecretsConfig
from overseer.domain.verification import Severity, StageStatus
from overseer.verify.secrets import SecretsStage, entropy, mask, scan_line
from tests.verify.conftest import Repo

AWS_KEY = "AKIA" + "Q7XK3M2PLR4TWZ9B"
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dcXq"
SLACK = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
WEBHOOK = "https://hooks.slack.com/services/" + "T0123ABCD/B0123ABCD/abcdEFGHijklMNOPqrstUVWX"
PEM = "-----BEGIN RSA " + "PRIVATE KEY-----"
RANDOM = "Zq8vN2xLp4Rt7Wk9Yb3Hc6Jd1Fg5Ms0T"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzQAMPLEKE1"


def test_an_aws_key_added_by_the_change_is_critical_and_fails_the_stage(repo: Repo) -> None:
    result = SecretsStage().run(repo.change({"settings.py": f'REGION = "eu-west-1"\nAWS_ACCESS_KEY_ID = "{AWS_KEY}"\n'}))
    assert result.status == StageStatus.FAILED
    aws = [f for f in result.findings if f.rule == "aws-access-key-id"]
    assert [(f.severity, f.type, f.file, f.line) for f in aws] == [(Severity.CRITICAL, "SECRET_EXPOSURE", "settings.py", 2)]
    assert aws[0].message == "AWS access key id (AKIA***) added in the change"
    assert aws[0].remediation == "remove it from the change, rotate the credential, load it from the environment"


def test_the_secret_itself_is_never_printed(repo: Repo) -> None:
    result = SecretsStage().run(repo.change({"conf/keys.env": f"AWS_ACCESS_KEY_ID={AWS_KEY}\nGITHUB_TOKEN={GITHUB}\n"}))
    printed = str(result.to_dict())
    assert AWS_KEY not in printed and GITHUB not in printed and AWS_KEY[4:12] not in printed
    assert len(result.findings) == 2


def test_a_key_already_in_the_baseline_is_not_the_change_s_fault(repo: Repo) -> None:
    repo.commit({"settings.py": f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n'})
    result = SecretsStage().run(repo.change({"settings.py": f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\nDEBUG = False\n'}))
    assert result.status == StageStatus.PASSED and result.findings == ()


def test_one_secret_is_one_finding_even_when_detect_secrets_sees_it_too(repo: Repo) -> None:
    result = SecretsStage().run(repo.change({"settings.py": f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n'}))
    assert [(f.file, f.line, f.severity) for f in result.findings] == [("settings.py", 1, Severity.CRITICAL)]
    assert "detect-secrets" in result.tools


def test_detect_secrets_adds_what_the_built_in_rules_do_not_catch_as_high(repo: Repo) -> None:
    result = SecretsStage().run(repo.change({"db.py": 'password = "hunter2"\n'}))
    assert result.status == StageStatus.FAILED
    assert [(f.severity, f.rule, f.file, f.line) for f in result.findings] == [(Severity.HIGH, "Secret Keyword", "db.py", 1)]
    assert "hunter2" not in str(result.to_dict())


def test_without_detect_secrets_only_the_built_in_rules_run(repo: Repo) -> None:
    result = SecretsStage(SecretsConfig(detect_secrets=False)).run(repo.change({"db.py": 'password = "hunter2"\n'}))
    assert result.status == StageStatus.PASSED and result.tools == {}


def test_a_disabled_scan_is_skipped(repo: Repo) -> None:
    result = SecretsStage(SecretsConfig(enabled=False)).run(repo.change({"k.py": f'K = "{AWS_KEY}"\n'}))
    assert result.status == StageStatus.SKIPPED and result.findings == ()


def test_a_clean_change_passes(repo: Repo) -> None:
    result = SecretsStage().run(repo.change({"calc.py": (repo.path / "calc.py").read_text() + "\nTOKEN_LIMIT = 4096\n"}))
    assert result.status == StageStatus.PASSED and result.findings == ()


@pytest.mark.parametrize(("line", "rule"), [
    (f"key = '{AWS_KEY}'", "aws-access-key-id"),
    (f"aws_secret_access_key = {AWS_SECRET}", "aws-secret-access-key"),
    (f"token: {GITHUB}", "github-token"),
    (f"T = 'github_pat_{'A1b2' * 20}xy'", "github-pat"),
    (f"SLACK={SLACK}", "slack-token"),
    (f"url = '{WEBHOOK}'", "slack-webhook"),
    (f"stripe.api_key = '{STRIPE}'", "stripe-key"),
    (PEM, "private-key"),
    (f'DB_PASSWORD = "{RANDOM}"', "high-entropy-assignment"),
    (f'"api_key": "{RANDOM}",', "high-entropy-assignment"),
])
def test_each_built_in_rule_catches_its_kind_of_secret(line: str, rule: str) -> None:
    assert [r.name for r, _ in scan_line(line)] == [rule]


@pytest.mark.parametrize("line", [
    'password = "changeme_changeme_changeme"',       # long but not random
    'token = "short"',
    f'description = "{RANDOM}"',                      # random but not a secret-looking name
    "AKIA_IN_PROSE is not a key",
    'password = os.environ["DB_PASSWORD"]',
])
def test_ordinary_lines_are_not_secrets(line: str) -> None:
    assert scan_line(line) == []


def test_entropy_and_mask_behave() -> None:
    assert entropy("aaaa") == 0.0 and entropy("ab") == 1.0 and entropy(RANDOM) > 4.0
    assert mask(AWS_KEY) == "AKIA***"


def test_the_scan_keeps_to_the_files_it_is_given_and_names_with_pathspec_magic_are_plain_names(repo: Repo) -> None:
    from dataclasses import replace

    ctx = repo.change({"a.env": f"KEY={AWS_KEY}\n", ":(glob)b.env": f"KEY={AWS_KEY}\n"})
    assert {f.file for f in SecretsStage().run(replace(ctx, files=("a.env",))).findings} == {"a.env"}
    assert {f.file for f in SecretsStage().run(replace(ctx, files=(":(glob)b.env",))).findings} == {":(glob)b.env"}
    assert {f.file for f in SecretsStage().run(ctx).findings} == {"a.env", ":(glob)b.env"}


def test_aws_documented_example_keys_are_not_findings_but_a_real_looking_one_is() -> None:
    assert scan_line('aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"') == []
    assert scan_line("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") == []
    assert [rule.name for rule, _ in scan_line(f'key = "{AWS_KEY}"')] == ["aws-access-key-id"]


@pytest.mark.parametrize("line", [
    'DB_PASSWORD = "aB3$kL9!mN2pQ"', "POSTGRES_PASSWORD=Zk8mP2xQ9wL4", "export SMTP_PASSWORD='Tr4!nM8@kL2x'",
    "MAPS_API_KEY=9f8e7d6c5b4a39281706f5e4d3c2b1a0", "DATABASE_URL=postgres://app:Qw8eR5tY2uI9@db.internal:5432/orders",
    'GOOGLE_MAPS_KEY = "AIza' + 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"', "api_token: Zq9Xw8Cv7Bn6Mk5Lj4Hg3Fd2Sa1Po0Iu",
])
def test_unquoted_assignments_passwords_hex_keys_url_passwords_and_google_keys_are_found(line: str) -> None:
    assert scan_line(line), line


@pytest.mark.parametrize("line", [
    'password = "changeme"', "password: ${POSTGRES_PASSWORD}", 'password = os.environ["DB_PASSWORD"]', "PASSWORD_MIN_LENGTH = 12",
    'password_field = "password"', "DATABASE_URL=postgres://db.internal:5432/orders", 'REVISION = "' + "0123456789abcdef" * 2 + '"',
    "SECRET_KEY_FILE=/run/secrets/django_secret_key", 'api_key: "' + "x" * 32 + '"', 'db = "postgres://user:password@localhost/db"',
    'export GITHUB_TOKEN="$(cat /run/secrets/gh_token)"',
])
def test_references_placeholders_and_harmless_values_are_not_secrets(line: str) -> None:
    assert scan_line(line) == [], line
