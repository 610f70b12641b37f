"""The one function that opens a database: parse its URL, connect, upgrade the schema, bind it."""

from __future__ import annotations

from peewee import Database

from pao_clinic.storage.connection import bind, connect
from pao_clinic.storage.location import parse_database_url
from pao_clinic.storage.migrations import upgrade_schema


def open_database(url: str) -> Database:
    """Parse, connect, bring the schema up to date and bind `database`. Returns the database."""
    location = parse_database_url(url)
    db = connect(location)
    try:
        upgrade_schema(db, location)
    except Exception:
        db.close()
        raise
    bind(db, url)
    return db
