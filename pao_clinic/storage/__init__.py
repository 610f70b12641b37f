"""Storage: where the database is, the connection, the tables, the schema's migrations.

Layered so that nothing imports what is above it:
`location` (URL) <- `connection` (the bound `database`) <- `models` (tables)
<- `migrations` (numbered schema versions) <- `opening` (`open_database`, the one way in).
Only the core (services, CLI) imports storage; the window goes through the services.
"""
