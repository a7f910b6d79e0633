"""The rules of openspace, as plain functions shared by pages, the JSON API, sockets and the CLI."""
