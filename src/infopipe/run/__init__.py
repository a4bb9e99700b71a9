"""The run: steps, the pipeline, publishing, the provenance record, the crate, Prefect."""
