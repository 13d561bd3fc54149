"""Deployment tests: compose, Dockerfiles, shell scripts, nginx, and the plain-process stack."""
