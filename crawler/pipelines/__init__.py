"""Item pipelines, in order: validate -> date window -> dedupe -> store (the dates are resolved
where the page is read: `crawler.extract.article`).

Each drops bad items with a reason counted under its own stats prefix and logged once per kind
(then only counted), so a run never loses an item silently.
"""
