"""Documents the service issues (the statement as PDF or CSV) and their verification codes."""
