"""The `stan` command line (entry point `stan.cli.main:main`) and the video pipeline it runs."""
