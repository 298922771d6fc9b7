"""`python -m nn_doctor` runs the CLI."""

from nn_doctor.cli import main

main()
