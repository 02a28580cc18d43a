from tests.ncip_responder.fixtures import ils, ncip_responder_process, ncip_schema_dir  # noqa: F401  (fixtures)
