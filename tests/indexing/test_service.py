"""The index service as the server runs it: configure, open-document updates, close, disable."""

from __future__ import annotations

from pathlib import Path

from ghostls.documents import DocumentStore
from ghostls.indexing.service import IndexService
from ghostls.indexing.trees import DocumentTrees
from ghostls.settings import IndexSettings
from tests.indexing.conftest import write_tree


class Progress:
    def __init__(self, title: str, log: list) -> None:
        self.title, self.log = title, log

    def report(self, message: str, percent: int | None = None) -> None:
        self.log.append((self.title, "report", percent))

    def end(self, message: str = "") -> None:
        self.log.append((self.title, "end", message))


def test_service_builds_follows_open_documents_and_disk(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "ws", {"a.py": "def alpha():\n    pass\n", "b.py": "def beta(): pass\n"})
    docs = DocumentStore()
    trees = DocumentTrees(docs)
    log: list = []
    service = IndexService(trees, text_of=lambda p: None, progress=lambda title: Progress(title, log))
    trees.on_change = lambda doc: service.document_changed(doc.uri)
    docs.on_close.append(lambda doc: service.document_closed(doc.uri))
    settings = IndexSettings(cache_dir=str(tmp_path / "cache"), workers=1)
    try:
        service.configure(settings, [str(root)]).result(30)  # type: ignore[union-attr]
        assert log[0] == ("Indexing ws", "report", 0) and log[-1] == ("Indexing ws", "end", "index ready")
        assert service.index.lookup("alpha") and service.index.ready
        assert service.configure(settings, [str(root)]) is None  # nothing changed: nothing to do

        uri = (root / "a.py").as_uri()
        doc = docs.open(uri, "def alpha():\n    pass\n", 1, "python")
        doc.apply_change("gamma", (0, 4), (0, 9))  # unsaved rename
        service.flush(10)
        assert service.index.lookup("alpha") == [] and service.index.lookup("gamma")
        assert [d.name for d in service.document_definitions(uri)] == ["gamma"]  # type: ignore[union-attr]

        docs.close(uri)  # the unsaved text is gone: the disk is what counts again
        service.flush(10)
        assert service.index.lookup("alpha") and service.index.lookup("gamma") == []

        (root / "b.py").write_text("def delta(): pass\n")
        service.files_changed([(root / "b.py").as_uri()]).result(10)  # type: ignore[union-attr]
        assert service.index.lookup("delta") and service.index.lookup("beta") == []

        service.configure(IndexSettings(enable=False), [str(root)]).result(10)  # type: ignore[union-attr]
        assert service.index.folders == [] and service.index.lookup("delta") == []
    finally:
        service.close()


def test_the_server_index_offers_every_symbol_index_method() -> None:
    from ghostls.indexing.model import SymbolIndex
    from ghostls.indexing.workspace import WorkspaceIndex, Workspaces

    wanted = {name for name in vars(SymbolIndex) if not name.startswith("_")}
    assert wanted == {"lookup", "lookup_prefix", "definitions_in", "imports_of", "imported_definitions", "read_source"}
    for cls in (Workspaces, WorkspaceIndex):
        assert all(callable(getattr(cls, name, None)) for name in wanted), cls
