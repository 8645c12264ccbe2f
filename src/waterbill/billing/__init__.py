"""What the billing system knows: subscribers, their invoices (with revisions) and payments."""
