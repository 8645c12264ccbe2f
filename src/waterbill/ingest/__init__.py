"""Billing feed import and real-time payment intake from payment channels.

The use cases: ``imports`` (a feed file in batches, ``waterbill import``), ``intake`` (one payment
a channel posts) and ``channels`` (the channels' API keys). The rules they share, pure functions
over plain values: ``columns`` (each kind's columns and the limits of their values), ``fields``
(the field parser), ``rows`` (a row to its typed record of ``records``), ``payments`` (a payment on
its own, then against the store), ``quality`` (warnings that do not refuse a row) and ``problems``
(refusals). Every message is an English msgid whose texts the catalogs hold (``texts``). Files
are read by ``formats``, stored by ``repository`` and, for a CSV on PostgreSQL, ``bulk``.
"""
