"""`microseg forget`: record erasure requests (by email, or a CSV of them) for the next run, or apply them now.

The address never leaves this command: it is normalized and hashed at once, and only the hash is stored,
printed or logged (docs/erasure.md).
"""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import click

from orchestration.cli.common import exit_busy, load_cli_settings, say_on_stderr, wait_options


def read_request_file(path: Path) -> list[tuple[str | None, str | None, int]]:
    """(email, phone, line) of every row of a CSV with an `email` and/or a `phone` column."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = {c.strip().lower(): c for c in reader.fieldnames or []}
        if not {"email", "phone"} & set(columns):
            raise click.UsageError(f"{path}: needs a column `email` (and/or `phone`); found "
                                   f"{', '.join(reader.fieldnames or []) or 'no header'}")
        rows = []
        for line, row in enumerate(reader, start=2):
            email = (row.get(columns.get("email", ""), "") or "").strip() or None
            phone = (row.get(columns.get("phone", ""), "") or "").strip() or None
            if email or phone:
                rows.append((email, phone, line))
    return rows


def _request(email: str | None, phone: str | None, source: str):
    from orchestration.lib.erasure import ErasureRequest
    from orchestration.lib.identity import normalize_email, normalize_phone

    if email is not None and normalize_email(email).status in ("malformed", "empty"):   # `--email " "` too
        raise click.UsageError(f"{source}: not an email address")
    e164 = None
    if phone:
        result = normalize_phone(phone, None)
        if result.status != "valid":
            raise click.UsageError(f"{source}: phone is {result.status}; give it in international form (+49 ...)")
        e164 = result.e164
    return ErasureRequest.from_address(email, e164, source)


@click.command()
@click.option("--email", "emails", multiple=True, help="The address of the person to forget (repeatable).")
@click.option("--phone", help="Their phone number, international form (with a single --email or alone).")
@click.option("--file", "request_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A CSV with a column `email` (and/or `phone`): one person per row.")
@click.option("--now", "apply_now", is_flag=True,
              help="Apply the requests at once (else the next run does), and write their erasure reports.")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), help="DuckDB file (MICROSEG_WAREHOUSE).")
@wait_options
def forget(emails: tuple[str, ...], phone: str | None, request_file: Path | None, apply_now: bool,
           warehouse: Path | None, wait_s: float | None, no_wait: bool) -> None:
    """Forget a person: their data leaves every table, file and report, and stays out on later loads."""
    from orchestration.lib.erasure import add_requests, apply_erasures, compact_database, write_report
    from orchestration.lib.ingest import prepare

    if not emails and not phone and not request_file:
        raise click.UsageError("say whom to forget: --email ADDRESS, --phone NUMBER or --file CSV")
    if phone and len(emails) > 1:
        raise click.UsageError("--phone goes with a single --email (or use --file with email,phone columns)")
    requests = [_request(e, phone if len(emails) == 1 else None, f"microseg forget --email #{i}")
                for i, e in enumerate(emails, 1)]
    if phone and not emails:
        requests.append(_request(None, phone, "microseg forget --phone"))
    if request_file:
        requests += [_request(e, p, f"microseg forget --file {request_file.name}:{line}")
                     for e, p, line in read_request_file(request_file)]
    settings = load_cli_settings(**({"warehouse": warehouse} if warehouse else {}))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    from orchestration.lib.warehouse import LockTimeout, WarehouseBusy, open_for_writing
    from orchestration.pipeline import warehouse_instance, writing_session_for

    try:
        with writing_session_for(settings, "microseg forget", warehouse_instance(settings), wait=not no_wait,
                                 timeout_s=wait_s, say=say_on_stderr):
            with open_for_writing(settings.warehouse, timeout_s=float(settings.run_wait)) as con:
                prepare(con)   # the raw tables as this version writes them (an older suppression list is hashed)
                added = add_requests(con, requests, now)
                for r in requests:
                    state = "recorded" if r.request_id in added else "already recorded"
                    click.echo(f"{r.request_id}: {state} ({r.source.removeprefix('microseg forget ')})", err=True)
                if not apply_now:
                    click.echo(f"{len(added)} request(s) pending; the next `microseg run` on {settings.warehouse} "
                               "applies them (or run `microseg forget --now`)")
                    return
                results = apply_erasures(con, now, None, [settings.reports, settings.review], progress=click.echo)
            if results:
                compact_database(settings.warehouse)
    except (LockTimeout, WarehouseBusy) as exc:
        exit_busy(exc)
    for result in results:
        path = write_report(result, settings.reports / "erasure")
        click.echo(f"{result.request_id}: {result.status}, {result.rows_removed:,} rows from "
                   f"{len(result.tables)} tables, {len(result.files)} files; report {path}")
