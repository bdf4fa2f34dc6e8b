"""One module per job type, each with `run(ctx: JobContext) -> RunnerResult`."""
