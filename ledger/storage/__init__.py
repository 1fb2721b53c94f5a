"""Storage: SQLAlchemy 2 Core tables, the database backend of ledger state, and the engine."""
