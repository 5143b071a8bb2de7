"""Item pipelines, in order: validate -> dates -> date window -> dedupe -> store.

Each drops bad items with a reason counted under its own stats prefix and logged once per kind
(then only counted), so a run never loses an item silently.
"""
