"""Segment files, checked one by one and together: a file's own errors (`parse_segment`, `check_file`),
then duplicate names, unknown `in_segment` targets, cycles and dependencies on broken segments
(`validate_segments`, `validate_dir`); `load_catalog` -> `Catalog` compiles the usable ones by name."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from orchestration.lib.core import YamlFileError, load_yaml, parse_yaml
from orchestration.lib.segments.dsl.ast import Segment
from orchestration.lib.segments.dsl.compiler import CompiledSegment, compile_segment
from orchestration.lib.segments.dsl.issues import Issue, SegmentError, did_you_mean
from orchestration.lib.segments.dsl.parser import SegmentParser
from orchestration.lib.segments.dsl.schema import DEFAULT_SCHEMA, Schema


@dataclass
class FileResult:
    """The outcome of loading one segment file: the segment when it is usable, else the errors."""
    source: str
    name: str | None = None
    segment: Segment | None = None
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    references: list[tuple[str, str]] = field(default_factory=list, repr=False)  # in_segment (name, path)

    @property
    def ok(self) -> bool:
        return not self.errors and self.segment is not None


def check_file(source: str, content, schema: Schema = DEFAULT_SCHEMA) -> FileResult:
    """One file alone: `content` is its YAML text or parsed document."""
    if isinstance(content, (str, bytes)):
        try:
            content = parse_yaml(content, source)
        except YamlFileError as exc:
            return _unreadable(exc)
    return check_document(source, content, schema)


def check_document(source: str, doc, schema: Schema = DEFAULT_SCHEMA) -> FileResult:
    """One file alone, from its parsed YAML document."""
    parser = SegmentParser(source, schema)
    segment = parser.document(doc)
    name = doc.get("name") if isinstance(doc, dict) and isinstance(doc.get("name"), str) else None
    return FileResult(source, name, segment, parser.errors, parser.warnings, parser.references)


def _unreadable(exc: YamlFileError) -> FileResult:
    """The result of a file that cannot be read or is not valid YAML."""
    return FileResult(exc.source, errors=[Issue(exc.source, "", exc.reason)])


def parse_segment(doc, source: str = "<segment>", schema: Schema = DEFAULT_SCHEMA) -> Segment:
    """Validate one parsed YAML document into a Segment, or raise SegmentError with every problem.

    Checks the file alone: whether `in_segment` names exist (and cycles) is checked by
    `validate_segments` / `validate_dir`, which see every file."""
    result = check_file(source, doc, schema)
    if result.errors:
        raise SegmentError(result.errors)
    return result.segment


def validate_segments(files: Mapping[str, Any], schema: Schema = DEFAULT_SCHEMA) -> list[FileResult]:
    """Validate several segment files together: `files` maps a source name (the file path) to its YAML
    text or parsed document. Besides each file's own errors: duplicate names, in_segment naming an
    unknown segment, cycles (named: a -> b -> a), and segments that depend on a broken one."""
    return _check_together([check_file(source, content, schema) for source, content in files.items()])


def _check_together(results: list[FileResult]) -> list[FileResult]:
    """Add the errors only the set of files shows to `results` (and drop the segments with errors)."""
    by_name: dict[str, list[FileResult]] = {}
    for r in results:
        if r.name:
            by_name.setdefault(r.name, []).append(r)
    for name, same_name in by_name.items():
        if len(same_name) > 1:
            for r in same_name:
                others = ", ".join(o.source for o in same_name if o is not r)
                r.errors.append(Issue(r.source, "name", f"duplicate segment name {name!r}: also defined in {others}"))
    for r in results:
        for ref, path in r.references:
            if ref not in by_name:
                known = ", ".join(sorted(by_name)) or "(no segments)"
                r.errors.append(Issue(r.source, path, f"unknown segment {ref!r}{did_you_mean(ref, by_name)}; "
                                                      f"expected one of: {known}"))
    parsed = {r.segment.name: r for r in results if r.segment is not None and len(by_name[r.segment.name]) == 1}
    # cycles: every segment on a cycle reports it at its own reference
    graph = {n: [ref for ref, _ in r.segment.references if ref in parsed] for n, r in parsed.items()}
    for n, r in parsed.items():
        for ref, path in r.segment.references:
            if ref in parsed:
                cycle = shortest_path(graph, ref, n)
                if cycle is not None:
                    r.errors.append(Issue(r.source, path, "in_segment cycle: " + " -> ".join([n, *cycle])))
    # a segment that depends on a broken or unknown one cannot be evaluated either
    changed = True
    while changed:
        changed = False
        for n, r in parsed.items():
            if r.errors:
                continue
            for ref, path in r.segment.references:
                target = parsed.get(ref)
                if ref in by_name and (target is None or target.errors):
                    where = ", ".join(t.source for t in by_name[ref])
                    r.errors.append(Issue(r.source, path, f"depends on segment {ref!r} ({where}), which has errors"))
                    changed = True
                    break
    for r in results:
        if r.errors:
            r.segment = None
    return results


def shortest_path(graph: Mapping[str, list[str]], start: str, goal: str) -> list[str] | None:
    """Shortest path start -> ... -> goal along graph edges (breadth first), or None."""
    previous = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            out = []
            while node is not None:
                out.append(node)
                node = previous[node]
            return out[::-1]
        for nxt in graph.get(node, ()):
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return None


def yaml_files_in(directory: str | Path) -> list[Path]:
    """The *.yml and *.yaml files directly in a folder, sorted."""
    return sorted(p for p in Path(directory).iterdir() if p.is_file() and p.suffix in (".yml", ".yaml"))


def segment_files(directory: str | Path) -> list[Path]:
    """The segment files of a folder: *.yml and *.yaml directly in it (not segments/tests/), sorted."""
    return yaml_files_in(directory)


def validate_dir(directory: str | Path, schema: Schema = DEFAULT_SCHEMA) -> list[FileResult]:
    """Validate every segment file of a folder together; one result per file, sorted by path (a broken
    file reports its errors and leaves the others usable). A missing folder raises SegmentError."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SegmentError(Issue(str(directory), "", "no such segment folder"))
    paths = segment_files(directory)
    results = []
    for path in paths:
        try:
            results.append(check_document(str(path), load_yaml(path), schema))
        except YamlFileError as exc:
            results.append(_unreadable(exc))
    results = _check_together(results)
    for path, r in zip(paths, results):
        if r.segment is not None and r.segment.name != path.stem:
            r.warnings.append(Issue(r.source, "name", f"the name {r.segment.name!r} differs from the file name "
                                                      f"{path.stem!r}; its fixtures are tests/{r.segment.name}.yml"))
    return results


@dataclass
class Catalog:
    """Every segment file of a folder, validated together; compile the usable ones by name."""
    results: list[FileResult]
    schema: Schema = DEFAULT_SCHEMA

    @property
    def segments(self) -> dict[str, Segment]:
        return {r.segment.name: r.segment for r in self.results if r.ok}

    @property
    def errors(self) -> list[Issue]:
        return [i for r in self.results for i in r.errors]

    @property
    def warnings(self) -> list[Issue]:
        return [i for r in self.results for i in r.warnings]

    @property
    def ok(self) -> bool:
        return not self.errors

    def result(self, name: str) -> FileResult | None:
        """The file result of the segment called `name` (None if no file defines it)."""
        return next((r for r in self.results if r.name == name), None)

    def compile(self, name: str) -> CompiledSegment:
        """The SQL of one usable segment; SegmentError (with the file's errors) if it is broken."""
        if name not in self.segments:
            r = self.result(name)
            unknown = Issue("<segments>", "", f"unknown segment {name!r}{did_you_mean(name, self.segments)}")
            raise SegmentError(r.errors if r and r.errors else [unknown])
        return compile_segment(name, self.segments, self.schema)


def load_catalog(directory: str | Path, schema: Schema = DEFAULT_SCHEMA) -> Catalog:
    """Every segment file of `directory`, validated together (see `validate_dir`)."""
    return Catalog(validate_dir(directory, schema), schema)
