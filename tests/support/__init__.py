"""What the tests share: factories per area, the live server, the proxy, the replica and the rest.

Test modules import from here, never from another test module or a conftest.
"""
