"""The ledger's HTTP API: submissions to the single writer, the log replication contract, and
paginated, permissioned reads (``docs/api.md``). ``api.app.create_app`` builds the application."""
