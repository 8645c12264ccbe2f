"""The public performance figures (issue 20): daily counts every instance adds to, availability
measured minute by minute, and the one-question feedback after a statement."""
