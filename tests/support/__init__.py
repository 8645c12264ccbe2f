"""What the tests share: factories per area, the live server, the proxy, the replica, the rest."""
