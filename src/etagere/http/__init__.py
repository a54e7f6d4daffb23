"""HTTP layer: routes, wire models, authentication and the error table. Knows no SQL."""
