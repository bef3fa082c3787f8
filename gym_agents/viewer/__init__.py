"""Trajectory viewer: a local web app and a one-file HTML report over run folders.

`index` finds runs and indexes their episode files by byte offset (cached),
`server` answers the browser app's JSON requests on loopback, `report` writes
a self-contained HTML file, and `static/` holds the app (plain HTML/CSS/JS).
"""
