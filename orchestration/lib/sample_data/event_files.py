"""A shard's day file: the day's events sorted by time (late ones where they were received), the injected
line mess (one defect per quarantined line, near-future timestamps, redeliveries of earlier lines), the
messageId/timestamp middles filled in, written as events/<day>/events-<shard>.jsonl[.gz]."""

from __future__ import annotations

import gzip
import json
import random
from itertools import chain
from operator import itemgetter

import numpy as np

from orchestration.lib.sample_data.clock import DAY_MS, HOUR_MS, iso_date, iso_seconds
from orchestration.lib.sample_data.contract import (
    CUMULATIVE_DEFECT_RATES,
    NEAR_FUTURE_CUTOFF,
    QUARANTINE_REASONS,
    REDELIVERED_RATE,
)
from orchestration.lib.sample_data.event_lines import DayBuffer
from orchestration.lib.sample_data.geography import TIME_ZONES
from orchestration.lib.sample_data.plan import Plan
from orchestration.lib.sample_data.text import compact_json
from orchestration.lib.sample_data.tracking import BAD_TIMESTAMPS

REDELIVERY_SAMPLE_SIZE = 4096  # valid lines kept from earlier days for redeliveries in later files
_TIMESTAMP_LABEL = np.frombuffer(b'","timestamp":"', dtype=np.uint8)
_MIDDLE_WIDTH = 81  # 36 (uuid) + 15 + 23 (ts) + 6 (offset) + 1 (quote)


class DayFileWriter:
    def __init__(self, plan: Plan, shard: int, rand: random.Random, rng: np.random.Generator):
        self.plan = plan
        self.shard = shard
        self.rand = rand
        self.rng = rng
        self.redelivery_sample: list[str] = []

    def write_day(self, di: int, buf: DayBuffer, st: dict) -> int:
        """Sort the day's events, inject the line-level mess, write the file; returns lines written.
        `st`: the shard's stats (counters are added to).  The buffer is emptied."""
        ring = self.redelivery_sample
        n = len(buf.codes)
        if not n:
            return 0
        g = self.rng
        day_start = self.plan.day_starts[di]
        day_end = day_start + DAY_MS
        codes = np.array(buf.codes, dtype=np.int64)
        keys = codes
        if buf.late:
            keys = codes.copy()
            idx, lk = zip(*buf.late)
            keys[list(idx)] = lk
        order = np.argsort(keys, kind="stable")
        codes = codes[order]
        t = codes >> 5
        sty = (codes >> 1) & 15
        flags = (codes & 1).astype(bool)
        heads, bodies = buf.heads, buf.bodies
        buf.codes = buf.heads = buf.bodies = buf.late = None
        if n > 1:
            gather = itemgetter(*order.tolist())
            heads, bodies = gather(heads), gather(bodies)
        u = g.random(n)
        defect = np.searchsorted(CUMULATIVE_DEFECT_RATES, u, side="right")  # len(CUMULATIVE_DEFECT_RATES): no defect
        is_def = defect < len(QUARANTINE_REASONS)
        near = ~is_def & (u < NEAR_FUTURE_CUTOFF) & (t >= day_start)
        k = int(near.sum())
        if k:
            t[near] = day_end + (g.random(k) * 20 * HOUR_MS).astype(np.int64)
            sty[near] = 0
        mids = line_middles(g, t, sty, self.plan.time_zone_transitions)
        # line k = heads[k] + mids[k] + bodies[k] (ends with "\n")
        heads, bodies = list(heads) if n > 1 else heads, list(bodies) if n > 1 else bodies

        def line(k):
            return heads[k] + mids[k] + bodies[k][:-1]

        q = st["quarantine"]
        for k in np.nonzero(is_def)[0].tolist():
            heads[k] = corrupt_line(self.rand, line(k), int(defect[k]), day_end) + "\n"
            mids[k] = bodies[k] = ""
            q[QUARANTINE_REASONS[int(defect[k])]] += 1
        valid = ~is_def
        vidx = np.nonzero(valid)[0]
        nvalid = len(vidx)
        st["valid_events"] += nvalid
        st["late"] += int((valid & (t < day_start)).sum())
        st["near_future"] += int((valid & (t >= day_end)).sum())
        st["unknown_event"] += int((valid & flags).sum())
        # redeliveries: a copy of an earlier valid line (previous days' ring or earlier in this file)
        red = np.nonzero(g.random(nvalid) < REDELIVERED_RATE)[0]
        if len(red):
            nr = len(ring)
            vl = vidx.tolist()
            extra = []
            for pos, su in zip(red.tolist(), g.random(len(red)).tolist()):
                s = int(su * (nr + pos + 1))
                extra.append((vl[pos], ring[s] if s < nr else line(vl[s - nr])))
            for k, copy in extra:
                bodies[k] += copy + "\n"  # written right after line k
            st["redelivered"] += len(red)
        # keep a sample of this day's valid lines for redeliveries in later files
        if nvalid:
            take = min(nvalid, REDELIVERY_SAMPLE_SIZE - min(len(ring), REDELIVERY_SAMPLE_SIZE // 4))
            keep = min(len(ring), REDELIVERY_SAMPLE_SIZE - take)
            old = [ring[s] for s in np.sort(g.choice(len(ring), size=keep, replace=False)).tolist()] if keep else []
            new = [(heads[s] + mids[s] + bodies[s]).split("\n", 1)[0]
                   for s in vidx[np.sort(g.choice(nvalid, size=take, replace=False))].tolist()]
            ring[:] = old + new
        nlines = n + len(red)
        st["event_lines"] += nlines
        self.write_events(di, "".join(chain.from_iterable(zip(heads, mids, bodies))))
        st["files"] += 1
        return nlines

    def write_events(self, di: int, text: str) -> None:
        p = self.plan
        d = p.out / "events" / p.day_names[di]
        d.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        name = f"events-{self.shard:03d}.jsonl"
        if p.gzip_every > 0 and (di + 1) % p.gzip_every == 0:
            with open(d / (name + ".gz"), "wb") as fh:
                with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=6) as z:
                    z.write(data)
        else:
            with open(d / name, "wb") as fh:
                fh.write(data)


def line_middles(rng: np.random.Generator, t: np.ndarray, sty: np.ndarray, tz_transitions: dict) -> list[str]:
    """messageId + timestamp part of each line, vectorised: '<uuid>","timestamp":"<iso>"'.

    `t`: instants (ms), `sty`: timestamp styles (contacts.Devices.timestamp_style); the uuids come from
    `rng`, the local offsets from `tz_transitions` (Plan.time_zone_transitions)."""
    n = len(t)
    H = np.frombuffer(rng.bytes(16 * n).hex().encode("ascii"), dtype=np.uint8).reshape(n, 32)
    M = np.empty((n, _MIDDLE_WIDTH), dtype=np.uint8)
    M[:, 0:8] = H[:, 0:8]
    M[:, 9:13] = H[:, 8:12]
    M[:, 14:18] = H[:, 12:16]
    M[:, 19:23] = H[:, 16:20]
    M[:, 24:36] = H[:, 20:32]
    M[:, [8, 13, 18, 23]] = 45  # '-'
    M[:, 36:51] = _TIMESTAMP_LABEL
    lens = np.full(n, 76, dtype=np.int64)
    loc = t.copy()
    z = sty >= 2
    offm = None
    if z.any():
        offm = np.zeros(n, dtype=np.int64)
        for zi in np.unique(sty[z]).tolist():
            mask = sty == zi
            times, offs = tz_transitions[TIME_ZONES[zi - 2]]
            offm[mask] = np.asarray(offs)[np.searchsorted(np.asarray(times), t[mask], side="right") - 1]
        loc[z] += offm[z] * 60_000
    dn = loc // DAY_MS
    r = loc - dn * DAY_MS
    base = int(dn.min())
    table = "".join(iso_date(d) for d in range(base, int(dn.max()) + 1)).encode("ascii")
    M[:, 51:61] = np.frombuffer(table, dtype=np.uint8).reshape(-1, 10)[dn - base]
    M[:, 61] = 84  # 'T'
    h = r // HOUR_MS
    mi = (r // 60_000) % 60
    sec = (r // 1000) % 60
    ms = r % 1000
    M[:, 62] = 48 + h // 10
    M[:, 63] = 48 + h % 10
    M[:, 64] = 58
    M[:, 65] = 48 + mi // 10
    M[:, 66] = 48 + mi % 10
    M[:, 67] = 58
    M[:, 68] = 48 + sec // 10
    M[:, 69] = 48 + sec % 10
    M[:, 70] = 46
    M[:, 71] = 48 + ms // 100
    M[:, 72] = 48 + (ms // 10) % 10
    M[:, 73] = 48 + ms % 10
    s0 = sty == 0
    M[s0, 74] = 90  # 'Z'
    M[s0, 75] = 34  # '"'
    s1 = sty == 1
    M[s1, 70] = 90
    M[s1, 71] = 34
    lens[s1] = 72
    if offm is not None:
        o = offm[z]
        a = np.abs(o)
        hh, mm = a // 60, a % 60
        M[z, 74] = np.where(o >= 0, 43, 45)
        M[z, 75] = 48 + hh // 10
        M[z, 76] = 48 + hh % 10
        M[z, 77] = 58
        M[z, 78] = 48 + mm // 10
        M[z, 79] = 48 + mm % 10
        M[z, 80] = 34
        lens[z] = 81
    flat = M[np.arange(_MIDDLE_WIDTH)[None, :] < lens[:, None]].tobytes().decode("ascii")
    ends = np.cumsum(lens).tolist()
    starts = [0] + ends[:-1]
    return [flat[a:b] for a, b in zip(starts, ends)]


def corrupt_line(rand: random.Random, line: str, k: int, day_end: int) -> str:
    """`line` with the defect QUARANTINE_REASONS[k] (day_end: the end of the received day, ms)."""
    reason = QUARANTINE_REASONS[k]
    if reason == "malformed_json":
        r = rand.random()
        if r < 0.6:
            cut = max(8, min(len(line) - 2, int(len(line) * (0.2 + 0.75 * rand.random()))))
            return line[:cut]
        if r < 0.8:
            return line.replace('{"type":', "{type:", 1)
        return line.replace('","timestamp":"', '",timestamp":"', 1)
    d = json.loads(line)
    if reason == "missing_message_id":
        r = rand.random()
        if r < 0.6:
            del d["messageId"]
        else:
            d["messageId"] = None if r < 0.85 else ""
    elif reason == "missing_timestamp":
        if rand.random() < 0.7:
            del d["timestamp"]
        else:
            d["timestamp"] = None
    elif reason == "bad_timestamp":
        d["timestamp"] = rand.choice(BAD_TIMESTAMPS)
    elif reason == "missing_identity":
        r = rand.random()
        for key in ("userId", "anonymousId"):
            if key in d:
                if r < 0.5:
                    del d[key]
                else:
                    d[key] = None
    else:  # future_timestamp
        d["timestamp"] = iso_seconds(day_end + 3 * DAY_MS + int(rand.random() * 727 * DAY_MS))
    return compact_json(d)
