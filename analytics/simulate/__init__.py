"""Synthetic hospitals for tests and studies, designed apart from :mod:`analytics.demo`.

:mod:`analytics.simulate.harbor` is the second, independent simulator of ANALYTICS.md §10; it
shares only the import file formats (§2-3) and standard xAPI statements with the demo.
"""
