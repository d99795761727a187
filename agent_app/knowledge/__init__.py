"""The knowledge base: markdown in, chunks with embeddings out, and hybrid search.

One module per job; import from the module that does it:

* :mod:`~agent_app.knowledge.chunking`: an article's body into heading-aware chunks.
* :mod:`~agent_app.knowledge.parsing`: a markdown document into articles (and their chunks).
* :mod:`~agent_app.knowledge.ingestion`: files into stored articles and chunks, embedding
  only what changed (``ingest_kb``, and re-embedding after an admin edit). The rows are
  written by ``crm.services`` (``knowledge_*``); the embeddings are computed here.
* :mod:`~agent_app.knowledge.search`: hybrid search (vectors and full text, fused by
  reciprocal rank), empty when nothing is relevant.
* :mod:`~agent_app.knowledge.articles`: one article's passages, whole and in order (what
  the agent reads once it has chosen the article).
* :mod:`~agent_app.knowledge.search_statistics`: which query words full-text search
  uses, from PostgreSQL's lexeme statistics.
"""
