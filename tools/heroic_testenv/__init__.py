"""The project's test environment: real components built or fetched into a cache, run on loopback.

Standard library only, so that it can bootstrap a machine before anything else is installed.
It never touches anything outside its cache directory and its run directory.
"""
