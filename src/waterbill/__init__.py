"""waterbill: invoices and payments of the last 12 months for Azərsu household subscribers."""
