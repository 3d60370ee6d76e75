"""Bulk declarations from CSV: validate every line first, import all or none."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import func, select

from tests.support.factories import new_niss
from tests.support.web import login, post_form
from vouchers.employers.models import Contribution, Declaration
from vouchers.employers.services import imports as csv_import

HEADER = "worker_first_name;worker_last_name;worker_niss;contract_end_on;physician_decision_on"


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def _good_lines(today, n=3):
    end = today - timedelta(days=12)
    return [f"Worker{i};Family{i};{new_niss()};{end.isoformat()};" for i in range(n)]


def test_three_good_lines_are_imported(db_session, employer_user, today):
    text = "\n".join([HEADER, *_good_lines(today)]) + "\n"
    report = csv_import.import_declarations(db_session, employer_user, text, employer_id=None, today=today,
                                            now=_now())
    assert report.ok and report.lines == 3 and len(report.imported_ids) == 3
    declarations = db_session.scalars(select(Declaration).where(Declaration.id.in_(report.imported_ids))).all()
    assert {d.employer_id for d in declarations} == {employer_user.employer_id}
    refs = {d.contribution.structured_reference for d in declarations}
    assert len(refs) == 3
    assert all(d.contribution.amount_cents == 180_000 and d.contribution.status == "due" for d in declarations)


def test_one_bad_line_imports_nothing_and_names_the_line(db_session, employer_user, today):
    lines = _good_lines(today)
    lines.insert(1, "Bad;Line;12345678901;2025-13-45;")
    text = "\n".join([HEADER, *lines])
    before = (_count(db_session, Declaration), _count(db_session, Contribution))
    report = csv_import.import_declarations(db_session, employer_user, text, employer_id=None, today=today,
                                            now=_now())
    assert not report.ok and report.imported_ids == []
    assert {e.line for e in report.errors} == {3}
    assert {e.field for e in report.errors} == {"worker_niss", "contract_end_on"}
    assert (_count(db_session, Declaration), _count(db_session, Contribution)) == before


def test_duplicates_in_the_file_and_already_declared(db_session, employer_user, today):
    end = (today - timedelta(days=3)).isoformat()
    niss = new_niss()
    first = csv_import.import_declarations(db_session, employer_user, f"{HEADER}\nA;B;{niss};{end};\n",
                                           employer_id=None, today=today, now=_now())
    assert first.ok
    other = new_niss()
    text = f"{HEADER}\nA;B;{niss};{end};\nC;D;{other};{end};\nC;D;{other};{end};\n"
    report = csv_import.import_declarations(db_session, employer_user, text, employer_id=None, today=today,
                                            now=_now())
    assert [(e.line, e.field) for e in report.errors] == [(2, "worker_niss"), (4, "worker_niss")]
    assert "line 3" in report.errors[1].text


def test_formats_separators_and_dates(db_session, employer_user, today):
    end = today - timedelta(days=20)
    decision = end - timedelta(days=30)
    text = ("\ufeffworker_niss,contract_end_on,worker_last_name,worker_first_name,physician_decision_on\r\n"
            f"{new_niss()},{end:%d/%m/%Y},Janssens,Jan,{decision.isoformat()}\r\n\r\n")
    report = csv_import.import_declarations(db_session, employer_user, text, employer_id=None, today=today,
                                            now=_now())
    assert report.ok, report.errors
    declaration = db_session.get(Declaration, report.imported_ids[0])
    assert declaration.contract_end_on == end and declaration.physician_decision_on == decision
    assert declaration.worker_first_name == "Jan"


def test_a_file_without_the_header_or_lines(db_session, employer_user, today):
    no_header = csv_import.import_declarations(db_session, employer_user, "a;b;c\n1;2;3\n", employer_id=None,
                                               today=today, now=_now())
    assert no_header.errors[0].line == 1 and no_header.errors[0].field == "header"
    empty = csv_import.import_declarations(db_session, employer_user, "", employer_id=None, today=today, now=_now())
    assert not empty.ok
    only_header = csv_import.import_declarations(db_session, employer_user, HEADER + "\n", employer_id=None,
                                                 today=today, now=_now())
    assert not only_header.ok


def test_api_import(client, headers, today):
    good = "\n".join([HEADER, *_good_lines(today)])
    response = client.post("/api/v1/dismissals/import", data=good.encode(), headers={**headers,
                                                                                     "Content-Type": "text/csv"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["imported"] == 3
    bad = "\n".join([HEADER, *_good_lines(today), "X;Y;00000000000;2020-01-01;"])
    refused = client.post("/api/v1/dismissals/import", data=bad.encode(), headers={**headers,
                                                                                   "Content-Type": "text/csv"})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "csv_invalid" and {line["line"] for line in error["lines"]} == {5}
    listed = client.get("/api/v1/dismissals?limit=200", headers=headers).get_json()["items"]
    assert len(listed) == 3
    assert client.post("/api/v1/dismissals/import", data=b"\xff\xfe", headers=headers).status_code == 422


def test_upload_page_reports_lines_and_imports_nothing(client, db_session, employer_user, today):
    login(client, employer_user.email)
    bad = "\n".join([HEADER, *_good_lines(today, 2), "X;;85.07.30-033.29;2025-01-01;"])
    response = post_form(client, "/employer/import",
                         {"file": (io.BytesIO(bad.encode()), "declarations.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page and "<td>4</td>" in page
    assert db_session.scalar(select(func.count()).select_from(Declaration).where(
        Declaration.employer_id == employer_user.employer_id)) == 0
    good = "\n".join([HEADER, *_good_lines(today, 3)])
    done = post_form(client, "/employer/import", {"file": (io.BytesIO(good.encode()), "declarations.csv")},
                     content_type="multipart/form-data", follow_redirects=True)
    assert done.status_code == 200 and "3 dismissals are declared" in done.get_data(as_text=True)
    template = client.get("/employer/import/template.csv")
    assert template.mimetype == "text/csv" and template.get_data(as_text=True).startswith("worker_first_name;")


def _now():
    from portal.clock import utcnow

    return utcnow()


def test_an_unreadable_line_is_a_line_error_not_a_crash(client, db_session, headers, today):
    """A value longer than the csv module allows (128 KB), or a quote never closed, names the line."""
    before = _count(db_session, Declaration)
    huge = "\n".join([HEADER, *_good_lines(today, 2), "A;" + "x" * 200_000 + ";1;2026-01-01;"])
    response = client.post("/api/v1/dismissals/import", data=huge.encode(), headers={**headers,
                                                                                     "Content-Type": "text/csv"})
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert {line["line"] for line in response.get_json()["error"]["lines"]} == {4}
    unclosed = "\n".join([HEADER, *_good_lines(today, 1), 'A;"B;' + "y" * 200_000])
    _rows, errors = csv_import.read_rows(unclosed)
    assert [(e.line, e.field) for e in errors] == [(3, "file")]
    assert _count(db_session, Declaration) == before
