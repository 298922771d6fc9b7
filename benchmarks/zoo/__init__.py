"""The fault zoo: real torch training runs with one injected cause each, verified and labeled."""
