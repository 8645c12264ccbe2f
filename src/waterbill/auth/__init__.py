"""Who the citizen is: identities from the e-gov single sign-on."""
