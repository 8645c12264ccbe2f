"""The citizen web service: server-rendered pages, the JSON API and the sign-in."""
