"""One module per console page family; each handler reaches data only through domain services."""
