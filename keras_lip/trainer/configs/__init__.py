"""Built-in configs (the default of `python -m keras_lip.train`)."""
