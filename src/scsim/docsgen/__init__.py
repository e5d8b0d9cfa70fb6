"""Documentation generators, above everything they document: they read the schema, the
mechanisms and the engine; nothing imports them but tests and ``make docs``."""
