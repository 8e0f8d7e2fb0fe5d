"""The CLI layer: parses, wires, calls one use case, renders. No boto3 and no decisions here.

A command is a short-lived process that allocates heavily while it starts (click, botocore's
service models, the config model) and creates few reference cycles. With the interpreter's default
thresholds the cyclic collector runs hundreds of times during that start for nothing: raising the
first generation's threshold takes about 8 % off a push (bench/README.md). Set here, before any
other import of the CLI.
"""

import gc

gc.set_threshold(20_000, 20, 20)
