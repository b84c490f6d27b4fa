"""What other apps may listen to: a run that the reaper failed.

The reaper knows runs, not what they were working on; the app that owns the target (a
connection left "learning", a plan left "applying") puts it right in a receiver.
"""

from django.dispatch import Signal

#: sent with `run` (the Run, already failed) after the reaper marks it failed
run_reaped = Signal()
