"""Sample Flask-style application. INTENTIONALLY VULNERABLE test data: never deploy."""
