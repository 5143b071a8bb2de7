"""Item pipelines, in order: validate -> dates -> date window -> dedupe -> store."""
