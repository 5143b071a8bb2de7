"""`newscrawl`, the operator's command: the parser (`main`) and one module per command."""
