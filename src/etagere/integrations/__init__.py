"""Retrievers for LLM frameworks over a running etagere's search (optional extras).

``etagere.integrations.langchain`` needs ``pip install 'etagere[langchain]'`` and
``etagere.integrations.llamaindex`` needs ``pip install 'etagere[llamaindex]'``; both share
``search_client``, which speaks to the server over HTTP with an API key.
"""
