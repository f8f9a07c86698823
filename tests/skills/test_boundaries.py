"""Skills are service level: the gateway arrives as the ModelGateway port, so nothing under ``overseer.skills`` may
import an adapter (the layers contract alone would allow importing downwards)."""

from __future__ import annotations

import grimp

ADAPTERS = ("overseer.store", "overseer.interop", "overseer.runtime", "overseer.agents", "overseer.modelserver", "overseer.llm",
            "overseer.verify", "overseer.notify", "overseer.scheduler", "overseer.knowledge", "overseer.bootstrap", "litellm",
            "sqlalchemy")


def test_no_skills_module_imports_an_adapter_the_scheduler_or_the_knowledge_store() -> None:
    graph = grimp.build_graph("overseer", include_external_packages=True, cache_dir=None)
    found = [(importer, imported) for module in graph.find_descendants("overseer.skills") | {"overseer.skills"}
             for importer, imported in [(module, m) for m in graph.find_modules_directly_imported_by(module)]
             if imported.startswith(ADAPTERS)]
    assert found == []
