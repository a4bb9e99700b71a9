"""Describe a run as a Provenance Run Crate (RO-Crate), so standard tools can read what made what.

The spec is the workflow (it declares every step's work); infopipe is the engine; each pipeline step
is a HowToStep with its own CreateAction; every file in the run folder is a File with its hash.
"""

from __future__ import annotations

from pathlib import Path

from rocrate.model.contextentity import ContextEntity
from rocrate.rocrate import ROCrate

from infopipe.files import sha256_once

PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.5": "Process Run Crate",
    "https://w3id.org/ro/wfrun/workflow/0.5": "Workflow Run Crate",
    "https://w3id.org/ro/wfrun/provenance/0.5": "Provenance Run Crate",
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0": "Workflow RO-Crate",
}
def _entity(crate: ROCrate, identifier: str, properties: dict):
    return crate.add(ContextEntity(crate, identifier, properties=properties))


def write_crate(folder: Path, record: dict, declarations: dict) -> Path:
    """Write ro-crate-metadata.json into a finished run folder described by its provenance record and
    the step declarations (run/steps.py: what each does, reads and writes)."""
    crate = ROCrate()
    crate.name = f"infopipe run {record['run_id']} of {record['project']}"
    crate.description = "Infographic panels and page rebuilt from raw data, with provenance."
    crate.datePublished = record["finished_at"]
    crate.license = "https://creativecommons.org/licenses/by/4.0/"
    crate.root_dataset["conformsTo"] = [{"@id": uri} for uri in PROFILES]
    for uri, name in PROFILES.items():
        _entity(crate, uri, {"@type": "CreativeWork", "name": name, "version": uri.rsplit("/", 1)[1]})

    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "ro-crate-metadata.json"):
        rel = str(path.relative_to(folder))
        properties = {"name": path.name, "sha256": sha256_once(path),
                      "contentSize": path.stat().st_size, "encodingFormat": _media_type(path)}
        if rel == "spec.yaml":
            properties["@type"] = ["File", "SoftwareSourceCode", "ComputationalWorkflow", "HowTo"]
        files[rel] = crate.add_file(path, dest_path=rel, properties=properties)

    engine = _entity(crate, "#infopipe", {"@type": "SoftwareApplication", "name": "infopipe",
                     "version": record["code"]["infopipe_version"]})
    language = _entity(crate, "#infopipe-spec", {"@type": "ComputerLanguage",
                       "name": "infopipe project spec (YAML)", "version": record["code"]["infopipe_version"]})
    workflow = files["spec.yaml"]
    workflow["programmingLanguage"] = language
    workflow["name"] = f"{record['project']} infographic spec"
    crate.mainEntity = workflow

    inputs = [f for rel, f in files.items() if rel.startswith("inputs/")]
    inputs += [_entity(crate, f"#input-{i['dataset']}", {  # rows read from a database: the query, not a file
        "@type": "Dataset", "name": i["path"], "sha256": i["sha256"], "description": i["database"]["query"],
        "version": i["database"]["server_version"]}) for i in record["inputs"] if "database" in i]
    outputs = [f for rel, f in files.items() if not rel.startswith("inputs/") and rel != "spec.yaml"]
    run_action = crate.add_action(workflow, identifier=f"#run-{record['run_id']}", object=inputs,
                                  result=outputs, properties={
                                      "@type": "CreateAction", "name": f"Run {record['run_id']}",
                                      "startTime": record["started_at"], "endTime": record["finished_at"]})

    steps, controls = [], []
    for position, timing in enumerate(record["steps"], start=1):
        name = timing["step"]
        declared = declarations[name]
        reads, writes = declared.in_run(declared.reads), declared.in_run(declared.writes)
        tool = _entity(crate, f"#tool-{name}", {"@type": "SoftwareApplication",
                       "name": f"infopipe step '{name}'", "version": record["code"]["infopipe_version"]})
        step = _entity(crate, f"#step-{name}", {"@type": "HowToStep", "name": name,
                       "description": declared.does, "position": str(position),
                       "workExample": {"@id": tool.id}})
        steps.append(step)
        action = crate.add_action(tool, identifier=f"#action-{name}",
                                  object=_matching(files, reads), result=_matching(files, writes),
                                  properties={"@type": "CreateAction", "name": f"step {name}",
                                              "startTime": timing["started_at"], "endTime": timing["ended_at"]})
        controls.append(_entity(crate, f"#control-{name}", {"@type": "ControlAction",
                                "name": f"orchestrate {name}", "instrument": {"@id": step.id},
                                "object": {"@id": action.id}}))
    workflow["step"] = steps
    crate.add_action(engine, identifier=f"#organize-{record['run_id']}", object=controls,
                     result=run_action, properties={"@type": "OrganizeAction",
                                                    "name": "infopipe orchestration",
                                                    "startTime": record["started_at"],
                                                    "endTime": record["finished_at"]})
    crate.metadata.write(folder)
    return folder / "ro-crate-metadata.json"


def _matching(files: dict, prefixes: list[str]) -> list:
    return [f for rel, f in files.items() if any(rel.startswith(p) for p in prefixes)]


def _media_type(path: Path) -> str:
    return {".svg": "image/svg+xml", ".png": "image/png", ".pdf": "application/pdf",
            ".json": "application/json", ".html": "text/html", ".csv": "text/csv",
            ".yaml": "application/yaml"}.get(path.suffix, "application/octet-stream")
