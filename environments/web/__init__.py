"""Web family: real Chromium through Playwright, BrowserGym-compatible spaces.

Task suites: MiniWoB++ (the `miniwob` package's HTML tasks) and the project's
own multi-page sites (a shop and a form-heavy site), all served on loopback.
"""

from .registration import register_web_envs

__all__ = ["register_web_envs"]
