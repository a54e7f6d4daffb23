"""The shared vocabulary of etagere: entities, roles, statuses, errors, filters, chunk types.

Every other package imports from here; nothing here imports any other part of etagere, so the
words a layer speaks never drag that layer's neighbours along.
"""
