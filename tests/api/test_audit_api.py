"""The commit auditor's reports over the API: newest first and paged, one by sha or prefix, and names that are refused."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from overseer.audit.reports import audit_dir
from tests.api.conftest import Api

SHAS = ["1111111aaaa", "2222222bbbb", "3333333cccc"]


def write_report(api: Api, name: str, status: str, mtime: int, **extra: Any) -> None:
    path = audit_dir(api.root) / f"report_{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"commit_hash": name, "status": status, "issues": [], **extra}))
    os.utime(path, (mtime, mtime))


@pytest.fixture
def reports(api: Api) -> Api:
    for i, sha in enumerate(SHAS):
        write_report(api, sha, "PASS" if i != 1 else "FAIL", 1_700_000_000 + i * 60)
    return api


def test_reports_are_listed_newest_first_and_paged(reports: Api) -> None:
    body = reports.client.get("/api/v1/audit/reports").json()
    assert [r["name"] for r in body["reports"]] == SHAS[::-1] and body["total"] == 3 and body["more"] is False
    page = reports.client.get("/api/v1/audit/reports", params={"limit": 1, "offset": 1}).json()
    assert [(r["name"], r["status"]) for r in page["reports"]] == [("2222222bbbb", "FAIL")] and page["more"] is True


def test_no_reports_yet_is_an_empty_list(api: Api) -> None:
    assert api.client.get("/api/v1/audit/reports").json()["reports"] == []


def test_one_report_by_its_sha_or_a_unique_prefix(reports: Api) -> None:
    write_report(reports, "uncommitted", "PASS", 1_700_001_000, snapshot=True)
    assert reports.client.get("/api/v1/audit/reports/2222222bbbb").json()["status"] == "FAIL"
    assert reports.client.get("/api/v1/audit/reports/3333333").json()["name"] == "3333333cccc"
    assert reports.client.get("/api/v1/audit/reports/uncommitted").json()["snapshot"] is True


@pytest.mark.parametrize("name", ["..%2F..%2Fx", "..%2F..%2Fetc%2Fpasswd", "report", "ABCDEF1", "123", "%2Fetc%2Fpasswd"])
def test_a_name_that_is_not_a_sha_is_refused_naming_sha(reports: Api, name: str) -> None:
    r = reports.client.get(f"/api/v1/audit/reports/{name}")
    assert r.status_code == 422 and r.json()["field"] == "sha"


def test_an_unknown_or_ambiguous_sha_is_404(reports: Api) -> None:
    write_report(reports, "3333333dddd", "PASS", 1_700_002_000)
    unknown = reports.client.get("/api/v1/audit/reports/abcdef1")
    assert unknown.status_code == 404 and "abcdef1" in unknown.json()["detail"]
    assert reports.client.get("/api/v1/audit/reports/3333333").status_code == 404
