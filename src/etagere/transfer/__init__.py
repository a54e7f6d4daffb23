"""Moving documents in and out of a running etagere over HTTP: ``import`` and ``export``.

Everything here is a client of the public API (httpx, the same routes the ``mistralai`` SDK
uses); nothing opens the database, so it works against a remote or scaled-out server exactly
as against a local one.
"""
