"""The training application behind `python -m keras_lip.train`.

`config` (base_config, validate), the family-neutral `loop` (train),
step `checkpoint`s, the `registry` of model families, data kinds and
evaluations (`families`, `data_kinds`, `evals`), distribution scopes
(`strategy`), the run's files (`report`), glibc `malloc` and stderr
`quiet`ing. It sits on top of the library: nothing in `keras_lip`'s
library packages imports it. Import its modules by name; this file
imports nothing, so the CLI can start without loading a framework.
"""
