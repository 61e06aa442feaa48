"""A lesson's reference outputs: the executed lesson as it is committed, cleaned of whatever
belongs to one machine or one run, with a hash of its code so that a test can tell when the
code changed and the stored outputs no longer show what it does.

`refresh` executes a lesson (papermill, against the running lab), cleans it and writes it back
in place; nbval then compares every fresh run with what is stored here."""

from __future__ import annotations

import copy
import hashlib
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import nbformat

#: what the stored references were executed with, per lesson (default: the notebook's own
#: parameters). 06 is stored as a student first sees it: the untouched stubs, each one caught.
REFERENCE_PARAMS: dict[str, dict] = {"06-your-own-fix": {"expect_clean": False}}

#: where the hash of a lesson's code sits in its metadata
META_KEY = "boletia"
HASH_KEY = "code_sha256"

# Notebook- and cell-level metadata a run writes and a reference must not keep.
_RUN_METADATA = ("papermill", "execution", "widgets", "collapsed", "scrolled", "ExecuteTime")
_TOKEN = re.compile(r"(?i)(token=|token:\s*|api[_-]?key=|password=)[A-Za-z0-9_\-.]{6,}")
_PORT = re.compile(r"\b(localhost|127\.0\.0\.1):\d{2,5}\b")


def code_hash(nb: nbformat.NotebookNode) -> str:
    """The sha256 of the code cells' source, in order (the injected parameters excluded): what
    the reference outputs were produced by. Prose changes do not make references stale."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code" and "injected-parameters" not in cell.metadata.get("tags", []):
            digest.update(cell.source.strip().encode() + b"\0")
    return digest.hexdigest()


def stored_hash(nb: nbformat.NotebookNode) -> str | None:
    return nb.metadata.get(META_KEY, {}).get(HASH_KEY)


def is_stale(nb: nbformat.NotebookNode) -> bool:
    """True when the code changed since the references were stored (or none ever were)."""
    return stored_hash(nb) != code_hash(nb)


def scrub_text(text: str, roots: Mapping[str, str]) -> str:
    """Machine-specific strings in an output's text: each absolute path in `roots` (the
    longest first) becomes its marker (`<repo>`, `<lab>`), tokens are blanked."""
    for root in sorted((r for r in roots if r and r != "/"), key=len, reverse=True):
        text = text.replace(root.rstrip("/"), roots[root])
    text = _PORT.sub(lambda m: m.group(1) + ":<port>", text)
    return _TOKEN.sub(lambda m: m.group(1) + "<token>", text)


def sanitizers(roots: Mapping[str, str]) -> str:
    """nbval's sanitizer file (`--nbval-sanitize-with`): the same scrubbing as `clean`, applied
    by nbval to the fresh run and to the reference alike before it compares them."""
    rules = [(re.escape(r.rstrip("/")), m) for r, m in
             sorted(roots.items(), key=lambda kv: len(kv[0]), reverse=True) if r and r != "/"]
    rules += [(_PORT.pattern, r"\1:<port>"), (_TOKEN.pattern, r"\1<token>")]
    return "".join(f"[rule{i}]\nregex: {rx}\nreplace: {rep}\n\n" for i, (rx, rep) in enumerate(rules))


def machine_roots(repo: Path, lab_dir: Path) -> dict[str, str]:
    """The absolute paths of this machine that outputs may show, and what replaces them."""
    return {str(lab_dir): "<lab>", str(repo): "<repo>", str(Path.home()): "~",
            tempfile.gettempdir(): "<tmp>"}


def clean(nb: nbformat.NotebookNode, source: nbformat.NotebookNode | None = None,
          roots: Mapping[str, str] | None = None) -> nbformat.NotebookNode:
    """A copy of an executed notebook fit to be committed: the injected parameters cell gone,
    run metadata (papermill, timings, widget state) gone, execution counts renumbered 1..n,
    tokens and absolute paths scrubbed from outputs, cell ids taken from `source` (the
    lesson as written) so that a refresh changes outputs only; the code hash stored."""
    nb = copy.deepcopy(nb)
    roots = roots or {}
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    for key in _RUN_METADATA:
        nb.metadata.pop(key, None)
    if source is not None:
        # the lesson's own metadata: a run adds the kernel's exact version, a machine's detail
        nb.metadata = copy.deepcopy(source.metadata)
        if len(source.cells) != len(nb.cells):
            raise ValueError(f"the executed notebook has {len(nb.cells)} cells, the lesson "
                             f"{len(source.cells)}: not a run of this lesson")
        for mine, theirs in zip(nb.cells, source.cells, strict=True):
            if "id" in theirs:
                mine["id"] = theirs["id"]
            mine.metadata = copy.deepcopy(theirs.metadata)
    count = 0
    for cell in nb.cells:
        for key in _RUN_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            continue
        cell.execution_count = None
        if cell.get("outputs") or cell.source.strip():
            count += 1
            cell.execution_count = count
        for out in cell.get("outputs", []):
            if "execution_count" in out:
                out["execution_count"] = cell.execution_count
            out.get("metadata", {}).pop("papermill", None)
            if "text" in out:
                out["text"] = scrub_text(_joined(out["text"]), roots)
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/") or mime == "application/json":
                    if isinstance(value, (str, list)):
                        out["data"][mime] = scrub_text(_joined(value), roots)
            if "traceback" in out:
                out["traceback"] = [scrub_text(line, roots) for line in out["traceback"]]
    nb.metadata.setdefault(META_KEY, {})[HASH_KEY] = code_hash(nb)
    return nb


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def dirt(nb: nbformat.NotebookNode, roots: Iterable[str] = ()) -> list[str]:
    """What a committed reference must not carry (empty when it is clean): the check the
    unit tests make of every stored lesson."""
    found = []
    roots = [r.rstrip("/") for r in roots if r and r != "/"]
    if "papermill" in nb.metadata:
        found.append("papermill metadata in the notebook")
    counts = []
    for i, cell in enumerate(nb.cells):
        if "injected-parameters" in cell.metadata.get("tags", []):
            found.append(f"cell {i}: papermill's injected parameters")
        for key in _RUN_METADATA:
            if key in cell.metadata:
                found.append(f"cell {i}: run metadata {key!r}")
        if cell.cell_type != "code":
            continue
        if cell.execution_count is not None:
            counts.append(cell.execution_count)
        for out in cell.get("outputs", []):
            text = _joined(out.get("text", "")) + "".join(
                _joined(v) for m, v in out.get("data", {}).items()
                if m.startswith("text/") and isinstance(v, (str, list)))
            text += "".join(out.get("traceback", []))
            for root in roots:
                if root in text:
                    found.append(f"cell {i}: the absolute path {root}")
            if _TOKEN.search(text):
                found.append(f"cell {i}: a token")
    if counts != list(range(1, len(counts) + 1)):
        found.append(f"execution counts {counts} are not 1..n")
    return found


def refresh(lesson: Path, roots: Mapping[str, str], report: Callable[[str], None] = print,
            kernel_name: str = "python3") -> float:
    """Execute one lesson against the running lab, clean it, write it back in place and
    regenerate its jupytext pair; returns the seconds it ran. A failing cell raises (the
    lesson is left as it was)."""
    import time

    import jupytext
    import papermill

    source = nbformat.read(lesson, as_version=4)
    params = {"runtime": "local", **REFERENCE_PARAMS.get(lesson.stem, {})}
    scratch = lesson.with_name("." + lesson.stem + "-refresh.ipynb")
    begun = time.monotonic()
    try:
        papermill.execute_notebook(str(lesson), str(scratch), parameters=params,
                                   cwd=str(lesson.parent), kernel_name=kernel_name,
                                   progress_bar=True, log_output=False)
        seconds = time.monotonic() - begun
        executed = nbformat.read(scratch, as_version=4)
    finally:
        scratch.unlink(missing_ok=True)
    slow = sorted(((c.metadata.get("papermill", {}).get("duration") or 0, i)
                   for i, c in enumerate(executed.cells) if c.cell_type == "code"), reverse=True)
    report(f"{lesson.name}: slowest cells " + ", ".join(f"#{i} {d:.0f}s" for d, i in slow[:4]))
    cleaned = clean(executed, source, roots)
    nbformat.write(cleaned, lesson)
    pair = lesson.with_suffix(".md")
    jupytext.write(jupytext.read(lesson), pair, fmt="md:myst")
    report(f"{lesson.name}: executed in {seconds:.0f} s, cleaned, written with {pair.name}")
    return seconds
