"""Survey statistics on DataFrames: pure pandas, numpy, scipy and statsmodels.

Nothing here imports Flask or the database. ``surveyapp.datasets`` reads stored
responses into the frames these functions take; ``docs/analysis.md`` shows the
API from a notebook.
"""
