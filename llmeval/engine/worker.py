"""One worker process of ``llmeval run --workers N`` (started by ``engine.workers``).

Runs shard K/N of the parent's selection into its segment folder with the ordinary
engine (journal, plan, run.json, resume rules, signal handling), its limits and budget
divided by N. Exit codes: 0 its slice ended (finished, interrupted or stopped on budget:
the parent reads which from its run.json), 2 interrupted before its run began (no call
made; its run.json, if any, still says running), 4 a usage or config error (one line on
stderr).
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path


def _die_with_parent(parent_pid: int) -> None:
    """SIGTERM (drain, keep finished results) if the parent is killed, even by kill -9."""
    from llmeval.metrics.pyworker import die_with_parent

    die_with_parent(parent_pid, signal.SIGTERM)


def main(argv: list[str]) -> int:
    from llmeval.errors import ConfigError, ConfigErrors, UsageError
    from llmeval.providers.environ import seal_environ

    job = json.loads(argv[1])
    seal_environ()
    try:
        from llmeval.config.project import load_project
        from llmeval.engine.session import RunConfig, Selection, execute
        from llmeval.engine.workers import shared_project

        selection = Selection(**job["selection"])
        project = shared_project(
            load_project(Path(job["root"]), only=selection.suites or None), job["n"]
        )
        cfg = RunConfig(
            selection=selection,
            run_id=None if job["resume"] else f"w{job['k']}",
            resume=f"w{job['k']}" if job["resume"] else None,
            concurrency=job["concurrency"],
            cache_mode=job["cache_mode"],
            max_cost_usd=job["max_cost_usd"],
            runs_dir=Path(job["segments_dir"]),
        )
        if job["baseline"]:  # pairwise judges compare with the baseline's outputs
            from llmeval.store.project import ProjectStore

            store = ProjectStore(project.root, project.settings)
            names = selection.suites or list(project.suites)
            baselines = store.load_baselines(job["baseline"], names)
            if baselines is not None:
                cfg.baseline_results = baselines.results
        _die_with_parent(job["parent_pid"])
        execute(project, cfg, handle_signals=True)
    except KeyboardInterrupt:  # stopped before its run began: resumable, nothing lost
        return 2
    except ConfigErrors as e:
        sys.stderr.write("".join(f"{one}\n" for one in e.errors))
        return 4
    except (ConfigError, UsageError) as e:
        sys.stderr.write(f"error: {e}\n")
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
