"""The roles, lowest first. Apart from the models, so that checking a role loads no database code."""

ROLES = ("annotator", "lead", "admin")
