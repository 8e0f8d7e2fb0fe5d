"""The CLI layer: parses, calls the core, renders. No boto3 and no decisions here."""
