"""Every document the code, the notebooks and the README point to is in the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for pattern in ("boletia/**/*.py", "notebooks/*.ipynb", "README.md", "docs/*.md",
                             "lab-infra/**/*", "connect/**/*", "k8s/*", "benchmarks/*.py")
           for p in ROOT.glob(pattern) if p.is_file() and "target" not in p.parts]
DOC = re.compile(r"\bdocs/[\w./-]+\.md\b")


def test_there_are_sources_to_read():
    assert len(SOURCES) > 30


def test_every_docs_reference_resolves():
    missing = {(str(p.relative_to(ROOT)), ref) for p in SOURCES
               for ref in DOC.findall(p.read_text(errors="replace")) if not (ROOT / ref).exists()}
    assert not missing, missing


def test_no_reference_to_documents_outside_the_repository():
    for p in SOURCES:
        text = p.read_text(errors="replace")
        assert "SPEC §" not in text and "SPEC.md" not in text, p
