"""Pydantic models of request and response bodies, field for field as the mistralai SDK."""
