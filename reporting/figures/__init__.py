"""The figures of each report page, read from rollup rows (and, for live state, the CRM).

One module per page: ``overview``, ``cost``, ``people``, ``gaps``; ``rows`` picks the rows
of a range and ``backlog`` reads what is waiting right now.
"""
