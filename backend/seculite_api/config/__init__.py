"""Settings for each third-party integration, one module each."""
