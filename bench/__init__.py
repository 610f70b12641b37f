"""`make bench`: speed, memory and query counts at clinic scale (never part of `make test`)."""
