"""Running Cartera: ``cartera serve`` (web, worker, scheduler), the scheduler and the one list
of periodic jobs (``jobs.py``), the demo organisation and the benchmarks. The top floor: it may
import every other app, and none imports it. See docs.md beside this file."""
