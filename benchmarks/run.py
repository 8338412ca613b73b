# ruff: noqa: F821
"""debt_collection benchmarks, run inside ``odoo shell`` by bin/benchmark.

Each scenario prints its figure next to its anchor's figure from the same
run, and the ratio; the whole is also written as JSON. Every scenario works
in a transaction that is rolled back, so the scratch database stays as
generated.

Scenarios:
  P1  portfolio import of generated installment rows: ours (the import
      engine) vs Odoo's generic importer (base_import, on a sample,
      extrapolated) vs a PostgreSQL COPY of the same rows (physical limit).

Options come from the environment (see bin/benchmark): DC_BENCH_SIZE (1.0 =
100 000 debtors / 400 000 installment rows), DC_BENCH_SEED, DC_BENCH_SCENARIOS
(comma separated), DC_BENCH_JSON (output file), DC_BENCH_BASE_IMPORT_SAMPLE.
"""

import csv
import io
import json
import os
import random
import time
from datetime import date
from datetime import timedelta

from odoo.tools import SQL

SIZE = float(os.environ.get("DC_BENCH_SIZE", "0.01"))
SEED = int(os.environ.get("DC_BENCH_SEED", "42"))
SCENARIOS = [s.strip().upper() for s in os.environ.get("DC_BENCH_SCENARIOS", "P1").split(",") if s.strip()]
JSON_OUT = os.environ.get("DC_BENCH_JSON", "benchmark.json")
BASE_IMPORT_SAMPLE = int(os.environ.get("DC_BENCH_BASE_IMPORT_SAMPLE", "2000"))

FIRST = ["María", "José", "Lucía", "Andrés", "Camila", "Jorge", "Ivan", "Elena", "Georgi", "Petya", "John", "Emily"]
LAST = ["González", "Rodríguez", "Pérez", "Gómez", "Petrov", "Ivanova", "Dimitrov", "Smith", "Johnson", "Brown"]
MOBILE_PREFIXES = ["300", "301", "310", "311", "312", "313", "315", "316", "317", "318", "320", "321"]
CITIES = ["Bogotá", "Medellín", "Quito", "Lima", "Sofia", "Plovdiv", "London", "Madrid"]

results = []


def report(scenario, label, ours, anchor, unit, higher_is_better, **extra):
    ratio = (ours / anchor if higher_is_better else anchor / ours) if ours and anchor else None
    row = {"scenario": scenario, "label": label, "ours": ours, "anchor": anchor, "unit": unit, "ratio": ratio}
    row.update(extra)
    results.append(row)
    ratio_text = f"{ratio:8.1f}x" if ratio else "       -"
    anchor_text = f"{anchor:14.1f}" if anchor is not None else "             -"
    print(f"{scenario:4} {label:46} {ours:14.1f} {anchor_text} {ratio_text}  {unit}", flush=True)


def generate_rows(n_debtors, rng):
    """Canonical import rows: 4 installments per debtor on average."""
    rows = []
    start = date(2026, 1, 1)
    for d in range(n_debtors):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {d}"
        city = rng.choice(CITIES)
        phone = f"+57 {rng.choice(MOBILE_PREFIXES)} {rng.randint(1000000, 9999999)}"
        count = rng.choice((2, 3, 4, 5, 6))
        amounts = [round(rng.uniform(20, 900), 2) for _i in range(count)]
        owed = round(sum(amounts), 2)
        first_due = start + timedelta(days=rng.randint(0, 300))
        for i, amount in enumerate(amounts, start=1):
            rows.append(
                {
                    "partner_name": name,
                    "vat": "",
                    "partner_ref": f"BNK-{d:07d}",
                    "city": city,
                    "country": "CO",
                    "phone1": phone,
                    "email": f"debtor{d}@example.com",
                    "debt_amount": owed,
                    "installment_count": count,
                    "installment_number": i,
                    "due_date": (first_due + timedelta(days=30 * (i - 1))).isoformat(),
                    "installment_amount": amount,
                    "installment_ref": f"BNK-{d:07d}-{i}",
                    "contract_ref": f"LN-{d:07d}",
                }
            )
    return rows


def scenario_p1():
    rng = random.Random(SEED)
    n_debtors = max(int(100_000 * SIZE), 10)
    rows = generate_rows(n_debtors, rng)
    n_rows = len(rows)
    company = env.company
    creditor = env["res.partner"].create({"name": "Benchmark Bank", "is_company": True})
    portfolio = env["collection.portfolio"].create(
        {
            "name": "Benchmark import",
            "kind": "external",
            "creditor_id": creditor.id,
            "currency_id": company.currency_id.id,
            "state": "active",
        }
    )
    env.flush_all()
    # -------- ours
    records = [dict(row, _row=i) for i, row in enumerate(rows, start=2)]
    t0 = time.perf_counter()
    result = portfolio._import_records(records, {"mode": "all", "source": "benchmark"})
    env.flush_all()
    ours_s = time.perf_counter() - t0
    assert result["imported"] and not result["errors"], list(result["errors"].items())[:5]
    ours_rps = n_rows / ours_s
    # re-import of the same rows (nothing to write)
    t0 = time.perf_counter()
    portfolio._import_records([dict(row, _row=i) for i, row in enumerate(rows, start=2)], {"mode": "all"})
    env.flush_all()
    again_s = time.perf_counter() - t0
    # -------- base_import on a sample: debtors, then installments linked to cases by reference
    sample = rows[: min(BASE_IMPORT_SAMPLE, n_rows)]
    sample_debtors = {}
    for row in sample:
        sample_debtors.setdefault(row["partner_ref"], row)
    base_portfolio = env["collection.portfolio"].create(
        {"name": "Benchmark base_import", "kind": "external", "creditor_id": creditor.id, "state": "active"}
    )
    t0 = time.perf_counter()
    partner_csv = _csv(
        ["name", "ref", "city", "phone", "email"],
        [
            [r["partner_name"] + " (b)", r["partner_ref"] + "-B", r["city"], r["phone1"], r["email"]]
            for r in sample_debtors.values()
        ],
    )
    _base_import("res.partner", partner_csv, ["name", "ref", "city", "phone", "email"])
    partners = env["res.partner"].search([("ref", "in", [r + "-B" for r in sample_debtors])])
    case_csv = _csv(
        ["portfolio_id/.id", "partner_id/.id", "external_ref"],
        [[base_portfolio.id, p.id, p.ref] for p in partners],
    )
    _base_import("collection.case", case_csv, ["portfolio_id/.id", "partner_id/.id", "external_ref"])
    cases = env["collection.case"].search([("portfolio_id", "=", base_portfolio.id)])
    case_names = {c.external_ref[:-2]: c.name for c in cases}
    inst_csv = _csv(
        ["case_id", "name", "date_due", "amount", "external_ref", "contract_ref"],
        [
            [
                case_names[r["partner_ref"]],
                f"{r['contract_ref']} {r['installment_number']}",
                r["due_date"],
                r["installment_amount"],
                r["installment_ref"],
                r["contract_ref"],
            ]
            for r in sample
        ],
    )
    _base_import(
        "collection.installment", inst_csv, ["case_id", "name", "date_due", "amount", "external_ref", "contract_ref"]
    )
    env.flush_all()
    base_s = time.perf_counter() - t0
    base_rps = len(sample) / base_s
    # -------- COPY of the same rows into an unlogged table: the physical limit
    columns = list(rows[0].keys())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([row[c] for c in columns])
    data = buffer.getvalue()
    env.cr.execute(
        SQL(
            "CREATE UNLOGGED TABLE IF NOT EXISTS dc_bench_copy (%s)",
            SQL(", ").join(SQL("%s text", SQL.identifier(c)) for c in columns),
        )
    )
    t0 = time.perf_counter()
    env.cr._obj.copy_expert("COPY dc_bench_copy FROM STDIN WITH (FORMAT csv)", io.StringIO(data))
    copy_s = time.perf_counter() - t0
    env.cr.execute(SQL("DROP TABLE dc_bench_copy"))
    copy_rps = n_rows / copy_s
    print(f"P1: {n_debtors} debtors, {n_rows} installment rows; base_import sample {len(sample)} rows, extrapolated")
    report(
        "P1",
        "import rows/s: ours vs base_import",
        ours_rps,
        base_rps,
        "rows/s",
        True,
        seconds=ours_s,
        rows=n_rows,
        base_import_sample=len(sample),
        base_import_seconds=base_s,
    )
    report("P1", "import rows/s: ours vs PostgreSQL COPY", ours_rps, copy_rps, "rows/s", True, copy_seconds=copy_s)
    report("P1", "re-import of the same file (s)", again_s, ours_s, "s", False)
    print(
        f"P1: ours {ours_s:.1f} s for {n_rows} rows; base_import would take "
        f"{n_rows / base_rps:.0f} s; COPY {copy_s:.2f} s"
    )


def _csv(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _base_import(model, data, fields):
    importer = env["base_import.import"].create(
        {"res_model": model, "file": data, "file_name": "bench.csv", "file_type": "text/csv"}
    )
    result = importer.execute_import(
        fields,
        fields,
        {
            "quoting": '"',
            "separator": ",",
            "has_headers": True,
            "date_format": "%Y-%m-%d",
            "datetime_format": "",
            "float_thousand_separator": ",",
            "float_decimal_separator": ".",
            "import_skip_records": [],
            "import_set_empty_fields": [],
            "name_create_enabled_fields": {},
            "fallback_values": {},
        },
    )
    errors = [m for m in result.get("messages", []) if m.get("type") == "error"]
    assert not errors, errors[:3]


SCENARIO_FUNCTIONS = {"P1": scenario_p1}

print(f"{'':4} {'':46} {'ours':>14} {'anchor':>14} {'ratio':>9}")
for name in SCENARIOS:
    function = SCENARIO_FUNCTIONS.get(name)
    if not function:
        print(f"{name}: unknown scenario, skipped")
        continue
    env.cr.execute(SQL("SAVEPOINT dc_bench"))
    try:
        function()
    finally:
        env.cr.execute(SQL("ROLLBACK TO SAVEPOINT dc_bench"))
        env.invalidate_all()
with open(JSON_OUT, "w", encoding="utf-8") as handle:
    json.dump({"size": SIZE, "seed": SEED, "results": results}, handle, indent=2, default=str)
print(f"results written to {JSON_OUT}")
env.cr.rollback()
