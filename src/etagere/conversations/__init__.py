"""Agents and conversations: Mistral's Agents and Conversations API served by etagere.

The engine lives here, below the HTTP layer: agent and conversation rules (``agents``,
``service``), the tool loop (``loop``) with the ``document_library`` tool run over etagere's own
search (``library_tool``), and the language model reached upstream (``upstream``).
"""
