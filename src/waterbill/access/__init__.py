"""Who may see which statement, and how much of it: the access policy and authorisations."""
