"""The REST API, one module per stage; each module's ``router`` is included by create_app.

A later stage (parties, claims, outlook...) adds its module here and its name to
:data:`transship.serve.app.API_MODULES`, touching no other stage's module.
"""
