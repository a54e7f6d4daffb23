"""The native libraries load together in any order the server may import them in."""

from __future__ import annotations

import subprocess
import sys


def test_search_indexes_and_the_embedding_runtime_load_together() -> None:
    code = (
        "import etagere.search.index.memory, onnxruntime, usearch.index, tantivy;"
        "from etagere.search.embedding import LocalOnnxEmbedder;"
        "print(LocalOnnxEmbedder().embed_query('ok').shape)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "(384,)" in result.stdout
