"""The one generated world the suite shares (exposed as session fixtures in tests/conftest.py).

`generated_world`: a landing folder written once per session by the sample-data generator with the parameters below,
plus its ground truth and GenerationStats. Tests only read it.
`pipeline_world`: that landing folder after one full pipeline run (warehouse, reports, review queue and the
Dagster instance that ran it). Tests only read it; a test that changes a warehouse (reruns, review
decisions, extra segments, new landing files) takes `pipeline_world_copy`, a private copy in its tmp_path.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

# the generator's parameters: sized for the end-to-end pipeline (4 full runs in tests/test_pipeline.py, each
# costs more with more data); contact normalization and matching quality hold on it too. The inference model's
# accuracy test (tests/enrichment/test_inference.py) keeps its own 3,000 x 30 world.
CONTACTS = 400
DAYS = 8
SEED = 7
GZIP_EVERY = 3
AS_OF = "2026-11-01T00:00:00Z"       # the generator's default as_of, and the pipeline's


class World(NamedTuple):
    root: Path                       # root / "landing" is the landing folder
    landing: Path
    stats: object                    # GenerationStats


class PipelineWorld(NamedTuple):
    root: Path                       # root / "landing": the landing folder the run read
    stats: object                    # GenerationStats of that landing folder
    settings: object                 # Settings: warehouse, reports, review under root
    instance: object                 # the dagster instance that ran it
    outcome: object                  # RunOutcome of the run


def generate_world(root: Path) -> World:
    from orchestration.lib.sample_data import generate

    landing = root / "landing"
    stats = generate(landing, contacts=CONTACTS, days=DAYS, seed=SEED, gzip_every=GZIP_EVERY)
    return World(root, landing, stats)


def settings_for(root: Path, landing: Path):
    from orchestration.lib.core import load_settings

    return load_settings({"landing": str(landing), "warehouse": str(root / "wh.duckdb"),
                          "reports": str(root / "reports"), "review": str(root / "review"), "as_of": AS_OF})


def run_pipeline_world(world: World) -> PipelineWorld:
    """One pipeline run on the world's landing folder, warehouse and reports next to it."""
    import dagster as dg

    from orchestration.pipeline import run_pipeline

    settings = settings_for(world.root, world.landing)
    instance = dg.DagsterInstance.ephemeral()
    outcome = run_pipeline(settings, AS_OF, instance=instance)
    return PipelineWorld(world.root, world.stats, settings, instance, outcome)


def copy_pipeline_world(built: PipelineWorld, dest: Path) -> PipelineWorld:
    """A private copy under `dest`: landing folder, warehouse file, reports and review folder, and a fresh
    instance that knows the received days (all a run takes from the instance); the outcome is the original's."""
    import dagster as dg

    from orchestration.constants import RECEIVED_DAYS
    from orchestration.lib.ingest import event_days

    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(built.settings.landing, dest / "landing")
    settings = settings_for(dest, dest / "landing")
    for src, dst in ((built.settings.warehouse, settings.warehouse),
                     (Path(f"{built.settings.warehouse}.wal"), Path(f"{settings.warehouse}.wal"))):
        if src.exists():
            shutil.copy2(src, dst)
    for src, dst in ((built.settings.reports, settings.reports), (built.settings.review, settings.review)):
        if src.exists():
            shutil.copytree(src, dst)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(RECEIVED_DAYS, sorted(event_days(settings.landing)))
    return PipelineWorld(dest, built.stats, settings, instance, built.outcome)
